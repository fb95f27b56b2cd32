package io.spottrain.launchers.local;

import io.spottrain.coordinator.launch.NodeLauncher.NodeRequest;
import io.spottrain.coordinator.launch.NodeLauncher.NodeShape;
import io.spottrain.protocol.spec.NodeMarket;
import java.util.List;

/**
 * Simulated attributes for local nodes, so a cluster on one machine looks like a mixed fleet:
 * g5.xlarge-like nodes at the public Spot price (~$0.42/h), on-demand price ($1.006/h) or about a
 * one-year no-upfront reservation's effective rate ($0.634/h), spread over two zones. These are labels and prices for scheduling and cost, not real hardware.
 */
public final class LocalFleet {
    public static final String INSTANCE_TYPE = "g5.xlarge";
    public static final double SPOT_PRICE = 0.42;
    public static final double ON_DEMAND_PRICE = 1.006;
    public static final double RESERVED_PRICE = 0.634;

    private LocalFleet() {}

    /** node{index}, 1-based. */
    public static NodeRequest node(int index, boolean spot) {
        return new NodeRequest("node" + index, spot ? NodeMarket.SPOT : NodeMarket.ON_DEMAND, INSTANCE_TYPE, 1,
                spot ? SPOT_PRICE : ON_DEMAND_PRICE, ON_DEMAND_PRICE, index % 2 == 1 ? "local-a" : "local-b");
    }

    /**
     * What a local cluster can launch: as many 1-GPU nodes of any market as this machine holds (no count is known; a
     * reserved pool's {@code maxNodes} stands for the size of the commitment).
     */
    public static List<NodeShape> shapes() {
        return List.of(new NodeShape(NodeMarket.SPOT, INSTANCE_TYPE, 1, SPOT_PRICE, 0),
                new NodeShape(NodeMarket.ON_DEMAND, INSTANCE_TYPE, 1, ON_DEMAND_PRICE, 0),
                new NodeShape(NodeMarket.RESERVED, INSTANCE_TYPE, 1, RESERVED_PRICE, 0));
    }
}
