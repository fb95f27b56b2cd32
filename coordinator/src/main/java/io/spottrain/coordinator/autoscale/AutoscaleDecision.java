package io.spottrain.coordinator.autoscale;

import io.spottrain.coordinator.autoscale.AutoscalePolicy.Metric;
import io.spottrain.coordinator.autoscale.FleetView.InFlight;
import io.spottrain.coordinator.autoscale.FleetView.Node;
import io.spottrain.coordinator.autoscale.FleetView.Waiting;
import io.spottrain.coordinator.launch.NodeLauncher.NodeShape;
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
     * market is {@code spot-with-fallback}); {@code pool}: the named pool it is launched in (null: the policy has none).
     */
    public record Launch(String jobId, int count, int gpus, NodeMarket market, List<String> instanceTypes, List<String> gpuModels,
            int minGpuMemoryGiB, boolean onDemandFallback, String pool, String zone) {
        public Launch {
            instanceTypes = instanceTypes == null ? List.of() : List.copyOf(instanceTypes);
            gpuModels = gpuModels == null ? List.of() : List.copyOf(gpuModels);
        }

        public Launch(String jobId, int count, int gpus, NodeMarket market, List<String> instanceTypes, List<String> gpuModels,
                int minGpuMemoryGiB, boolean onDemandFallback, String pool) {
            this(jobId, count, gpus, market, instanceTypes, gpuModels, minGpuMemoryGiB, onDemandFallback, pool, null);
        }

        public Launch(String jobId, int count, int gpus, NodeMarket market, List<String> instanceTypes, List<String> gpuModels,
                int minGpuMemoryGiB, boolean onDemandFallback) {
            this(jobId, count, gpus, market, instanceTypes, gpuModels, minGpuMemoryGiB, onDemandFallback, null);
        }

        public Launch(String jobId, int count, int gpus, NodeMarket market, List<String> instanceTypes, List<String> gpuModels,
                int minGpuMemoryGiB) {
            this(jobId, count, gpus, market, instanceTypes, gpuModels, minGpuMemoryGiB, false);
        }

        public Launch(String jobId, int count, int gpus, NodeMarket market, List<String> instanceTypes) {
            this(jobId, count, gpus, market, instanceTypes, List.of(), 0);
        }

        public Launch(String jobId, int count, int gpus, NodeMarket market) {
            this(jobId, count, gpus, market, List.of());
        }

        /** The same launch on on-demand capacity. */
        public Launch onDemand() {
            return new Launch(jobId, count, gpus, NodeMarket.ON_DEMAND, instanceTypes, gpuModels, minGpuMemoryGiB, false, pool, zone);
        }
    }

    /**
     * When the fleet last grew for waiting jobs ({@code up}: the scale-up cooldown runs from it), shrank ({@code down}), grew
     * for a minimum ({@code floor}), and when a launch for a minimum last failed ({@code floorFailed}: it is tried again a
     * scale-up cooldown later, not every tick); null: never.
     */
    public record Clocks(Instant up, Instant down, Instant floor, Instant floorFailed) {
        public Clocks(Instant up, Instant down) {
            this(up, down, null, null);
        }

        Instant changed() {
            return later(later(up, down), floor);
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

    /** As below, with the launcher's shapes not known (every pool is taken to have a shape for every launch). */
    public static Decision decide(AutoscalePolicy p, Instant now, FleetView fleet, List<InFlight> inFlight, Instant lastUp, Instant lastDown) {
        return tick(p, now, fleet, inFlight, new Clocks(lastUp, lastDown), null);
    }

    public static Decision decide(AutoscalePolicy p, Instant now, FleetView fleet, List<InFlight> inFlight, Instant lastUp, Instant lastDown,
            List<NodeShape> shapes) {
        return tick(p, now, fleet, inFlight, new Clocks(lastUp, lastDown), shapes);
    }

    /**
     * As {@link #decideForWaiting}, saying which waiting jobs a budget held back (they are not counted); {@code shapes}, the
     * launcher's (null: not known), decide which named pools can serve a launch.
     */
    public static Decision tick(AutoscalePolicy p, Instant now, FleetView fleet, List<InFlight> inFlight, Clocks clocks, List<NodeShape> shapes) {
        Decision d = decideForWaiting(p, now, fleet, inFlight, clocks, new PoolPlan(p.pools(), fleet.nodes(), inFlight, shapes, fleet.spotRisk()));
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

    private static Decision decideForWaiting(AutoscalePolicy p, Instant now, FleetView fleet, List<InFlight> inFlight, Clocks clocks,
            PoolPlan pools) {
        double metric = metric(p.metric(), fleet);
        // the minimums, whatever the cooldown (each pool's, then the fleet's), unless a launch for them failed within one
        var why = new ArrayList<String>();
        var floor = floor(p, now, fleet, inFlight, clocks, pools, why);
        String label = p.metric().label + " " + fmt(metric);
        Decision rest;
        if (!fleet.waiting().isEmpty()) {
            if (metric <= p.targetThreshold()) {
                rest = none(metric, label + " <= targetThreshold " + fmt(p.targetThreshold()) + ": " + fleet.waiting().size() + " job(s) wait");
            } else if (clocks.up() != null && now.isBefore(clocks.up().plus(p.scaleUpCooldown()))) {
                rest = none(metric, label + " > targetThreshold " + fmt(p.targetThreshold()) + ", but the scale-up cooldown runs until "
                        + clocks.up().plus(p.scaleUpCooldown()));
            } else {
                rest = up(p, metric, label, fleet, inFlight, floor, pools); // the minimums' launches count as capacity in flight
            }
        } else {
            rest = floor.isEmpty() ? down(p, now, metric, label, fleet, clocks, pools) : none(metric, label);
        }
        if (floor.isEmpty()) return why.isEmpty() ? rest : new Decision(rest.action(), metric, rest.launches(), rest.release(),
                String.join("; ", why) + "; " + rest.reason());
        var launches = new ArrayList<>(floor);
        launches.addAll(rest.launches());
        String reason = String.join("; ", why) + (rest.launches().isEmpty() ? "" : "; " + rest.reason());
        return new Decision(Action.SCALE_UP, metric, launches, List.of(), reason);
    }

    /** The launches that bring each pool, then the fleet, to its minimum (said in {@code why}); none while a failed one waits. */
    private static List<Launch> floor(AutoscalePolicy p, Instant now, FleetView fleet, List<InFlight> inFlight, Clocks clocks, PoolPlan pools,
            List<String> why) {
        int live = fleet.nodes().size();
        int flying = inFlight.size();
        if (clocks.floorFailed() != null && now.isBefore(clocks.floorFailed().plus(p.scaleUpCooldown()))) {
            if (live + flying < p.minNodes() || pools.belowMinimum()) {
                why.add("below a minimum, but a launch for it failed at " + clocks.floorFailed() + ": tried again at "
                        + clocks.floorFailed().plus(p.scaleUpCooldown()));
            }
            return List.of();
        }
        var floor = new ArrayList<>(pools.minimums(p.maxNodes() - live - flying, why));
        int planned = floor.stream().mapToInt(Launch::count).sum();
        if (live + flying + planned < p.minNodes()) {
            int n = p.minNodes() - live - flying - planned;
            var fill = pools.none() ? List.of(new Launch(null, n, 1, NodeMarket.SPOT)) : pools.fill(n);
            if (!fill.isEmpty()) {
                floor.addAll(fill);
                why.add(live + " node(s) + " + (flying + planned) + " in flight < limits.minNodes " + p.minNodes() + ": launching "
                        + fill.stream().mapToInt(Launch::count).sum());
            } else {
                why.add("below limits.minNodes " + p.minNodes() + ", but no pool has room and a launcher shape for it");
            }
        }
        return floor;
    }

    private static Decision up(AutoscalePolicy p, double metric, String label, FleetView fleet, List<InFlight> inFlight, List<Launch> floor,
            PoolPlan pools) {
        // free nodes and capacity in flight (the minimums' launches of this tick too) that fit a waiting job count for it first
        var free = new ArrayList<>(fleet.nodes().stream().filter(n -> !n.busy() && n.freeSince() != null)
                .map(n -> new Slot(n.instanceType(), n.gpus(), n.market(), n.interruptRisk(), false)).toList());
        inFlight.forEach(f -> free.add(new Slot(f.instanceType(), f.gpus(), f.market(), 0, true)));
        for (Launch l : floor) {
            String type = l.instanceTypes().size() == 1 ? l.instanceTypes().get(0) : null;
            for (int i = 0; i < l.count(); i++) free.add(new Slot(type, l.gpus(), l.market(), 0, true));
        }
        int room = p.maxNodes() - fleet.nodes().size() - inFlight.size() - floor.stream().mapToInt(Launch::count).sum();
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
            if (!pools.none()) { // the pools decide the market: reserved, then Spot where the job takes it, then on-demand, each within its maxNodes
                var planned = pools.forJob(w, need, skipped);
                if (planned.isEmpty()) continue;
                launches.addAll(planned.get());
                room -= need;
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

    /** Idle nodes go back Spot first (the likeliest to be taken anyway), then on-demand, reserved last (it saves nothing). */
    static int releaseOrder(NodeMarket m) {
        return switch (m) {
            case SPOT -> 0;
            case ON_DEMAND -> 1;
            case RESERVED -> 2;
        };
    }

    private static Decision down(AutoscalePolicy p, Instant now, double metric, String label, FleetView fleet, Clocks clocks, PoolPlan pools) {
        int spare = fleet.nodes().size() - p.minNodes();
        if (spare <= 0) return none(metric, label + "; " + fleet.nodes().size() + " node(s), limits.minNodes " + p.minNodes());
        Instant changed = clocks.changed();
        if (changed != null && now.isBefore(changed.plus(p.scaleDownCooldown()))) {
            return none(metric, label + "; the fleet last changed at " + changed + ", the scale-down cooldown runs until "
                    + changed.plus(p.scaleDownCooldown()));
        }
        var candidates = fleet.nodes().stream().filter(n -> n.releasable() && !n.busy() && n.freeSince() != null
                        && !now.isBefore(n.freeSince().plus(p.scaleDownCooldown())))
                .sorted(Comparator.comparingInt((Node n) -> releaseOrder(n.market())).thenComparing(Node::freeSince).thenComparing(Node::id))
                .toList();
        var idle = new ArrayList<String>();
        for (Node n : candidates) {
            if (idle.size() == spare) break;
            if (pools.release(n.market(), n.instanceType(), n.zone())) idle.add(n.id()); // never a pool below its minNodes
        }
        if (idle.isEmpty()) {
            return none(metric, label + "; no node has been free for the scale-down cooldown (" + secs(p.scaleDownCooldown()) + ")"
                    + (pools.none() ? "" : " outside a pool at its minNodes"));
        }
        return new Decision(Action.SCALE_DOWN, metric, List.of(), idle, label + ", nothing waits: releasing " + idle.size()
                + " node(s) free for at least " + secs(p.scaleDownCooldown()) + " (Spot first), keeping limits.minNodes " + p.minNodes()
                + (pools.none() ? "" : " and each pool's minNodes"));
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
