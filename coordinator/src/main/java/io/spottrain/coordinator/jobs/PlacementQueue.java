package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.autoscale.FleetView;
import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.coordinator.scheduling.GangScheduler;
import io.spottrain.coordinator.scheduling.Placement;
import io.spottrain.coordinator.scheduling.PoolRisks;
import io.spottrain.coordinator.scheduling.RiskAdvice;
import io.spottrain.coordinator.scheduling.TeamQuotas;
import io.spottrain.protocol.spec.JobSpec;
import io.spottrain.protocol.spec.Market;
import io.spottrain.protocol.spec.PriorityClass;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * Jobs waiting for nodes, and the order they get them: jobs resuming after a recovery first
 * (their survivors wait, idle; not a requeued job, which holds nothing), then by priority, then by
 * submission. Not thread-safe: the job
 * manager's. {@link #next} is a pure step over the free nodes.
 */
final class PlacementQueue {

    /** One decision: the job is placed on these nodes, or waits for this reason (null: unchanged). */
    record Outcome(JobManager.WantsNodes job, Placement placement, String waitReason) {}

    private final Map<String, JobManager.WantsNodes> waiting = new LinkedHashMap<>();
    private final Map<String, String> reasons = new HashMap<>();
    private TeamQuotas quotas = TeamQuotas.NONE;
    /** Jobs whose last try the team's quota left too few fitting nodes (preempting others would not give them more). */
    private final Set<String> quotaLimited = new HashSet<>();

    /** The teams' quotas (set once, from the cluster config). */
    void quotas(TeamQuotas q) {
        this.quotas = q;
    }

    TeamQuotas quotas() {
        return quotas;
    }

    boolean quotaLimited(String jobId) {
        return quotaLimited.contains(jobId);
    }

    void add(JobManager.WantsNodes w) {
        waiting.put(w.jobId(), w);
    }

    /** The job's desired worker count changed: its waiting request (if any) asks for no more than {@code desired} (null: its max). */
    void capAt(String jobId, Integer desired) {
        waiting.computeIfPresent(jobId, (id, w) -> new JobManager.WantsNodes(w.jobId(), w.spec(), w.preferred(), w.resumeStep(),
                w.submittedAt(), desired == null ? 0 : desired, w.requeued()));
    }

    void remove(String jobId) {
        waiting.remove(jobId);
        reasons.remove(jobId);
        quotaLimited.remove(jobId);
    }

    private List<JobManager.WantsNodes> order() {
        return waiting.values().stream().sorted(Comparator.comparing((JobManager.WantsNodes w) -> !resumesFirst(w))
                .thenComparingInt(w -> -w.spec().spec().priority()).thenComparing(JobManager.WantsNodes::submittedAt)).toList();
    }

    /** The waiting jobs' requests in placement order. */
    List<JobManager.WantsNodes> requests() {
        return order();
    }

    /** The waiting jobs in placement order, as the autoscaler counts them: each needs its min workers. */
    List<FleetView.Waiting> waiting(PoolRisks risks) {
        return order().stream().map(w -> {
            var spec = w.spec().spec();
            var p = spec.placement();
            double max = p.maxInterruptRisk();
            boolean tooRisky = max > 0 && risks.noPoolWithin(max, RiskAdvice.poolFits(spec), spec.placement().instanceTypes());
            return new FleetView.Waiting(w.jobId(), spec.workers().min(), spec.workers().gpusPerWorker(), p.market(), p.instanceTypes(),
                    p.gpuModels(), p.minGpuMemoryGiB(), max, tooRisky);
        }).toList();
    }

    boolean isEmpty() {
        return waiting.isEmpty();
    }

    /**
     * Whether what each team holds can change this round's outcome ({@link #next}'s {@code held}): a quota is in force, or jobs
     * of more than one team wait (fair share orders them). Otherwise it need not be counted (a scan of every node).
     */
    boolean teamUseMatters() {
        if (!quotas.isEmpty()) return true;
        String first = null;
        for (var w : waiting.values()) {
            String t = team(w.spec());
            if (first == null) first = t;
            else if (!first.equals(t)) return true;
        }
        return false;
    }

    int size() {
        return waiting.size();
    }

    /** Without fair-share information: every team holds nothing; nothing is held back. */
    List<Outcome> next(List<NodeRecord> free) {
        return next(free, Map.of(), id -> null);
    }

    /** Without interruption risks (every Spot pool's is 0), {@code held}: GPUs per team, none of them on-demand. */
    List<Outcome> next(List<NodeRecord> free, Map<String, Integer> held, Function<String, String> holdReason) {
        var use = new HashMap<String, TeamQuotas.Use>();
        held.forEach((team, gpus) -> use.put(team, new TeamQuotas.Use(gpus, 0)));
        return next(free, use, holdReason, PoolRisks.NONE);
    }

    /**
     * Places what fits on {@code free}, in order; each placed job's nodes are taken out before the
     * next is tried. Within a priority, the team (label {@code team}) holding the fewest GPUs goes
     * first ({@code held}: GPUs per team now), and what a team is given here counts at once, so two
     * teams alternate instead of the older team's queue going first entirely. Returns the
     * placements and the changed wait reasons; placed jobs leave the queue. A job
     * {@code holdReason} names a reason for (a budget holds it) is placed on nothing and waits
     * with that reason. {@code risks}: the Spot pools' interruption risks ({@code spec.placement.maxInterruptRisk}). A team's
     * quota ({@link TeamQuotas}, over what it holds and is given in this round) holds a job that could not start within it,
     * and leaves out the nodes that would take its team over it.
     */
    List<Outcome> next(List<NodeRecord> free, Map<String, TeamQuotas.Use> held, Function<String, String> holdReason, PoolRisks risks) {
        var out = new ArrayList<Outcome>();
        var left = new ArrayList<>(free);
        var use = new HashMap<>(held);
        var usage = new HashMap<String, Integer>();
        held.forEach((team, u) -> usage.put(team, u.gpus()));
        var pending = new ArrayList<>(order());
        JobManager.WantsNodes blocked = null; // the highest-priority job this round could not place
        while (!pending.isEmpty()) {
            var w = pending.stream().min(Comparator.comparing((JobManager.WantsNodes x) -> !resumesFirst(x))
                    .thenComparingInt(x -> -x.spec().spec().priority())
                    .thenComparingInt(x -> usage.getOrDefault(team(x.spec()), 0))
                    .thenComparing(JobManager.WantsNodes::submittedAt)).orElseThrow();
            pending.remove(w);
            String team = team(w.spec());
            String hold = holdReason.apply(w.jobId());
            if (hold == null) {
                // the free reserved nodes it fits: only an on-demand job under a quota asks (a scan of the free nodes per job)
                int reserved = quotas.isEmpty() || w.spec().spec().placement().market() != Market.ON_DEMAND ? 0
                        : TeamQuotas.reserved(GangScheduler.fitting(w.spec(), left, risks));
                hold = quotas.hold(w.spec(), use.getOrDefault(team, TeamQuotas.Use.NONE), reserved);
            }
            if (hold == null && w.requeued() && blocked != null
                    && PriorityClass.of(blocked.spec().spec().priority()).compareTo(PriorityClass.of(w.spec().spec().priority())) > 0) {
                // it stepped aside for a job of a higher class: not back onto the nodes it gave up while that one still waits
                hold = "requeued: waits while job " + blocked.jobId() + " of a higher priority class waits for nodes";
            }
            if (hold != null) {
                if (!Objects.equals(reasons.put(w.jobId(), hold), hold)) out.add(new Outcome(w, Placement.waitFor(hold), hold));
                continue;
            }
            Placement fitting = GangScheduler.place(w.spec(), left, w.preferred(), w.atMost(), risks);
            Placement p = fitting.placed() ? withinQuota(w, fitting, left, use.getOrDefault(team, TeamQuotas.Use.NONE), risks) : fitting;
            if (fitting.placed() && !p.placed()) quotaLimited.add(w.jobId());
            else quotaLimited.remove(w.jobId());
            if (p.placed()) {
                left.removeIf(n -> p.nodeIds().contains(n.nodeId()));
                remove(w.jobId());
                usage.merge(team, p.nodeIds().size() * TeamQuotas.perNode(w.spec()), Integer::sum);
                var placedNodes = p.nodeIds();
                for (NodeRecord n : free) {
                    if (placedNodes.contains(n.nodeId())) {
                        use.merge(team, TeamQuotas.Use.of(w.spec(), n.info().market()), TeamQuotas.Use::add);
                    }
                }
                out.add(new Outcome(w, p, null));
            } else {
                // the quota, not nodes, keeps it waiting: it blocks no requeued job
                if (!quotaLimited.contains(w.jobId()) && (blocked == null
                        || PriorityClass.of(w.spec().spec().priority()).compareTo(PriorityClass.of(blocked.spec().spec().priority())) > 0)) {
                    blocked = w;
                }
                String reason = (w.resumeStep() < 0 ? "waiting for capacity: " : "waiting for capacity to resume from step "
                        + w.resumeStep() + ": ") + p.waitReason();
                if (!Objects.equals(reasons.put(w.jobId(), reason), reason)) out.add(new Outcome(w, p, reason));
            }
        }
        return out;
    }

    /**
     * The placement again with the nodes that would take the job's team over its quota left out: chosen from every fitting
     * free node in the scheduler's order (its survivors first), so a Spot node further down fills in for an on-demand one
     * the quota refuses; a wait when fewer than its min remain.
     */
    private Placement withinQuota(JobManager.WantsNodes w, Placement p, List<NodeRecord> left, TeamQuotas.Use used, PoolRisks risks) {
        var spec = w.spec();
        if (!quotas.names(TeamQuotas.team(spec))) return p;
        var ordered = new ArrayList<NodeRecord>();
        for (String id : w.preferred()) {
            left.stream().filter(n -> n.nodeId().equals(id) && GangScheduler.fits(spec.spec(), n)).findFirst().ifPresent(ordered::add);
        }
        for (NodeRecord n : GangScheduler.fitting(spec, left, risks)) if (!ordered.contains(n)) ordered.add(n);
        var within = quotas.within(spec, ordered, used);
        int max = w.atMost() > 0 ? Math.min(w.atMost(), spec.spec().workers().max()) : spec.spec().workers().max();
        if (within.size() >= spec.spec().workers().min()) {
            return Placement.on(within.stream().limit(max).map(NodeRecord::nodeId).toList());
        }
        return Placement.waitFor("team " + team(spec) + "'s quota leaves room for " + within.size() + " of the " + ordered.size()
                + " fitting free node(s) (quotas: maxGpus, maxOnDemandGpus), it needs " + spec.spec().workers().min());
    }

    /** Resuming with survivors that wait idle (not a requeued job: it holds nothing): placed before every other waiting job. */
    static boolean resumesFirst(JobManager.WantsNodes w) {
        return w.resumeStep() >= 0 && !w.requeued();
    }

    /** A job's team for fair share: its {@code team} label; jobs without one share one team. */
    static String team(JobSpec spec) {
        return TeamQuotas.team(spec);
    }
}
