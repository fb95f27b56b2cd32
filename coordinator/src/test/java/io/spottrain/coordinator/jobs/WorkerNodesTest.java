package io.spottrain.coordinator.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.coordinator.scheduling.GangScheduler;
import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.wire.AgentProtocol;
import io.spottrain.protocol.wire.NodeInfo;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The rendezvous ports nodes offer: taken once, only from the node's current agent, forgotten with the node's life. */
class WorkerNodesTest {
    static ActorTestKit kit;
    static final Instant NOW = Instant.parse("2026-12-04T10:00:00Z");

    @BeforeAll
    static void start() {
        kit = ActorTestKit.create();
    }

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    static ActorRef<AgentProtocol.Command> agentRef() {
        return kit.createTestProbe(AgentProtocol.Command.class).getRef();
    }

    static void register(WorkerNodes nodes, String nodeId, ActorRef<AgentProtocol.Command> agent) {
        var info = new NodeInfo(nodeId, NodeMarket.SPOT, "g5.xlarge", 1, 0.42, 1.0, "z", "127.0.0.1", "", 0, null, NOW.toString());
        nodes.registered(new AgentProtocol.NodeDescribed(info, agent, List.of()), NOW);
    }

    static void register(WorkerNodes nodes, String nodeId, NodeMarket market, int gpus, double price) {
        var info = new NodeInfo(nodeId, market, "m" + gpus, gpus, price, 1.0, "z", "127.0.0.1", "", 0, null, NOW.toString());
        nodes.registered(new AgentProtocol.NodeDescribed(info, agentRef(), List.of()), NOW);
    }

    /** What free() was before the order was kept: the free nodes, sorted afresh. */
    static List<String> sortedAfresh(WorkerNodes nodes) {
        return GangScheduler.preferred(nodes.all().stream().filter(NodeRecord::free).toList()).stream().map(NodeRecord::nodeId).toList();
    }

    static List<String> free(WorkerNodes nodes) {
        return nodes.free().stream().map(NodeRecord::nodeId).toList();
    }

    @Test
    void theFreeNodesStayInEveryJobsOrderOfPreferenceThroughAssignsReleasesLossesAndNewNodes() {
        var nodes = new WorkerNodes(n -> {});
        register(nodes, "node10", NodeMarket.SPOT, 1, 0.40);
        register(nodes, "node2", NodeMarket.SPOT, 1, 0.40);
        register(nodes, "big1", NodeMarket.SPOT, 8, 3.00);
        register(nodes, "od1", NodeMarket.ON_DEMAND, 1, 1.00);
        register(nodes, "cheap", NodeMarket.SPOT, 1, 0.30);
        assertEquals(List.of("cheap", "node2", "node10", "big1", "od1"), free(nodes), "Spot, fewest GPUs, price, then name (node2 < node10)");
        nodes.assign("node2", "j-1");
        nodes.assign("cheap", "j-1");
        assertEquals(List.of("node10", "big1", "od1"), free(nodes));
        nodes.release("cheap", "j-1");
        assertEquals(List.of("cheap", "node10", "big1", "od1"), free(nodes), "a node given back takes its place again");
        nodes.unreachable("node10");
        assertEquals(sortedAfresh(nodes), free(nodes));
        nodes.lost("big1", "gone", NOW);
        register(nodes, "node3", NodeMarket.SPOT, 1, 0.40);
        register(nodes, "od1", NodeMarket.SPOT, 1, 0.35); // the same name registered again as another machine
        assertEquals(List.of("cheap", "od1", "node3"), free(nodes));
        assertEquals(sortedAfresh(nodes), free(nodes));
        nodes.release("node2", "j-1");
        assertEquals(sortedAfresh(nodes), free(nodes));
    }

    @Test
    void anOfferedPortIsTakenOnceAndNotAgainUntilTheAgentOffersAnother() {
        var nodes = new WorkerNodes(n -> {});
        var agent = agentRef();
        register(nodes, "node1", agent);
        assertEquals(0, nodes.takeRendezvousPort("node1"), "nothing offered yet");
        nodes.offered("node1", agent, 21000);
        assertEquals(21000, nodes.takeRendezvousPort("node1"));
        assertEquals(0, nodes.takeRendezvousPort("node1"), "taken once");
        nodes.offered("node1", agent, 21000); // a heartbeat sent before the agent started rank 0 on it
        assertEquals(0, nodes.takeRendezvousPort("node1"), "the port taken last is not taken again");
        nodes.offered("node1", agent, 21001);
        assertEquals(21001, nodes.takeRendezvousPort("node1"), "another port is");
    }

    @Test
    void anOfferFromAnotherAgentThanTheNodesOrOfNoPortIsNotKept() {
        var nodes = new WorkerNodes(n -> {});
        var agent = agentRef();
        register(nodes, "node1", agent);
        nodes.offered("node1", agentRef(), 21000); // an older incarnation's, or a poser's
        assertEquals(0, nodes.takeRendezvousPort("node1"));
        nodes.offered("node2", agent, 21000); // a node not registered
        assertEquals(0, nodes.takeRendezvousPort("node2"));
        nodes.offered("node1", agent, 21000);
        nodes.offered("node1", agent, 0); // withdrawn
        assertEquals(0, nodes.takeRendezvousPort("node1"));
    }

    @Test
    void aPortAnotherNodeOfTheSameHostTookLastIsNotTakenUntilThatNodeMovesOn() {
        var nodes = new WorkerNodes(n -> {});
        var a = agentRef();
        var b = agentRef();
        register(nodes, "node1", a); // both on 127.0.0.1: local agents pick their ports from the same range
        register(nodes, "node2", b);
        nodes.offered("node1", a, 21000);
        assertEquals(21000, nodes.takeRendezvousPort("node1"));
        nodes.offered("node2", b, 21000);
        assertEquals(0, nodes.takeRendezvousPort("node2"), "node1's rank 0 may hold it: node2's generation asks instead");
        nodes.offered("node1", a, 21001);
        assertEquals(21001, nodes.takeRendezvousPort("node1")); // node1's next rank 0 moved on
        nodes.offered("node2", b, 21000);
        assertEquals(21000, nodes.takeRendezvousPort("node2"), "no node holds it now");
    }

    @Test
    void aNodesOfferEndsWithItsLifeAndANewLifeOffersAfresh() {
        var nodes = new WorkerNodes(n -> {});
        var agent = agentRef();
        register(nodes, "node1", agent);
        nodes.offered("node1", agent, 21000);
        assertEquals(21000, nodes.takeRendezvousPort("node1"));
        nodes.offered("node1", agent, 21003);
        nodes.lost("node1", "gone", NOW);
        var again = agentRef();
        register(nodes, "node1", again);
        assertEquals(0, nodes.takeRendezvousPort("node1"), "the last life's offer is gone");
        nodes.offered("node1", agent, 21002);
        assertEquals(0, nodes.takeRendezvousPort("node1"), "the old agent's offers are not the node's now");
        nodes.offered("node1", again, 21000);
        assertEquals(21000, nodes.takeRendezvousPort("node1"), "a new life may offer the port the last one took");
    }
}
