package io.spottrain.coordinator.autoscale;

import io.spottrain.protocol.spec.Market;
import io.spottrain.protocol.spec.NodeMarket;
import java.time.Instant;
import java.util.List;

/**
 * What the autoscaler sees of the fleet at one tick (the job manager's registry and queue): every
 * live worker node, and every job waiting for nodes in queue order.
 */
public record FleetView(List<Node> nodes, List<Waiting> waiting) {

    public FleetView {
        nodes = List.copyOf(nodes);
        waiting = List.copyOf(waiting);
    }

    /** A live worker node; {@code freeSince} is when it last became free (null: busy, or retiring). */
    public record Node(String id, NodeMarket market, int gpus, boolean busy, Instant freeSince) {}

    /** A job waiting for {@code nodes} more nodes of at least {@code gpusPerWorker} GPUs on {@code market}. */
    public record Waiting(String jobId, int nodes, int gpusPerWorker, Market market) {}

    /** A launch asked for and not registered yet: capacity in flight. */
    public record InFlight(String nodeId, int gpus, NodeMarket market, Instant askedAt) {}
}
