package io.spottrain.coordinator.api;

import io.spottrain.coordinator.membership.NodeRecord;

/** A node as the API shows it: workers from the node history, control nodes from their own records and cluster membership. */
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
        String reason) {

    public static NodeView worker(NodeRecord n) {
        var i = n.info();
        return new NodeView(i.nodeId(), "worker", i.market().label(), i.instanceType(), i.gpus(), i.pricePerHour(),
                i.onDemandPricePerHour(), i.zone(), n.state().name(), n.jobId(), i.pid(), n.address(), i.launchedAt(), n.registeredAt(),
                n.terminatedAt(), n.terminationReason());
    }

    public static NodeView control(ControlNodeRecord c, String status) {
        return new NodeView(c.id(), "control", "on-demand", "", 0, 0, 0, "", status, null, c.pid(), c.address(), null, c.startedAt(), null,
                null);
    }
}
