package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.membership.NodeEnd;
import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.coordinator.membership.NodeRegistry;
import io.spottrain.coordinator.membership.NodeState;
import io.spottrain.coordinator.scheduling.GangScheduler;
import io.spottrain.coordinator.scheduling.PoolRisks;
import io.spottrain.protocol.wire.AgentProtocol;
import io.spottrain.protocol.wire.InterruptionKind;
import io.spottrain.protocol.wire.NodeInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The job manager's view of the worker nodes: the live registry, each node's agent, the nodes
 * restored jobs still claim, and the lives the store had as alive that have not registered again.
 * Every change of a node's record is handed to {@code history} (stored as the node history). Not
 * thread-safe: the job manager's.
 */
final class WorkerNodes {
    private final NodeRegistry registry = new NodeRegistry();
    private final Map<String, ActorRef<AgentProtocol.Command>> agents = new HashMap<>();
    private final Map<ActorRef<AgentProtocol.Command>, String> nodeOf = new HashMap<>();
    /** Nodes of restored jobs, not registered again yet: node -> job. */
    private final Map<String, String> claims = new HashMap<>();
    /** Lives the store had as alive when this job manager started, by store key. */
    private final Map<String, NodeRecord> expected = new HashMap<>();
    /** The last departing notice each live node gave (how its life ends: {@link NodeEnd}). */
    private final Map<String, InterruptionKind> notices = new HashMap<>();
    /** Live nodes the autoscaler retired: their end is a release, not an interruption. */
    private final Set<String> retired = new HashSet<>();
    private final Consumer<NodeRecord> history;
    private final SpotRiskBook risks = new SpotRiskBook();
    /** The rendezvous port each live node offers for its next generation as rank 0, and the last one taken (never taken twice). */
    private final Map<String, Integer> offeredPorts = new HashMap<>();
    private final Map<String, Integer> takenPorts = new HashMap<>();
    /** The node that took each host's port last ("host:port"): agents sharing a host may offer the same port. */
    private final Map<String, String> portHolders = new HashMap<>();

    WorkerNodes(Consumer<NodeRecord> history) {
        this.history = n -> {
            risks.onChange(n);
            history.accept(n);
        };
    }

    /** How the Spot pools' interruption risks are estimated: over the lives of {@code window}, with {@code prior} per node-hour (per instance type). */
    void riskModel(Duration window, PoolRisks.Priors prior, List<NodeRecord> endedLives) {
        risks.configure(window, prior);
        risks.ended(endedLives);
    }

    /** The Spot pools' interruption risks now, from the ended lives in the window and the live nodes. */
    PoolRisks risks(Instant now) {
        return risks.risks(registry::all, now);
    }

    void claim(String nodeId, String jobId) {
        claims.put(nodeId, jobId);
    }

    void expect(List<NodeRecord> alive) {
        alive.forEach(n -> expected.put(n.key(), n));
    }

    boolean expecting() {
        return !expected.isEmpty();
    }

    /** The lives still expected are over: they did not register again. */
    void expectedGone(Instant now, String why) {
        expected.values().forEach(n -> history.accept(n.terminated(now.toString(), why, NodeEnd.LOST)));
        expected.clear();
    }

    /**
     * An agent described its node: it is live (again). Returns the job it belongs to (its job
     * before, or the restored job that claims it), or null.
     */
    String registered(AgentProtocol.NodeDescribed d, Instant now) {
        String nodeId = d.node().nodeId();
        var previous = agents.put(nodeId, d.agent());
        if (previous != null && !previous.equals(d.agent())) nodeOf.remove(previous);
        nodeOf.put(d.agent(), nodeId);
        String job = registry.get(nodeId).map(NodeRecord::jobId).orElse(claims.remove(nodeId));
        // earlier lives of this node that the store still had as alive ended when it registered again
        for (var it = expected.values().iterator(); it.hasNext();) {
            var old = it.next();
            if (old.nodeId().equals(nodeId)) {
                history.accept(old.terminated(now.toString(), "its agent registered again (a new life of the node)", NodeEnd.LOST));
                it.remove();
            }
        }
        notices.remove(nodeId); // every registration starts a new life: what the last one announced is over
        retired.remove(nodeId);
        history.accept(registry.register(d.node(), d.agent().path().address().toString(), now));
        offered(nodeId, d.agent(), d.rendezvousPort()); // what it offers now (0: none), as its heartbeats say too
        return job;
    }

    /** The node of this agent while it is that node's current agent (not an older incarnation). */
    Optional<String> nodeOf(ActorRef<AgentProtocol.Command> agent) {
        String nodeId = nodeOf.remove(agent);
        return nodeId != null && agent.equals(agents.get(nodeId)) ? Optional.of(nodeId) : Optional.empty();
    }

    /** The node is gone: it leaves the live registry for the history. Returns the job it served (or claimed), or null. */
    String lost(String nodeId, String why, Instant now) {
        agents.remove(nodeId);
        String job = registry.get(nodeId).map(NodeRecord::jobId).orElse(claims.remove(nodeId));
        var how = registry.get(nodeId).map(r -> NodeEnd.of(r.info().market(), notices.get(nodeId), retired.contains(nodeId)));
        notices.remove(nodeId);
        retired.remove(nodeId);
        offeredPorts.remove(nodeId);
        Integer taken = takenPorts.remove(nodeId);
        if (taken != null) registry.get(nodeId).ifPresent(r -> portHolders.remove(r.info().host() + ":" + taken, nodeId));
        how.flatMap(h -> registry.lost(nodeId, why, h, now)).ifPresent(history);
        return job;
    }

    /**
     * The node's agent offers {@code port} as the rendezvous port of its next generation as rank 0 (0: none). Kept while
     * {@code agent} is the node's current agent and the port is not the one last taken (the agent offers another once it
     * started a rank 0 on that one).
     */
    void offered(String nodeId, ActorRef<AgentProtocol.Command> agent, int port) {
        if (!agent.equals(agents.get(nodeId))) return;
        if (port <= 0 || Integer.valueOf(port).equals(takenPorts.get(nodeId))) offeredPorts.remove(nodeId);
        else offeredPorts.put(nodeId, port);
    }

    /**
     * The port the node offers, taken for a generation whose rank 0 it is (no one else gets it); 0 when it offers none, or
     * when another node of the same host took that port last (several agents on one machine pick from the same range: the
     * other's rank 0 may hold it; the generation asks for a port instead).
     */
    int takeRendezvousPort(String nodeId) {
        Integer port = offeredPorts.remove(nodeId);
        var node = registry.get(nodeId);
        if (port == null || node.isEmpty()) return 0;
        String host = node.get().info().host();
        String holder = portHolders.get(host + ":" + port);
        if (holder != null && !holder.equals(nodeId)) return 0;
        Integer before = takenPorts.put(nodeId, port);
        if (before != null) portHolders.remove(host + ":" + before, nodeId);
        portHolders.put(host + ":" + port, nodeId);
        return port;
    }

    void assign(String nodeId, String jobId) {
        registry.assign(nodeId, jobId).ifPresent(history);
    }

    void release(String nodeId, String jobId) {
        registry.release(nodeId, jobId).ifPresent(history);
    }

    /** Releases every node still assigned to {@code jobId} (a job whose actor is gone or never stored): a scan of the registry. */
    void releaseAll(String jobId) {
        for (NodeRecord n : registry.all()) {
            if (jobId.equals(n.jobId())) release(n.nodeId(), jobId);
        }
    }

    /** The node gave notice that it departs ({@code kind}): nothing new is placed on it. */
    void interrupting(String nodeId, InterruptionKind kind) {
        if (registry.get(nodeId).isPresent()) notices.put(nodeId, kind);
        registry.interrupting(nodeId).ifPresent(history);
    }

    /** The autoscaler retires the node: nothing new is placed on it, and its end is a release. */
    void retiring(String nodeId) {
        if (registry.get(nodeId).isPresent()) retired.add(nodeId);
        registry.interrupting(nodeId).ifPresent(history);
    }

    void unreachable(String nodeId) {
        registry.unreachable(nodeId).ifPresent(history);
    }

    /** A node suspected or unreachable that is heard of again. */
    void reachable(String nodeId) {
        registry.reachable(nodeId).ifPresent(history);
    }

    Optional<String> jobOf(String nodeId) {
        return registry.get(nodeId).map(NodeRecord::jobId);
    }

    List<NodeRecord> onAddress(String address) {
        return registry.byAddress(address);
    }

    /**
     * The free nodes in every job's order of preference ({@link GangScheduler#preferred}), unmodifiable: sorted once per change
     * of the registry, then filtered per job (a scheduling round asks several times; 1,000 nodes were scanned and sorted each).
     */
    List<NodeRecord> free() {
        if (freeVersion != registry.version() || freeSorted == null) {
            if (orderVersion != registry.membershipVersion() || order == null) {
                // the order depends on what a node is (market, GPUs, price, name), which only registering changes: all live
                // nodes are sorted once per membership change, and a job taking or giving back nodes costs a pass, not a sort
                // of every free node (the scale bench's burst sorted ~1,000 per placement)
                order = GangScheduler.preferred(registry.all()).stream().map(NodeRecord::nodeId).toList();
                orderVersion = registry.membershipVersion();
            }
            var out = new ArrayList<NodeRecord>();
            for (String id : order) registry.get(id).filter(NodeRecord::free).ifPresent(out::add);
            freeSorted = Collections.unmodifiableList(out);
            freeVersion = registry.version();
        }
        return freeSorted;
    }

    private List<NodeRecord> freeSorted;
    private long freeVersion = -1;
    /** Every live node's id, in every job's order of preference. */
    private List<String> order;
    private long orderVersion = -1;

    /** How many live nodes each job holds, in one pass (a plan over every job must not scan every node per job). */
    Map<String, Long> assignedCounts() {
        var counts = new HashMap<String, Long>();
        // a node under notice is leaving: a job holding one wants a node in its place (the notice window's swap)
        for (NodeRecord n : registry.all()) {
            if (n.jobId() != null && n.state() != NodeState.INTERRUPTING) counts.merge(n.jobId(), 1L, Long::sum);
        }
        return counts;
    }

    /**
     * Every name a machine of this cluster goes by while it is in the registry (live or unreachable),
     * claimed by a restored job, or expected back: node ids and, where known, instance ids.
     */
    Set<String> knownNames() {
        var names = new HashSet<>(claims.keySet());
        var records = new ArrayList<>(registry.all());
        records.addAll(expected.values());
        for (NodeRecord n : records) {
            names.add(n.nodeId());
            String instance = n.info().instanceId();
            if (instance != null && !instance.isBlank()) names.add(instance);
        }
        return names;
    }

    List<NodeRecord> all() {
        return registry.all();
    }

    NodeInfo info(String nodeId) {
        return registry.get(nodeId).orElseThrow().info();
    }

    Optional<NodeInfo> lastKnown(String nodeId) {
        return registry.lastKnown(nodeId).map(NodeRecord::info);
    }

    ActorRef<AgentProtocol.Command> agent(String nodeId) {
        return agents.get(nodeId);
    }

    /** What a node id may look like (the agent checks the same at start): it names files, log lines and URLs. */
    static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9][-A-Za-z0-9_.]{0,62}");

    /**
     * Why this agent may not register (its node id is no host-name-like label, or a live node holds
     * it at another address), as a log line; empty when it may.
     */
    Optional<String> refusal(AgentProtocol.NodeDescribed d) {
        String nodeId = d.node().nodeId();
        if (nodeId == null || !NODE_ID.matcher(nodeId).matches()) {
            return Optional.of("refused to register an agent at " + d.agent().path().address() + ": its node id is not a host-name-like label");
        }
        return heldByAnother(d).map(holder -> "refused to register node " + nodeId + " from " + d.agent().path().address()
                + ": that node id is live at " + holder + " (a second agent may not claim a live node's id; it registers once the first "
                + "is gone)");
    }

    /**
     * The address of the live agent that already holds this description's node id, when the
     * description comes from another agent at another address (a second agent claiming a live
     * node's id); empty otherwise (a first registration, the same agent again, or a restart at the
     * same address). The live one keeps the id until it is lost.
     */
    Optional<String> heldByAnother(AgentProtocol.NodeDescribed d) {
        var holder = agents.get(d.node().nodeId());
        if (holder == null || holder.equals(d.agent()) || registry.get(d.node().nodeId()).isEmpty()) return Optional.empty();
        String held = holder.path().address().toString();
        return held.equals(d.agent().path().address().toString()) ? Optional.empty() : Optional.of(held);
    }

    Map<String, ActorRef<AgentProtocol.Command>> agents() {
        return agents;
    }
}
