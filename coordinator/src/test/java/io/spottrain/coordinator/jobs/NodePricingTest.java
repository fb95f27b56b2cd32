package io.spottrain.coordinator.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spottrain.coordinator.autoscale.CapacityPool;
import io.spottrain.coordinator.launch.NodeLauncher.NodeShape;
import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.wire.NodeInfo;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What a registering node costs: its pool's price, the launcher's where it prices its nodes, else what its agent said. */
class NodePricingTest {
    static final List<NodeShape> EC2 = List.of(new NodeShape(NodeMarket.SPOT, "g5.xlarge", 1, 0.38, 0),
            new NodeShape(NodeMarket.ON_DEMAND, "g5.xlarge", 1, 1.006, 0), new NodeShape(NodeMarket.SPOT, "p4d.24xlarge", 8, 9.8, 0),
            new NodeShape(NodeMarket.ON_DEMAND, "p4d.24xlarge", 8, 32.77, 0));
    static final CapacityPool RI = new CapacityPool("ri", NodeMarket.RESERVED, List.of("g5.xlarge"), 0, 4, null, null, 0.61);
    static final CapacityPool EDP_1A = new CapacityPool("edp-1a", NodeMarket.ON_DEMAND, List.of(), 0, 4, null, "us-east-1a", 0.85);
    static final CapacityPool PLAIN = new CapacityPool("spot", NodeMarket.SPOT, List.of(), 0, 4, null);

    /** An agent that reported the defaults it ships with (it cannot know better on EC2). */
    static NodeInfo node(NodeMarket m, String type, String zone) {
        return new NodeInfo("n", m, type, 1, 0.42, 1.006, zone, "10.0.0.1", "i-1", 1, null, null);
    }

    static Stream<Arguments> table() {
        var spot = NodeMarket.SPOT;
        var od = NodeMarket.ON_DEMAND;
        var res = NodeMarket.RESERVED;
        return Stream.of(
                // name, node, pools, launcher prices its nodes, expected price, expected on-demand price
                Arguments.of("a local node keeps what it was told", node(spot, "g5.xlarge", "local-a"), List.of(), false, 0.42, 1.006),
                Arguments.of("an EC2 Spot node: the Spot price history's", node(spot, "g5.xlarge", "us-east-1a"), List.of(PLAIN), true, 0.38, 1.006),
                Arguments.of("an EC2 p4d: not the agent's default", node(spot, "p4d.24xlarge", "us-east-1a"), List.of(), true, 9.8, 32.77),
                Arguments.of("a type the launcher has no shape for keeps what it reported", node(spot, "g6.xlarge", "us-east-1a"), List.of(),
                        true, 0.42, 1.006),
                Arguments.of("a reserved node at its commitment's rate, its baseline the catalog's", node(res, "g5.xlarge", "us-east-1a"),
                        List.of(RI), true, 0.61, 1.006),
                Arguments.of("... and locally too (the pool's price is the bill)", node(res, "g5.xlarge", "local-a"), List.of(RI), false, 0.61,
                        1.006),
                Arguments.of("a discounted on-demand pool in its zone", node(od, "g5.xlarge", "us-east-1a"), List.of(EDP_1A), true, 0.85, 1.006),
                Arguments.of("... not in another zone: the catalog's", node(od, "g5.xlarge", "us-east-1b"), List.of(EDP_1A), true, 1.006, 1.006),
                Arguments.of("a pool without a price leaves the launcher's", node(spot, "g5.xlarge", "us-east-1b"), List.of(PLAIN, RI), true, 0.38,
                        1.006));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void prices(String name, NodeInfo node, List<CapacityPool> pools, boolean launcherPrices, double price, double onDemand) {
        NodeInfo priced = NodePricing.price(node, pools, EC2, launcherPrices);
        assertEquals(price, priced.pricePerHour(), 1e-9);
        assertEquals(onDemand, priced.onDemandPricePerHour(), 1e-9);
        assertEquals(node.withPrices(price, onDemand), priced, "nothing else changes");
    }
}
