package io.spottrain.coordinator.api;

import io.spottrain.coordinator.membership.NodeRecord;

/** A node as the API shows it: workers from the registry, control nodes from cluster membership. */
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
        String registeredAt,
        String lostAt,
        String lostReason) {

    public static NodeView worker(NodeRecord n) {
        var i = n.info();
        return new NodeView(i.nodeId(), "worker", i.market().label(), i.instanceType(), i.gpus(), i.pricePerHour(),
                i.onDemandPricePerHour(), i.zone(), n.state().name(), n.jobId(), i.pid(), n.address(), n.registeredAt(),
                n.lostAt(), n.lostReason());
    }

    public static NodeView control(String id, String address, String status, long pid) {
        return new NodeView(id, "control", "on-demand", "", 0, 0, 0, "", status, null, pid, address, null, null, null);
    }
}
