package io.spottrain.coordinator.membership;

import io.spottrain.protocol.wire.NodeInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The live worker nodes by id, and the last lives of nodes that are gone (bounded: for replacing
 * them like for like). Not thread-safe: owned by the job manager actor. Every change returns the
 * changed record, so the owner can store it in the node history. A node id that registers again
 * (a restarted agent) replaces its old record.
 */
public final class NodeRegistry {
    private static final int RECENTLY_GONE = 1024;

    private final Map<String, NodeRecord> live = new LinkedHashMap<>();
    private final Map<String, NodeRecord> gone = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, NodeRecord> eldest) {
            return size() > RECENTLY_GONE;
        }
    };

    /** Counts every change of the live nodes: a view derived from them (the free nodes, sorted) is reused while it is the same. */
    private long version;
    /** Counts the changes of which nodes are live (and of what they are): a node registered or gone, not a job taking one. */
    private long membership;

    public NodeRecord register(NodeInfo info, String address, Instant now) {
        var rec = new NodeRecord(info, NodeState.READY, null, address, now.toString(), null, null, null);
        live.put(info.nodeId(), rec);
        version++;
        membership++;
        gone.remove(info.nodeId());
        return rec;
    }

    public Optional<NodeRecord> get(String nodeId) {
        return Optional.ofNullable(live.get(nodeId));
    }

    /** A live node, else the last life of a node that is gone. */
    public Optional<NodeRecord> lastKnown(String nodeId) {
        return Optional.ofNullable(live.getOrDefault(nodeId, gone.get(nodeId)));
    }

    public Optional<NodeRecord> assign(String nodeId, String jobId) {
        return update(nodeId, r -> r.with(NodeState.BUSY, jobId));
    }

    /** Frees a node after its job ended or its generation closed; an interrupting or unreachable node stays so. */
    public Optional<NodeRecord> release(String nodeId, String jobId) {
        return update(nodeId, r -> !jobId.equals(r.jobId()) ? r
                : r.with(r.state() == NodeState.UNREACHABLE || r.state() == NodeState.INTERRUPTING ? r.state() : NodeState.READY, null));
    }

    /** The node announced its end (Spot notice, SIGTERM): it keeps its job but gets no new one. */
    public Optional<NodeRecord> interrupting(String nodeId) {
        return update(nodeId, r -> r.with(NodeState.INTERRUPTING, r.jobId()));
    }

    public Optional<NodeRecord> unreachable(String nodeId) {
        return update(nodeId, r -> r.state() == NodeState.INTERRUPTING ? r : r.with(NodeState.UNREACHABLE, r.jobId()));
    }

    /** A node that was unreachable answers again (a heartbeat, a report). */
    public Optional<NodeRecord> reachable(String nodeId) {
        var r = live.get(nodeId);
        if (r == null || r.state() != NodeState.UNREACHABLE) return Optional.empty();
        return update(nodeId, n -> n.with(n.jobId() == null ? NodeState.READY : NodeState.BUSY, n.jobId()));
    }

    /** The node is gone: it leaves the live registry; its final record is returned for the history. */
    public Optional<NodeRecord> lost(String nodeId, String why, NodeEnd how, Instant now) {
        var r = live.remove(nodeId);
        if (r == null) return Optional.empty();
        version++;
        membership++;
        var done = r.terminated(now.toString(), why, how);
        gone.put(nodeId, done);
        return Optional.of(done);
    }

    /** Live nodes on a cluster address (several simulated agents may share one). */
    public List<NodeRecord> byAddress(String address) {
        return live.values().stream().filter(n -> n.address().equals(address)).toList();
    }

    /** Free nodes, in registration order. */
    public List<NodeRecord> free() {
        return live.values().stream().filter(NodeRecord::free).toList();
    }

    public List<NodeRecord> all() {
        return new ArrayList<>(live.values());
    }

    public int size() {
        return live.size();
    }

    /** Changes with every change of a live node's record (registered, changed, gone). */
    public long version() {
        return version;
    }

    /** Changes when a node registers or leaves the live registry (not when its state or job changes). */
    public long membershipVersion() {
        return membership;
    }

    private Optional<NodeRecord> update(String nodeId, UnaryOperator<NodeRecord> f) {
        var r = live.get(nodeId);
        if (r == null) return Optional.empty();
        var next = f.apply(r);
        if (next.equals(r)) return Optional.empty();
        live.put(nodeId, next);
        version++;
        return Optional.of(next);
    }
}
