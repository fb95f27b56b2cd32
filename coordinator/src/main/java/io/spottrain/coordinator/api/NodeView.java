package io.spottrain.coordinator.api;

import io.spottrain.coordinator.membership.NodeEnd;
import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.coordinator.scheduling.PoolRisks;
import io.spottrain.protocol.spec.NodeMarket;

/**
 * A node as the API shows it: workers from the node history, control nodes from their own records and cluster membership.
 * {@code end}: how a worker's life ended ({@link NodeEnd}; null while live, and for lives stored before it was recorded);
 * {@code interruptRisk}: a Spot worker's pool's estimated interruptions per node-hour (null for other markets).
 */
public record NodeView(
        String id,
        String role,
        String market,
        String instanceType,
        int gpus,
        double pricePerHour,
        double onDemandPricePerHour,
        String zone,
        String state,
        String job,
        long pid,
        String address,
        String launchedAt,
        String registeredAt,
        String terminatedAt,
        String reason,
        NodeEnd end,
        Double interruptRisk) {

    public static NodeView worker(NodeRecord n, PoolRisks risks) {
        var i = n.info();
        return new NodeView(i.nodeId(), "worker", i.market().label(), i.instanceType(), i.gpus(), i.pricePerHour(),
                i.onDemandPricePerHour(), i.zone(), n.state().name(), n.jobId(), i.pid(), n.address(), i.launchedAt(), n.registeredAt(),
                n.terminatedAt(), n.terminationReason(), n.end(),
                i.market() == NodeMarket.SPOT && risks.estimated(i.instanceType()) ? Math.round(risks.of(n) * 10_000) / 10_000.0 : null);
    }

    public static NodeView control(ControlNodeRecord c, String status) {
        String type = c.instanceType() == null ? "" : c.instanceType();
        String zone = c.zone() == null ? "" : c.zone();
        return new NodeView(c.id(), "control", "on-demand", type, 0, c.pricePerHour(), c.pricePerHour(), zone, status, null, c.pid(),
                c.address(), c.startedAt(), c.startedAt(), null, null, null, null);
    }
}
