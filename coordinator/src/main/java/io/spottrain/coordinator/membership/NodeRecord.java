package io.spottrain.coordinator.membership;

import io.spottrain.protocol.wire.NodeInfo;

/**
 * One life of a worker node (from registration to loss), as the registry holds it and the node
 * history stores it: its attributes (with {@code launchedAt}), its state, the job it serves (or
 * null), its cluster address, and when it registered and (if so) ended, why, and how ({@link NodeEnd};
 * null in lives stored before it was recorded), as ISO-8601 instants.
 */
public record NodeRecord(
        NodeInfo info,
        NodeState state,
        String jobId,
        String address,
        String registeredAt,
        String terminatedAt,
        String terminationReason,
        NodeEnd end) {

    public String nodeId() {
        return info.nodeId();
    }

    /** The store key of this life of the node. */
    public String key() {
        return info.nodeId() + "@" + registeredAt;
    }

    public boolean free() {
        return state == NodeState.READY;
    }

    NodeRecord with(NodeState s, String job) {
        return new NodeRecord(info, s, job, address, registeredAt, terminatedAt, terminationReason, end);
    }

    /** This life of the node ended at {@code at}. */
    public NodeRecord terminated(String at, String why, NodeEnd how) {
        return new NodeRecord(info, NodeState.LOST, null, address, registeredAt, at, why, how);
    }
}
