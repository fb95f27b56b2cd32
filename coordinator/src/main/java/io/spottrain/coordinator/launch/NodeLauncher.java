package io.spottrain.coordinator.launch;

import java.util.List;

/**
 * Starts and stops worker nodes: local agent processes by default, EC2 instances in the cloud.
 * The coordinator owns this port; implementations live in the {@code launchers} module.
 */
public interface NodeLauncher extends AutoCloseable {

    /** Starts a node with these attributes; returns once it is launched (not yet registered). */
    LaunchedNode launch(NodeRequest request) throws LaunchException;

    /** Stops a node gracefully (the agent leaves the cluster), then forcibly after a grace period. */
    void stop(String nodeId);

    /** Kills a node at once with everything it runs, as a Spot reclaim without notice would. */
    void kill(String nodeId);

    /**
     * A Spot interruption: the node gets a notice {@code lead} ahead (through its instance metadata
     * where the launcher controls it) and is taken at the deadline. Default: a graceful stop, which
     * the agent reports as a SIGTERM notice.
     */
    default void notice(String nodeId, java.time.Duration lead) {
        stop(nodeId);
    }

    List<LaunchedNode> nodes();

    /** Stops every node this launcher started. */
    @Override
    void close();

    /** What to launch: {@code market} is "spot" or "on-demand". */
    record NodeRequest(String nodeId, String market, String instanceType, int gpus, double pricePerHour,
            double onDemandPricePerHour, String zone) {}

    /** A launched node; {@code pid} is 0 for nodes that are not local processes. */
    record LaunchedNode(String nodeId, String market, long pid, String logFile) {}

    final class LaunchException extends Exception {
        public LaunchException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
