package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.autoscale.CapacityPool;
import io.spottrain.coordinator.launch.NodeLauncher.NodeShape;
import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.wire.NodeInfo;
import java.util.List;
import java.util.Optional;

/**
 * What a registering node costs, for placement, the jobs' cost and the ledger (pure): the price of
 * its capacity pool where the pool names one (a reservation's effective rate); else, where the
 * launcher prices its nodes (EC2: its catalog and Spot price history), the launcher's shape of the
 * node's market and type; else what the agent reported. Its on-demand price (the savings' baseline)
 * is the launcher's on-demand shape of the type where the launcher prices its nodes, else reported.
 */
final class NodePricing {
    private NodePricing() {}

    static NodeInfo price(NodeInfo node, List<CapacityPool> pools, List<NodeShape> shapes, boolean launcherPrices) {
        Optional<Double> pool = CapacityPool.of(pools, node.market(), node.instanceType(), node.zone()).map(CapacityPool::pricePerHour);
        Optional<Double> shape = launcherPrices ? shapeOf(shapes, node.market(), node.instanceType()) : Optional.empty();
        double price = pool.or(() -> shape).orElse(node.pricePerHour());
        double onDemand = (launcherPrices ? shapeOf(shapes, NodeMarket.ON_DEMAND, node.instanceType()) : Optional.<Double>empty())
                .orElse(node.onDemandPricePerHour());
        if (price == node.pricePerHour() && onDemand == node.onDemandPricePerHour()) return node;
        return node.withPrices(price, onDemand);
    }

    private static Optional<Double> shapeOf(List<NodeShape> shapes, NodeMarket m, String type) {
        return shapes.stream().filter(s -> s.market() == m && s.instanceType().equals(type)).map(NodeShape::pricePerHour).findFirst();
    }
}
