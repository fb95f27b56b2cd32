package io.spottrain.coordinator.autoscale;

import io.spottrain.protocol.spec.GpuCatalog;
import io.spottrain.protocol.spec.Market;
import io.spottrain.protocol.spec.NodeMarket;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What the autoscaler sees of the fleet at one tick (the job manager's registry and queue): every
 * live worker node, and every job waiting for nodes in queue order.
 */
public record FleetView(List<Node> nodes, List<Waiting> waiting, List<String> heldBack, List<String> quotaHeld, Map<String, Double> spotRisk) {

    /**
     * {@code heldBack}: waiting jobs left out of {@code waiting} because an exceeded {@code block-scale-up} budget selects
     * them (they may still run on a free node: none is released under them); {@code quotaHeld}: waiting jobs their team's
     * quota holds (no node, free or new, can serve them before their team gives one back: they keep nothing from release);
     * {@code spotRisk}: per Spot instance type the launcher has, the lowest interruption risk known of its pools (zones), or
     * its prior where none was seen (absent: not known).
     */
    public FleetView {
        nodes = List.copyOf(nodes);
        waiting = List.copyOf(waiting);
        heldBack = heldBack == null ? List.of() : List.copyOf(heldBack);
        quotaHeld = quotaHeld == null ? List.of() : List.copyOf(quotaHeld);
        spotRisk = spotRisk == null ? Map.of() : Map.copyOf(spotRisk);
    }

    public FleetView(List<Node> nodes, List<Waiting> waiting, List<String> heldBack, List<String> quotaHeld) {
        this(nodes, waiting, heldBack, quotaHeld, Map.of());
    }

    public FleetView(List<Node> nodes, List<Waiting> waiting, List<String> heldBack) {
        this(nodes, waiting, heldBack, List.of());
    }

    public FleetView(List<Node> nodes, List<Waiting> waiting) {
        this(nodes, waiting, List.of());
    }

    /**
     * A live worker node; {@code instanceId} its machine's id where known (EC2: what the launcher
     * calls it); {@code freeSince} is when it last became free (null: busy); {@code interruptRisk} its
     * pool's estimated Spot interruptions per node-hour (0: not Spot); {@code zone} where it runs (null: not known);
     * {@code releasable}: the launcher started or adopted it, so it may be given back (a machine that joined on its own,
     * such as a reserved one an operator runs, is never terminated by the autoscaler).
     */
    public record Node(String id, String instanceId, String instanceType, NodeMarket market, int gpus, boolean busy, Instant freeSince,
            double interruptRisk, String zone, boolean releasable) {
        public Node(String id, String instanceId, String instanceType, NodeMarket market, int gpus, boolean busy, Instant freeSince,
                double interruptRisk, String zone) {
            this(id, instanceId, instanceType, market, gpus, busy, freeSince, interruptRisk, zone, true);
        }

        public Node(String id, String instanceId, String instanceType, NodeMarket market, int gpus, boolean busy, Instant freeSince,
                double interruptRisk) {
            this(id, instanceId, instanceType, market, gpus, busy, freeSince, interruptRisk, null);
        }

        public Node(String id, String instanceId, NodeMarket market, int gpus, boolean busy, Instant freeSince) {
            this(id, instanceId, null, market, gpus, busy, freeSince, 0);
        }
    }

    /**
     * A job waiting for {@code nodes} more nodes of at least {@code gpusPerWorker} GPUs on
     * {@code market}, of one of {@code instanceTypes} where the spec pins them (empty: any), on Spot
     * pools interrupted at most {@code maxInterruptRisk} times per node-hour (0: any); {@code spotTooRisky}:
     * no Spot pool it could use is known to be within that (every one seen is riskier, and none was seen or
     * the prior alone is riskier too), so a Spot launch would give it nothing.
     */
    public record Waiting(String jobId, int nodes, int gpusPerWorker, Market market, List<String> instanceTypes, List<String> gpuModels,
            int minGpuMemoryGiB, double maxInterruptRisk, boolean spotTooRisky) {
        public Waiting {
            instanceTypes = instanceTypes == null ? List.of() : List.copyOf(instanceTypes);
            gpuModels = gpuModels == null ? List.of() : List.copyOf(gpuModels);
        }

        public Waiting(String jobId, int nodes, int gpusPerWorker, Market market, List<String> instanceTypes, List<String> gpuModels,
                int minGpuMemoryGiB) {
            this(jobId, nodes, gpusPerWorker, market, instanceTypes, gpuModels, minGpuMemoryGiB, 0, false);
        }

        public Waiting(String jobId, int nodes, int gpusPerWorker, Market market, List<String> instanceTypes) {
            this(jobId, nodes, gpusPerWorker, market, instanceTypes, List.of(), 0);
        }

        public Waiting(String jobId, int nodes, int gpusPerWorker, Market market) {
            this(jobId, nodes, gpusPerWorker, market, List.of());
        }

        /** Whether a node (or capacity in flight) of this type, GPUs and market can hold one of this job's workers. */
        public boolean fits(String instanceType, int gpus, NodeMarket m) {
            return fits(instanceType, gpus, m, 0);
        }

        /** As above, for a node whose pool is interrupted {@code interruptRisk} times per node-hour. */
        public boolean fits(String instanceType, int gpus, NodeMarket m, double interruptRisk) {
            return gpus >= gpusPerWorker && market.admits(m) && (instanceTypes.isEmpty() || instanceTypes.contains(instanceType))
                    && GpuCatalog.satisfies(instanceType, gpuModels, minGpuMemoryGiB) // an unknown type has no known GPU, as for placement
                    && (maxInterruptRisk <= 0 || m != NodeMarket.SPOT || interruptRisk <= maxInterruptRisk);
        }
    }

    /** A launch asked for and not registered yet: capacity in flight; {@code zone} the one it was asked in (null: any). */
    public record InFlight(String nodeId, String instanceType, int gpus, NodeMarket market, Instant askedAt, String zone) {
        public InFlight(String nodeId, String instanceType, int gpus, NodeMarket market, Instant askedAt) {
            this(nodeId, instanceType, gpus, market, askedAt, null);
        }

        public InFlight(String nodeId, int gpus, NodeMarket market, Instant askedAt) {
            this(nodeId, null, gpus, market, askedAt);
        }
    }
}
