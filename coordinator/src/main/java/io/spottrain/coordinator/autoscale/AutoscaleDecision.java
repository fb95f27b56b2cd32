package io.spottrain.coordinator.autoscale;

import io.spottrain.coordinator.autoscale.AutoscalePolicy.Metric;
import io.spottrain.coordinator.autoscale.FleetView.InFlight;
import io.spottrain.coordinator.autoscale.FleetView.Node;
import io.spottrain.coordinator.autoscale.FleetView.Waiting;
import io.spottrain.protocol.spec.NodeMarket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One tick of the autoscaler as a pure function: from the policy, the fleet, the capacity in
 * flight and when the fleet last grew and shrank, what to launch and what to release, and why.
 *
 * <ul>
 *   <li>Below {@code minNodes} (live + in flight): launch the difference, whatever the cooldown.</li>
 *   <li>The metric above {@code targetThreshold}, the scale-up cooldown over: launch what the
 *       waiting jobs need (each job's gang whole, in queue order, after the free nodes that fit them
 *       and the capacity in flight), never past {@code maxNodes}.</li>
 *   <li>Nothing waiting, the scale-down cooldown over since the fleet last changed: release free
 *       nodes that have been free a whole cooldown, Spot first, then the longest free, never below
 *       {@code minNodes}; a busy node is never released.</li>
 * </ul>
 */
public final class AutoscaleDecision {

    public enum Action { NONE, SCALE_UP, SCALE_DOWN }

    /**
     * Launch {@code count} nodes for {@code jobId} (null: for the fleet's minimum), of {@code gpus}
     * GPUs on {@code market}, of one of {@code instanceTypes} (empty: any), whose GPU is one of
     * {@code gpuModels} (empty: any) with at least {@code minGpuMemoryGiB} (0: any);
     * {@code onDemandFallback}: Spot asked, on-demand allowed where no Spot shape fits (the job's
     * market is {@code spot-with-fallback}).
     */
    public record Launch(String jobId, int count, int gpus, NodeMarket market, List<String> instanceTypes, List<String> gpuModels,
            int minGpuMemoryGiB, boolean onDemandFallback) {
        public Launch {
            gpuModels = gpuModels == null ? List.of() : List.copyOf(gpuModels);
        }

        public Launch(String jobId, int count, int gpus, NodeMarket market, List<String> instanceTypes, List<String> gpuModels,
                int minGpuMemoryGiB) {
            this(jobId, count, gpus, market, instanceTypes, gpuModels, minGpuMemoryGiB, false);
        }

        public Launch(String jobId, int count, int gpus, NodeMarket market, List<String> instanceTypes) {
            this(jobId, count, gpus, market, instanceTypes, List.of(), 0);
        }

        /** The same launch on on-demand capacity. */
        public Launch onDemand() {
            return new Launch(jobId, count, gpus, NodeMarket.ON_DEMAND, instanceTypes, gpuModels, minGpuMemoryGiB, false);
        }

        public Launch(String jobId, int count, int gpus, NodeMarket market) {
            this(jobId, count, gpus, market, List.of());
        }
    }

    public record Decision(Action action, double metric, List<Launch> launches, List<String> release, String reason) {
        public int launching() {
            return launches.stream().mapToInt(Launch::count).sum();
        }
    }

    private AutoscaleDecision() {}

    public static double metric(Metric m, FleetView fleet) {
        return switch (m) {
            case WAITING_JOBS_IN_QUEUE -> fleet.waiting().size();
            case PENDING_GPUS -> fleet.waiting().stream().mapToInt(w -> w.nodes() * Math.max(1, w.gpusPerWorker())).sum();
            case GPU_UTILIZATION -> {
                // demand, not only use: busy GPUs plus those the waiting jobs ask for, over the fleet's GPUs (capped at 100), so
                // an empty fleet with a job waiting, or idle nodes too small for a waiting gang, still reads as full
                int all = fleet.nodes().stream().mapToInt(n -> Math.max(1, n.gpus())).sum();
                int busy = fleet.nodes().stream().filter(Node::busy).mapToInt(n -> Math.max(1, n.gpus())).sum();
                int wanted = fleet.waiting().stream().mapToInt(w -> w.nodes() * Math.max(1, w.gpusPerWorker())).sum();
                yield busy + wanted == 0 ? 0 : all == 0 ? 100 : Math.min(100, 100.0 * (busy + wanted) / all);
            }
        };
    }

    /** As {@link #decideForWaiting}, saying which waiting jobs a budget held back (they are not counted). */
    public static Decision decide(AutoscalePolicy p, Instant now, FleetView fleet, List<InFlight> inFlight, Instant lastUp, Instant lastDown) {
        Decision d = decideForWaiting(p, now, fleet, inFlight, lastUp, lastDown);
        if (!fleet.quotaHeld().isEmpty()) {
            d = new Decision(d.action(), d.metric(), d.launches(), d.release(), d.reason() + "; not counted: their team's quota holds "
                    + fleet.quotaHeld().size() + " waiting job(s) " + fleet.quotaHeld());
        }
        if (fleet.heldBack().isEmpty()) return d;
        String heldBack = "not counted: " + fleet.heldBack().size() + " waiting job(s) an exceeded block-scale-up budget selects "
                + fleet.heldBack();
        if (d.action() == Action.SCALE_DOWN) { // jobs still wait: the free nodes they may get are not released under them
            return none(d.metric(), "nothing else waits, but no node is released while budget-held jobs wait; " + heldBack);
        }
        return new Decision(d.action(), d.metric(), d.launches(), d.release(), d.reason() + "; " + heldBack);
    }

    private static Decision decideForWaiting(AutoscalePolicy p, Instant now, FleetView fleet, List<InFlight> inFlight, Instant lastUp,
            Instant lastDown) {
        double metric = metric(p.metric(), fleet);
        int live = fleet.nodes().size();
        int flying = inFlight.size();
        if (live + flying < p.minNodes()) {
            int n = p.minNodes() - live - flying;
            return new Decision(Action.SCALE_UP, metric, List.of(new Launch(null, n, 1, NodeMarket.SPOT)), List.of(),
                    live + " node(s) + " + flying + " in flight < limits.minNodes " + p.minNodes() + ": launching " + n);
        }
        String label = p.metric().label + " " + fmt(metric);
        if (!fleet.waiting().isEmpty()) {
            if (metric <= p.targetThreshold()) {
                return none(metric, label + " <= targetThreshold " + fmt(p.targetThreshold()) + ": " + fleet.waiting().size() + " job(s) wait");
            }
            if (lastUp != null && now.isBefore(lastUp.plus(p.scaleUpCooldown()))) {
                return none(metric, label + " > targetThreshold " + fmt(p.targetThreshold()) + ", but the scale-up cooldown runs until "
                        + lastUp.plus(p.scaleUpCooldown()));
            }
            return up(p, metric, label, fleet, inFlight);
        }
        return down(p, now, metric, label, fleet, lastUp, lastDown);
    }

    private static Decision up(AutoscalePolicy p, double metric, String label, FleetView fleet, List<InFlight> inFlight) {
        // free nodes and capacity in flight that fit a waiting job count for it first
        var free = new ArrayList<>(fleet.nodes().stream().filter(n -> !n.busy() && n.freeSince() != null)
                .map(n -> new Slot(n.instanceType(), n.gpus(), n.market(), n.interruptRisk(), false)).toList());
        inFlight.forEach(f -> free.add(new Slot(f.instanceType(), f.gpus(), f.market(), 0, true)));
        int room = p.maxNodes() - fleet.nodes().size() - inFlight.size();
        var launches = new ArrayList<Launch>();
        var skipped = new ArrayList<String>();
        for (Waiting w : fleet.waiting()) {
            int need = w.nodes();
            for (var it = free.iterator(); it.hasNext() && need > 0; ) {
                var s = it.next();
                // a Spot launch in flight lands in a pool not known yet: no capacity for a job no known Spot pool is quiet enough for
                if (s.inFlight() && s.market() == NodeMarket.SPOT && w.spotTooRisky()) continue;
                if (w.fits(s.type(), s.gpus(), s.market(), s.risk())) {
                    it.remove();
                    need--;
                }
            }
            if (need == 0) continue;
            if (need > room) {
                skipped.add(w.jobId() + " needs " + need + " more, room for " + room + " (limits.maxNodes " + p.maxNodes() + ")");
                continue;
            }
            boolean spot = w.market().admits(NodeMarket.SPOT) && !w.spotTooRisky();
            if (!spot && !w.market().admits(NodeMarket.ON_DEMAND)) {
                skipped.add(w.jobId() + " takes Spot only, and every Spot pool it could use is riskier than its spec.placement.maxInterruptRisk "
                        + w.maxInterruptRisk());
                continue;
            }
            var market = spot ? NodeMarket.SPOT : NodeMarket.ON_DEMAND;
            launches.add(new Launch(w.jobId(), need, Math.max(1, w.gpusPerWorker()), market, w.instanceTypes(), w.gpuModels(),
                    w.minGpuMemoryGiB(), market == NodeMarket.SPOT && w.market().admits(NodeMarket.ON_DEMAND)));
            room -= need;
        }
        String tail = skipped.isEmpty() ? "" : "; not launched: " + String.join("; ", skipped);
        if (launches.isEmpty()) {
            return none(metric, label + " > targetThreshold " + fmt(p.targetThreshold()) + (skipped.isEmpty()
                    ? ", but free nodes and capacity in flight cover what waits" : ", but nothing can be launched") + tail);
        }
        int n = launches.stream().mapToInt(Launch::count).sum();
        return new Decision(Action.SCALE_UP, metric, launches, List.of(), label + " > targetThreshold " + fmt(p.targetThreshold())
                + ": launching " + n + " node(s) for " + launches.size() + " waiting job(s)" + tail);
    }

    private static Decision down(AutoscalePolicy p, Instant now, double metric, String label, FleetView fleet, Instant lastUp,
            Instant lastDown) {
        int spare = fleet.nodes().size() - p.minNodes();
        if (spare <= 0) return none(metric, label + "; " + fleet.nodes().size() + " node(s), limits.minNodes " + p.minNodes());
        Instant changed = later(lastUp, lastDown);
        if (changed != null && now.isBefore(changed.plus(p.scaleDownCooldown()))) {
            return none(metric, label + "; the fleet last changed at " + changed + ", the scale-down cooldown runs until "
                    + changed.plus(p.scaleDownCooldown()));
        }
        var idle = fleet.nodes().stream().filter(n -> !n.busy() && n.freeSince() != null && !now.isBefore(n.freeSince().plus(p.scaleDownCooldown())))
                .sorted(Comparator.comparing((Node n) -> n.market() != NodeMarket.SPOT).thenComparing(Node::freeSince).thenComparing(Node::id))
                .limit(spare).map(Node::id).toList();
        if (idle.isEmpty()) return none(metric, label + "; no node has been free for the scale-down cooldown (" + secs(p.scaleDownCooldown()) + ")");
        return new Decision(Action.SCALE_DOWN, metric, List.of(), idle, label + ", nothing waits: releasing " + idle.size()
                + " node(s) free for at least " + secs(p.scaleDownCooldown()) + " (Spot first), keeping limits.minNodes " + p.minNodes());
    }

    private record Slot(String type, int gpus, NodeMarket market, double risk, boolean inFlight) {}

    private static Decision none(double metric, String why) {
        return new Decision(Action.NONE, metric, List.of(), List.of(), why);
    }

    private static Instant later(Instant a, Instant b) {
        if (a == null) return b;
        if (b == null) return a;
        return a.isAfter(b) ? a : b;
    }

    private static String secs(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : String.format("%.1f s", d.toMillis() / 1000.0);
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : String.format("%.1f", d);
    }
}
