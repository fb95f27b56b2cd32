package io.spottrain.coordinator.membership;

import io.spottrain.protocol.wire.NodeInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every worker node the control plane has seen, by node id. Not thread-safe: owned by the job
 * manager actor. A node id that registers again (a restarted agent) replaces its old record.
 */
public final class NodeRegistry {
    private final Map<String, NodeRecord> nodes = new LinkedHashMap<>();

    public NodeRecord register(NodeInfo info, String address, Instant now) {
        var rec = new NodeRecord(info, NodeState.READY, null, address, now.toString(), null, null);
        nodes.put(info.nodeId(), rec);
        return rec;
    }

    public Optional<NodeRecord> get(String nodeId) {
        return Optional.ofNullable(nodes.get(nodeId));
    }

    public Optional<NodeRecord> byAddress(String address) {
        return nodes.values().stream().filter(n -> n.address().equals(address) && n.state() != NodeState.LOST).findFirst();
    }

    public void assign(String nodeId, String jobId) {
        update(nodeId, r -> r.with(NodeState.BUSY, jobId));
    }

    /** Frees a node after its job ended, unless it is already gone. */
    public void release(String nodeId) {
        update(nodeId, r -> r.state() == NodeState.LOST ? r : r.with(r.state() == NodeState.UNREACHABLE
                || r.state() == NodeState.INTERRUPTING ? r.state() : NodeState.READY, null));
    }

    /** The node announced its end (Spot notice, SIGTERM): it keeps its job but gets no new one. */
    public void interrupting(String nodeId) {
        update(nodeId, r -> r.state() == NodeState.LOST ? r : r.with(NodeState.INTERRUPTING, r.jobId()));
    }

    public void unreachable(String nodeId) {
        update(nodeId, r -> r.state() == NodeState.LOST ? r : r.with(NodeState.UNREACHABLE, r.jobId()));
    }

    public void reachable(String nodeId) {
        update(nodeId, r -> r.state() != NodeState.UNREACHABLE ? r
                : r.with(r.jobId() == null ? NodeState.READY : NodeState.BUSY, r.jobId()));
    }

    public void lost(String nodeId, String why, Instant now) {
        update(nodeId, r -> r.lost(now.toString(), why));
    }

    /** Free nodes, in registration order. */
    public List<NodeRecord> free() {
        return nodes.values().stream().filter(NodeRecord::free).toList();
    }

    public List<NodeRecord> all() {
        return new ArrayList<>(nodes.values());
    }

    private void update(String nodeId, java.util.function.UnaryOperator<NodeRecord> f) {
        nodes.computeIfPresent(nodeId, (k, r) -> f.apply(r));
    }
}
