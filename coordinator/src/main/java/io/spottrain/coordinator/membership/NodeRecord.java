package io.spottrain.coordinator.membership;

import io.spottrain.protocol.wire.NodeInfo;
import io.spottrain.protocol.wire.WireMessage;

/**
 * A node in the registry: its attributes, its state, the job it serves (or null), its cluster
 * address, and when it registered and (if so) was lost, as ISO-8601 instants.
 */
public record NodeRecord(
        NodeInfo info,
        NodeState state,
        String jobId,
        String address,
        String registeredAt,
        String lostAt,
        String lostReason) implements WireMessage {

    public String nodeId() {
        return info.nodeId();
    }

    public boolean free() {
        return state == NodeState.READY;
    }

    NodeRecord with(NodeState s, String job) {
        return new NodeRecord(info, s, job, address, registeredAt, lostAt, lostReason);
    }

    NodeRecord lost(String at, String why) {
        return new NodeRecord(info, NodeState.LOST, null, address, registeredAt, at, why);
    }
}
