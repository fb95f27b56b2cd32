package io.spottrain.coordinator.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.spottrain.protocol.wire.AgentProtocol;
import io.spottrain.protocol.wire.ClusterConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The directory passes on the rendezvous port each agent offers (when it changes, and again every few heartbeats), and says an
 * agent is silent for as long as it stays silent.
 */
class AgentDirectoryTest {
    static ActorTestKit kit;

    @BeforeAll
    static void start() {
        var config = ClusterConfig.node(ClusterConfig.ROLE_CONTROL, "127.0.0.1", 0, List.of(), ConfigFactory.parseMap(Map.of(
                "pekko.loglevel", "WARNING", "pekko.coordinated-shutdown.exit-jvm", "off")));
        kit = ActorTestKit.create("spottrain", config);
        Cluster.get(kit.system()).manager().tell(Join.create(Cluster.get(kit.system()).selfMember().address()));
    }

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    /** A directory of its own and an agent it asked to describe itself (other tests' directories ask it too: not theirs). */
    private record Setup(TestProbe<AgentDirectory.Event> listener, TestProbe<AgentProtocol.Command> agent,
            AgentProtocol.DescribeNode describe) {}

    private static Setup start(Duration heartbeatInterval, Duration heartbeatTimeout) {
        var reports = kit.createTestProbe(AgentProtocol.Report.class);
        var listener = kit.createTestProbe(AgentDirectory.Event.class);
        kit.spawn(AgentDirectory.create(reports.getRef(), listener.getRef(),
                new AgentDirectory.Settings(heartbeatInterval, heartbeatTimeout)));
        TestProbe<AgentProtocol.Command> agent = kit.createTestProbe(AgentProtocol.Command.class);
        kit.system().receptionist().tell(Receptionist.register(AgentProtocol.SERVICE_KEY, agent.getRef()));
        return new Setup(listener, agent, ownDescribe(agent, reports.getRef(), Duration.ofSeconds(15)));
    }

    private static AgentProtocol.DescribeNode ownDescribe(TestProbe<AgentProtocol.Command> agent, ActorRef<AgentProtocol.Report> reports,
            Duration max) {
        var got = agent.fishForMessage(max, "asked to describe itself by this test's directory", m ->
                m instanceof AgentProtocol.DescribeNode d && d.replyTo().equals(reports) ? FishingOutcomes.complete()
                        : FishingOutcomes.continueAndIgnore());
        return (AgentProtocol.DescribeNode) got.get(got.size() - 1);
    }

    @Test
    void aRendezvousOfferIsPassedOnWhenItChangesAndRepeatedEveryFewHeartbeats() {
        // heartbeats every minute: the directory's sweep finds no silence while the test sends them by hand
        var t = start(Duration.ofMinutes(1), Duration.ofMinutes(5));
        var listener = t.listener();
        var agent = t.agent();
        var beats = t.describe().heartbeatTo();

        beats.tell(new AgentProtocol.Heartbeat("node1", agent.getRef(), 1, List.of(), 21000));
        assertEquals(new AgentDirectory.RendezvousOffered("node1", agent.getRef(), 21000),
                listener.expectMessageClass(AgentDirectory.RendezvousOffered.class));
        for (int seq = 2; seq < AgentDirectory.OFFER_REPEAT; seq++) beats.tell(new AgentProtocol.Heartbeat("node1", agent.getRef(), seq, List.of(), 21000));
        listener.expectNoMessage(Duration.ofMillis(200)); // unchanged: not passed on with every heartbeat
        beats.tell(new AgentProtocol.Heartbeat("node1", agent.getRef(), AgentDirectory.OFFER_REPEAT, List.of(), 21000));
        assertEquals(21000, listener.expectMessageClass(AgentDirectory.RendezvousOffered.class).port(), "repeated now and then");
        beats.tell(new AgentProtocol.Heartbeat("node1", agent.getRef(), AgentDirectory.OFFER_REPEAT + 1, List.of(), 21001));
        assertEquals(21001, listener.expectMessageClass(AgentDirectory.RendezvousOffered.class).port(), "a new port at once");
        beats.tell(new AgentProtocol.Heartbeat("node1", agent.getRef(), AgentDirectory.OFFER_REPEAT + 2, List.of(), 0));
        assertEquals(0, listener.expectMessageClass(AgentDirectory.RendezvousOffered.class).port(), "and none offered");
    }

    @Test
    void aSilentAgentIsSaidToBeSilentAgainAtEverySweepUntilItIsHeardAgain() {
        var t = start(Duration.ofMillis(200), Duration.ofMillis(600));
        var listener = t.listener();
        var agent = t.agent();
        // asked to describe itself, it answers and hangs: no heartbeat. Its answer may reach the job manager after the first
        // word of its silence; a node registered then must still be lost, so the silence is said again
        awaitSilence(listener, agent.getRef(), "the first time");
        awaitSilence(listener, agent.getRef(), "again, a sweep later");
        t.describe().heartbeatTo().tell(new AgentProtocol.Heartbeat("node2", agent.getRef(), 1, List.of(), 0));
        ownDescribe(agent, t.describe().replyTo(), Duration.ofSeconds(5)); // heard again: described afresh
    }

    /** Other tests' agents are in the same receptionist (and fall silent here too): only this agent's silence counts. */
    private static void awaitSilence(TestProbe<AgentDirectory.Event> listener, ActorRef<AgentProtocol.Command> agent, String when) {
        listener.fishForMessage(Duration.ofSeconds(5), "the agent said to be silent " + when, e ->
                e instanceof AgentDirectory.AgentSilent s && s.agent().equals(agent) ? FishingOutcomes.complete()
                        : FishingOutcomes.continueAndIgnore());
    }
}
