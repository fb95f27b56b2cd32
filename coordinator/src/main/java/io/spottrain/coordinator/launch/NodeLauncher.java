package io.spottrain.coordinator.launch;

import io.spottrain.protocol.spec.NodeMarket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Starts and stops worker nodes: local agent processes by default, EC2 instances in the cloud.
 * The coordinator owns this port; implementations live in the {@code launchers} module.
 */
public interface NodeLauncher extends AutoCloseable {

    /**
     * Starts a node with these attributes; returns once it is launched (not yet registered). A
     * request without a node id gets one from the launcher (it knows which names it used).
     * After {@link #close} every launch is refused.
     */
    LaunchedNode launch(NodeRequest request) throws LaunchException;

    /**
     * Starts {@code count} nodes like {@code request} as one gang: all of them or none (a launcher
     * that can ask its cloud for a gang at once does; by default one launch after the other, and
     * those started are stopped again when one fails).
     */
    default List<LaunchedNode> launch(NodeRequest request, int count) throws LaunchException {
        var out = new ArrayList<LaunchedNode>();
        try {
            for (int i = 0; i < count; i++) out.add(launch(request));
        } catch (LaunchException e) {
            out.forEach(n -> stop(n.nodeId()));
            throw e;
        }
        return out;
    }

    /**
     * The shapes of node this launcher can start (empty: unknown), so a job that none of them
     * could ever hold is refused at submit instead of waiting forever.
     */
    default List<NodeShape> shapes() {
        return List.of();
    }

    /**
     * The pools (instance type and zone, as the launcher names them) it leaves out for now, with why
     * (a capacity error and until when): for {@code explain}. Default: none.
     */
    default Map<String, String> unavailable() {
        return Map.of();
    }

    /**
     * Housekeeping the job manager runs every few minutes, off its thread: {@code known} holds every
     * name (node id, instance id) of a machine that is registered, or was within the launcher's
     * grace, or that a restored job still expects. A cloud launcher adopts the machines of this
     * cluster it finds running, terminates those that never registered, and reads prices again.
     * Returns what it did, a line each, for the log (empty: nothing). Default: nothing to do.
     */
    default List<String> upkeep(Set<String> known) throws LaunchException {
        return List.of();
    }

    /** Stops a node gracefully (the agent leaves the cluster), then forcibly after a grace period. */
    void stop(String nodeId);

    /** Kills a node at once with everything it runs, as a Spot reclaim without notice would. */
    void kill(String nodeId);

    /**
     * A Spot interruption: the node gets a notice {@code lead} ahead (through its instance metadata
     * where the launcher controls it) and is taken at the deadline. Default: a graceful stop, which
     * the agent reports as a SIGTERM notice.
     */
    default void notice(String nodeId, Duration lead) {
        stop(nodeId);
    }

    List<LaunchedNode> nodes();

    /**
     * Whether this launcher's shapes are what its nodes cost, over what their agents report: a cloud launcher's agents
     * do not know their price (EC2's catalog and Spot price history do), a local launcher's were told it at their start.
     */
    default boolean pricesItsNodes() {
        return false;
    }

    /** Stops every node this launcher started. */
    @Override
    void close();

    /**
     * What to launch; {@code nodeId} null: the launcher names it. {@code zone}: the availability zone
     * it must run in (null: any the launcher picks). {@code job} and {@code labels} (null, empty:
     * none) say whom it is for: a cloud launcher tags the machine with them (ownership, cost allocation).
     */
    record NodeRequest(String nodeId, NodeMarket market, String instanceType, int gpus, double pricePerHour,
            double onDemandPricePerHour, String zone, String job, Map<String, String> labels, List<String> gpuModels, int minGpuMemoryGiB,
            List<String> instanceTypes) {

        public NodeRequest {
            labels = labels == null ? Map.of() : Map.copyOf(labels);
            gpuModels = gpuModels == null ? List.of() : List.copyOf(gpuModels);
            instanceTypes = instanceTypes == null ? List.of() : List.copyOf(instanceTypes);
        }

        public NodeRequest(String nodeId, NodeMarket market, String instanceType, int gpus, double pricePerHour, double onDemandPricePerHour,
                String zone, String job, Map<String, String> labels, List<String> gpuModels, int minGpuMemoryGiB) {
            this(nodeId, market, instanceType, gpus, pricePerHour, onDemandPricePerHour, zone, job, labels, gpuModels, minGpuMemoryGiB, List.of());
        }

        /**
         * The instance types the node may be (empty: any that fits): a job's {@code spec.placement.instanceTypes}, or the types of
         * the autoscaler's capacity pool. A launcher that picks among types (EC2's fleet) keeps to them.
         */
        public NodeRequest withTypes(List<String> types) {
            return new NodeRequest(nodeId, market, instanceType, gpus, pricePerHour, onDemandPricePerHour, zone, job, labels, gpuModels,
                    minGpuMemoryGiB, types);
        }

        public NodeRequest(String nodeId, NodeMarket market, String instanceType, int gpus, double pricePerHour, double onDemandPricePerHour,
                String zone, String job, Map<String, String> labels) {
            this(nodeId, market, instanceType, gpus, pricePerHour, onDemandPricePerHour, zone, job, labels, List.of(), 0);
        }

        /** The job's GPU needs ({@code spec.placement.gpuModels}, {@code minGpuMemoryGiB}): a launcher picking among types keeps to them. */
        public NodeRequest withGpu(List<String> models, int minMemoryGiB) {
            return new NodeRequest(nodeId, market, instanceType, gpus, pricePerHour, onDemandPricePerHour, zone, job, labels, models, minMemoryGiB,
                    instanceTypes);
        }

        public NodeRequest(String nodeId, NodeMarket market, String instanceType, int gpus, double pricePerHour, double onDemandPricePerHour,
                String zone) {
            this(nodeId, market, instanceType, gpus, pricePerHour, onDemandPricePerHour, zone, null, Map.of());
        }

        public NodeRequest withNodeId(String id) {
            return new NodeRequest(id, market, instanceType, gpus, pricePerHour, onDemandPricePerHour, zone, job, labels, gpuModels, minGpuMemoryGiB,
                    instanceTypes);
        }

        public NodeRequest forJob(String jobId, Map<String, String> jobLabels) {
            return new NodeRequest(nodeId, market, instanceType, gpus, pricePerHour, onDemandPricePerHour, zone, jobId, jobLabels, gpuModels,
                    minGpuMemoryGiB, instanceTypes);
        }
    }

    /** A kind of node a launcher can start; {@code maxNodes} how many at most (0: no limit it knows of). */
    record NodeShape(NodeMarket market, String instanceType, int gpus, double pricePerHour, int maxNodes) {}

    /** A launched node; {@code pid} is 0 for nodes that are not local processes. */
    record LaunchedNode(String nodeId, NodeMarket market, long pid, String logFile) {}

    final class LaunchException extends Exception {
        public LaunchException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
