package io.spottrain.coordinator.autoscale;

import io.spottrain.coordinator.autoscale.AutoscaleDecision.Launch;
import io.spottrain.coordinator.autoscale.FleetView.InFlight;
import io.spottrain.coordinator.autoscale.FleetView.Node;
import io.spottrain.coordinator.autoscale.FleetView.Waiting;
import io.spottrain.coordinator.launch.NodeLauncher.NodeShape;
import io.spottrain.protocol.spec.GpuCatalog;
import io.spottrain.protocol.spec.NodeMarket;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The named pools' side of one autoscaler tick (pure, one per tick): how many nodes each pool holds
 * (live, in flight, and what this tick plans), the launches that bring pools to their
 * {@code minNodes}, a waiting job's launches within the pools' {@code maxNodes} (Spot pools first
 * where the job takes Spot), and which releases keep every pool at its minimum.
 */
final class PoolPlan {

    /** A pool's count for {@code autoscaler status}. */
    record Count(String pool, NodeMarket market, int nodes, int inFlight, int minNodes, int maxNodes, String zone) {}

    private final List<CapacityPool> pools;
    /** The launcher's shapes; null: not known (every pool is taken to have a shape for every launch). */
    private final List<NodeShape> shapes;
    /** Per pool, the launcher's instance types whose nodes would count in it (the first pool that holds them); shapes known only. */
    private final Map<String, List<String>> owned = new LinkedHashMap<>();
    /** The lowest known Spot interruption risk per instance type (absent: not known). */
    private final Map<String, Double> spotRisk;
    private final Map<String, Integer> live = new LinkedHashMap<>();
    private final Map<String, Integer> flying = new LinkedHashMap<>();
    private final Map<String, Integer> planned = new LinkedHashMap<>();
    private final Map<String, Integer> released = new LinkedHashMap<>();

    PoolPlan(List<CapacityPool> pools, List<Node> nodes, List<InFlight> inFlight, List<NodeShape> shapes, Map<String, Double> spotRisk) {
        this.pools = pools;
        this.shapes = shapes;
        this.spotRisk = spotRisk;
        for (Node n : nodes) CapacityPool.of(pools, n.market(), n.instanceType(), n.zone()).ifPresent(p -> live.merge(p.name(), 1, Integer::sum));
        for (InFlight f : inFlight) {
            CapacityPool.of(pools, f.market(), f.instanceType(), f.zone()).ifPresent(p -> flying.merge(p.name(), 1, Integer::sum));
        }
        if (shapes != null) {
            for (CapacityPool p : pools) {
                owned.put(p.name(), shapes.stream().filter(s -> CapacityPool.owns(pools, p, s.market(), s.instanceType()))
                        .map(NodeShape::instanceType).distinct().toList());
            }
        }
    }

    /**
     * The instance types a launch in pool {@code p} for a job pinned to {@code jobTypes} (empty: any) may ask: the launcher's
     * types that count in {@code p} (never one an earlier pool holds), explicit; empty Optional: none. Shapes not known: the
     * pool's own list (empty: any).
     */
    private Optional<List<String>> typesFor(CapacityPool p, List<String> jobTypes) {
        if (shapes == null) return p.typesFor(jobTypes);
        var types = owned.get(p.name()).stream().filter(t -> jobTypes.isEmpty() || jobTypes.contains(t)).toList();
        return types.isEmpty() ? Optional.empty() : Optional.of(types);
    }

    boolean none() {
        return pools.isEmpty();
    }

    int held(CapacityPool p) {
        return live.getOrDefault(p.name(), 0) + flying.getOrDefault(p.name(), 0) + planned.getOrDefault(p.name(), 0);
    }

    /** Whether some pool has fewer nodes (live and in flight) than its {@code minNodes}. */
    boolean belowMinimum() {
        return pools.stream().anyMatch(p -> held(p) < p.minNodes());
    }

    List<Count> counts() {
        return pools.stream().map(p -> new Count(p.name(), p.market(), live.getOrDefault(p.name(), 0), flying.getOrDefault(p.name(), 0),
                p.minNodes(), p.maxNodes(), p.zone())).toList();
    }

    /** Launches that bring each pool up to its {@code minNodes}, at most {@code room} in all; each one said in {@code why}. */
    List<Launch> minimums(int room, List<String> why) {
        var out = new ArrayList<Launch>();
        for (CapacityPool p : pools) {
            int n = Math.min(p.minNodes() - held(p), room);
            if (n <= 0) continue;
            var types = typesFor(p, List.of());
            if (types.isEmpty() || !launchable(p, types.get(), 1, List.of(), 0)) {
                why.add("pool " + p.name() + " is below its minNodes " + p.minNodes() + ", but the launcher has no " + p.market().label()
                        + " shape that counts in it");
                continue;
            }
            why.add("pool " + p.name() + ": " + held(p) + " node(s) with those in flight < minNodes " + p.minNodes() + ": launching " + n);
            out.add(plan(new Launch(null, n, 1, p.market(), types.get(), List.of(), 0, false, p.name(), p.zone())));
            room -= n;
        }
        return out;
    }

    /** {@code n} nodes for the fleet's {@code minNodes}: in the pools in file order, within each pool's {@code maxNodes}. */
    List<Launch> fill(int n) {
        var out = new ArrayList<Launch>();
        for (CapacityPool p : pools) {
            int take = Math.min(n, p.maxNodes() - held(p));
            var types = typesFor(p, List.of());
            if (take <= 0 || types.isEmpty() || !launchable(p, types.get(), 1, List.of(), 0)) continue;
            out.add(plan(new Launch(null, take, 1, p.market(), types.get(), List.of(), 0, false, p.name(), p.zone())));
            n -= take;
        }
        return out;
    }

    /**
     * The launches for {@code need} more nodes of a waiting job: reserved pools first (paid for already), then Spot pools
     * (where the job takes Spot and a Spot pool can be quiet enough for it), then on-demand ones, file order within a market, each within its {@code maxNodes} and with
     * a launcher shape that fits the job. Empty when the pools cannot hold the whole gang: nothing is planned then, and
     * {@code why} says what they have room for.
     */
    Optional<List<Launch>> forJob(Waiting w, int need, List<String> why) {
        var out = new ArrayList<Launch>();
        var tried = new ArrayList<String>();
        int left = need;
        int gpus = Math.max(1, w.gpusPerWorker());
        var order = pools.stream().sorted(Comparator.comparingInt((CapacityPool p) -> p.market().preference())).toList();
        for (CapacityPool p : order) {
            if (left == 0) break;
            if (!w.market().admits(p.market()) || (p.market() == NodeMarket.SPOT && w.spotTooRisky())) continue;
            var types = typesFor(p, w.instanceTypes()).map(ts -> p.market() == NodeMarket.SPOT ? quietEnough(ts, w) : ts)
                    .filter(ts -> shapes == null || !ts.isEmpty());
            if (types.isEmpty() || !launchable(p, types.get(), gpus, w.gpuModels(), w.minGpuMemoryGiB())) continue;
            int room = Math.max(0, p.maxNodes() - held(p));
            tried.add(p.name() + " " + room + " of maxNodes " + p.maxNodes());
            int take = Math.min(left, room);
            if (take == 0) continue;
            out.add(new Launch(w.jobId(), take, gpus, p.market(), types.get(), w.gpuModels(), w.minGpuMemoryGiB(), false, p.name(), p.zone()));
            left -= take;
        }
        if (left > 0) {
            why.add(w.jobId() + " needs " + need + " more, " + (tried.isEmpty() ? "and no pool takes it (market, instance types, GPUs)"
                    : "its pools have room for " + (need - left) + " (" + String.join(", ", tried) + ")"));
            return Optional.empty();
        }
        out.forEach(this::plan);
        return Optional.of(out);
    }

    /**
     * Whether a live node of this market, type and zone may go without its pool's live nodes falling below {@code minNodes} (a
     * launch in flight may still fail: it does not stand in for a node that is up); if so it is counted gone.
     */
    boolean release(NodeMarket m, String instanceType, String zone) {
        var p = CapacityPool.of(pools, m, instanceType, zone);
        if (p.isEmpty()) return true;
        String name = p.get().name();
        if (live.getOrDefault(name, 0) - released.getOrDefault(name, 0) - 1 < p.get().minNodes()) return false;
        released.merge(name, 1, Integer::sum);
        return true;
    }

    /** Of these Spot types, those a job bounding the interruption risk may get a node of (no bound, or a type not known: all). */
    private List<String> quietEnough(List<String> types, Waiting w) {
        if (w.maxInterruptRisk() <= 0) return types;
        return types.stream().filter(t -> spotRisk.getOrDefault(t, 0.0) <= w.maxInterruptRisk()).toList();
    }

    private Launch plan(Launch l) {
        planned.merge(l.pool(), l.count(), Integer::sum);
        return l;
    }

    private boolean launchable(CapacityPool p, List<String> types, int gpus, List<String> gpuModels, int minGpuMemoryGiB) {
        return shapes == null || shapes.stream().anyMatch(s -> s.market() == p.market() && types.contains(s.instanceType()) && s.gpus() >= gpus
                && GpuCatalog.satisfies(s.instanceType(), gpuModels, minGpuMemoryGiB));
    }
}
