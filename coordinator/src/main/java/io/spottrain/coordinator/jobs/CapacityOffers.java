package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.coordinator.scheduling.GangScheduler;
import io.spottrain.coordinator.scheduling.PoolRisks;
import io.spottrain.coordinator.scheduling.TeamQuotas;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * Which running jobs are offered which free nodes when no job waits for them (pure): higher
 * priority first, then older; each job at most up to its max, only nodes that fit it (market,
 * GPUs, price, types), and no node is offered to two jobs. A job decides itself whether it grows
 * ({@link ElasticPolicy#onCapacityFree}).
 */
final class CapacityOffers {
    private CapacityOffers() {}

    record Offer(String jobId, int nodes) {}

    static List<Offer> plan(Collection<Job> jobs, List<NodeRecord> free, ToLongFunction<String> assigned) {
        return plan(jobs, free, assigned, PoolRisks.NONE, TeamQuotas.NONE, Map.of());
    }

    /**
     * As above, Spot nodes of pools riskier than a job allows ({@code risks}) not offered to it, and no job offered more than
     * its team's quota leaves ({@code used}: what each team holds now; what this plan offers counts at once).
     */
    static List<Offer> plan(Collection<Job> jobs, List<NodeRecord> free, ToLongFunction<String> assigned, PoolRisks risks, TeamQuotas quotas,
            Map<String, TeamQuotas.Use> used) {
        var use = new HashMap<>(used);
        var left = new ArrayList<>(free);
        var out = new ArrayList<Offer>();
        if (left.isEmpty()) return out;
        var order = jobs.stream().sorted(Comparator.comparingInt((Job j) -> -j.spec().spec().priority()).thenComparing(Job::submittedAt))
                .toList();
        for (Job j : order) {
            long want = j.targetWorkers() - assigned.applyAsLong(j.id());
            if (want <= 0) continue;
            String team = TeamQuotas.team(j.spec());
            var fit = quotas.within(j.spec(), GangScheduler.fitting(j.spec(), left, risks), use.getOrDefault(team, TeamQuotas.Use.NONE));
            int n = (int) Math.min(want, fit.size());
            if (n == 0) continue;
            var offered = fit.subList(0, n).stream().map(NodeRecord::nodeId).toList();
            left.removeIf(r -> offered.contains(r.nodeId()));
            for (NodeRecord r : fit.subList(0, n)) {
                use.merge(team, TeamQuotas.Use.of(j.spec(), r.info().market()), TeamQuotas.Use::add);
            }
            out.add(new Offer(j.id(), n));
        }
        return out;
    }
}
