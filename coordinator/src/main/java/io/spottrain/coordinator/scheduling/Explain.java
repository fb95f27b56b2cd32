package io.spottrain.coordinator.scheduling;

import io.spottrain.coordinator.launch.NodeLauncher.NodeShape;
import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.coordinator.scheduling.GangScheduler.Constraint;
import io.spottrain.protocol.spec.JobSpec;
import io.spottrain.protocol.spec.NodeMarket;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Why a job is where it is ({@code ./spottrain explain JOB}): the scheduler's rules applied again to
 * what the store holds now. Live nodes are grouped into pools (market, instance type, zone, GPUs,
 * price); each pool fits the job or is kept off by the first spec constraint it fails, named by its
 * field; fitting nodes are free, held by this job, or held by others; the launcher's shapes say what
 * could still be started, and the pools it left out (capacity errors) say why not. For a waiting job
 * the jobs placed before it are listed in the scheduler's order. Pure: the API gathers the input.
 */
public final class Explain {
    private Explain() {}

    /** A job waiting for nodes: {@code resuming} jobs (after a recovery) are placed before new ones. */
    public record Queued(String jobId, int priority, String submittedAt, boolean resuming) {}

    /**
     * What the store and the launcher say now. {@code state} is the job's state name ({@code ended}: a
     * terminal one); {@code pendingReason} set while it waits for nodes (a recovering job too, which
     * still lists its closed generation's members); {@code members} the nodes of its current (or
     * last) generation; {@code target} the world size it aims for (desired count
     * or max); {@code unavailable} the launcher's pools left out, with why; {@code waiting} every job
     * waiting for nodes, this one included if it waits; {@code growthSkipped} why its last growth in
     * this generation was judged not worth it (null: none was).
     */
    public record Input(String jobId, JobSpec spec, String state, boolean ended, String reason, String pendingReason, long generation,
            List<String> members, int target, List<NodeRecord> live, List<NodeShape> fleet, Map<String, String> unavailable,
            List<Queued> waiting, String growthSkipped, PoolRisks risks) {
        public Input(String jobId, JobSpec spec, String state, boolean ended, String reason, String pendingReason, long generation,
                List<String> members, int target, List<NodeRecord> live, List<NodeShape> fleet, Map<String, String> unavailable,
                List<Queued> waiting, String growthSkipped) {
            this(jobId, spec, state, ended, reason, pendingReason, generation, members, target, live, fleet, unavailable, waiting, growthSkipped,
                    PoolRisks.NONE);
        }

        public Input(String jobId, JobSpec spec, String state, boolean ended, String reason, String pendingReason, long generation,
                List<String> members, int target, List<NodeRecord> live, List<NodeShape> fleet, Map<String, String> unavailable,
                List<Queued> waiting) {
            this(jobId, spec, state, ended, reason, pendingReason, generation, members, target, live, fleet, unavailable, waiting, null,
                    PoolRisks.NONE);
        }
    }

    /**
     * A group of live nodes alike for placement, and what it means for this job. {@code interruptRisk}: a Spot pool's
     * estimated interruptions per node-hour and what the estimate rests on (null for other markets).
     */
    public record Pool(String market, String instanceType, String zone, int gpus, double pricePerHour, int nodes, int free,
            int thisJob, List<String> heldBy, boolean fits, String misfit, String interruptRisk) {}

    /** A shape of node the launcher can start, and whether it would fit the job. */
    public record Shape(String market, String instanceType, int gpus, double pricePerHour, int maxNodes, boolean fits, String misfit) {}

    /** The answer (one line), the reasons behind it, and the evidence. */
    public record Explanation(String jobId, String state, String answer, List<String> why, List<Pool> pools, List<Shape> fleet,
            List<String> unavailable, List<String> placedBefore) {}

    public static Explanation of(Input in) {
        var spec = in.spec().spec();
        var pools = pools(in);
        var fleet = in.fleet().stream().map(s -> {
            Constraint c = GangScheduler.misfit(spec, s.market(), s.instanceType(), s.gpus(), s.pricePerHour());
            return new Shape(s.market().label(), s.instanceType(), s.gpus(), s.pricePerHour(), s.maxNodes(), c == null,
                    c == null ? null : c.why(spec, s.market(), s.instanceType(), s.gpus(), s.pricePerHour()));
        }).toList();
        var unavailable = in.unavailable().entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).toList();
        int min = spec.workers().min();
        int freeFitting = pools.stream().filter(Pool::fits).mapToInt(Pool::free).sum();
        var heldBy = new TreeSet<String>();
        pools.stream().filter(Pool::fits).forEach(p -> heldBy.addAll(p.heldBy()));
        int busyFitting = pools.stream().filter(Pool::fits).mapToInt(p -> p.nodes() - p.free() - p.thisJob()).sum();
        var why = new ArrayList<String>();
        String answer;
        List<String> before = List.of();
        if (in.ended()) {
            answer = "ended " + in.state() + (in.reason() == null ? "" : ": " + in.reason());
        } else if (!in.members().isEmpty() && in.pendingReason() == null) {
            answer = in.state().toLowerCase(Locale.ROOT) + " on " + in.members().size() + " node(s), generation " + in.generation() + ": "
                    + String.join(", ", in.members().stream().map(m -> describe(m, in.live())).toList());
            why.add("nodes are chosen reserved first, then Spot (for spot-with-fallback), then the tightest GPU fit, then the lowest price");
            int world = in.members().size();
            if (world < in.target()) {
                why.add(freeFitting > 0
                        ? freeFitting + " free node(s) fit it: it grows toward " + in.target() + " at its next safe point (after the "
                                + "scale-up cooldown, when the growth saves more training time than it costs)"
                        : "it would grow to " + in.target() + ", but no free node fits it" + busy(busyFitting, heldBy));
                if (in.growthSkipped() != null) why.add("its last growth in generation " + in.generation() + " was skipped: " + in.growthSkipped());
            } else if (world > in.target()) {
                why.add("world size " + world + " is above its target " + in.target() + " (the desired count): it gives nodes back at "
                        + "its next safe point");
            } else {
                why.add("world size " + world + " is its target (" + (in.target() == spec.workers().max() ? "spec.workers.max" : "the desired count") + ")");
            }
        } else {
            answer = "waits: " + (in.pendingReason() == null ? "for its turn" : in.pendingReason());
            why.add(freeFitting + " free node(s) fit it, it needs " + min + " (spec.workers.min)" + busy(busyFitting, heldBy));
            before = placedBefore(in);
            if (!before.isEmpty()) why.add("placed before it (resuming jobs, then priority, then submission; fair share by team within a priority): "
                    + String.join(", ", before));
        }
        if (!in.ended()) {
            pools.stream().filter(p -> !p.fits()).map(p -> p.nodes() + " " + p.market() + " " + p.instanceType() + " node(s) in " + p.zone()
                    + " are kept off by " + p.misfit()).forEach(why::add);
            if (!fleet.isEmpty() && fleet.stream().noneMatch(Shape::fits)) {
                why.add("no node the launcher can start fits it: " + fleet.get(0).misfit());
            }
            unavailable.forEach(u -> why.add("the launcher leaves a pool out for now: " + u));
        }
        return new Explanation(in.jobId(), in.state(), answer, List.copyOf(why), pools, fleet, unavailable, before);
    }

    private static List<Pool> pools(Input in) {
        var spec = in.spec().spec();
        var groups = new LinkedHashMap<String, List<NodeRecord>>();
        in.live().stream().filter(n -> n.state().live())
                .sorted(Comparator.comparing((NodeRecord n) -> n.info().market()).thenComparing(n -> n.info().instanceType())
                        .thenComparing(n -> n.info().zone()).thenComparing(NodeRecord::nodeId))
                .forEach(n -> groups.computeIfAbsent(n.info().market().label() + "|" + n.info().instanceType() + "|" + n.info().zone() + "|"
                        + n.info().gpus() + "|" + n.info().pricePerHour(), k -> new ArrayList<>()).add(n));
        var out = new ArrayList<Pool>();
        for (var nodes : groups.values()) {
            var i = nodes.get(0).info();
            double risk = in.risks().of(i.market(), i.instanceType(), i.zone());
            Constraint c = GangScheduler.misfit(spec, i.market(), i.instanceType(), i.gpus(), i.pricePerHour(), risk);
            int free = (int) nodes.stream().filter(NodeRecord::free).count();
            int mine = (int) nodes.stream().filter(n -> in.jobId().equals(n.jobId())).count(); // the registry's word: an ended job holds none
            var others = nodes.stream().map(NodeRecord::jobId).filter(j -> j != null && !j.equals(in.jobId())).distinct().sorted().toList();
            String riskText = i.market() == NodeMarket.SPOT && in.risks().estimated(i.instanceType()) ? in.risks().risk(i.instanceType(), i.zone()).describe() : null;
            out.add(new Pool(i.market().label(), i.instanceType(), i.zone(), i.gpus(), i.pricePerHour(), nodes.size(), free, mine, others,
                    c == null, c == null ? null : c.why(spec, i.market(), i.instanceType(), i.gpus(), i.pricePerHour(), risk), riskText));
        }
        return out;
    }

    /** The waiting jobs the scheduler serves before this one (the placement queue's order, without the fair-share step). */
    private static List<String> placedBefore(Input in) {
        var order = Comparator.comparing((Queued q) -> !q.resuming()).thenComparingInt(q -> -q.priority()).thenComparing(Queued::submittedAt);
        var self = in.waiting().stream().filter(q -> q.jobId().equals(in.jobId())).findFirst();
        if (self.isEmpty()) return List.of();
        return in.waiting().stream().filter(q -> !q.jobId().equals(in.jobId()) && order.compare(q, self.get()) < 0).sorted(order)
                .map(Queued::jobId).toList();
    }

    private static String busy(int busyFitting, TreeSet<String> heldBy) {
        return busyFitting == 0 ? "" : "; " + busyFitting + " more fit but are not free" + (heldBy.isEmpty() ? "" : " (jobs " + String.join(", ", heldBy) + ")");
    }

    private static String describe(String nodeId, List<NodeRecord> live) {
        return live.stream().filter(n -> n.nodeId().equals(nodeId)).findFirst()
                .map(n -> nodeId + " (" + n.info().market().label() + " " + n.info().instanceType() + " " + n.info().zone() + " $"
                        + n.info().pricePerHour() + "/h)")
                .orElse(nodeId + " (gone from the live registry)");
    }

}
