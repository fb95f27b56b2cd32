package io.spottrain.agent.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.wire.AgentProtocol;
import io.spottrain.protocol.wire.NodeInfo;
import java.time.Duration;
import java.time.Instant;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The scale bench's hung agent: only one its coordinator has heard from a while hangs, and then it is silent. */
class SimAgentHangTest {
    static final ActorTestKit kit = ActorTestKit.create();

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    @Test
    void anAgentHangsOnlyAfterItsThirdHeartbeatAndThenSendsNoMore() {
        var info = new NodeInfo("h-0001", NodeMarket.SPOT, "g5.xlarge", 1, 0.42, 1.006, "sim-a", "h-0001.sim", "sim-h-0001",
                ProcessHandle.current().pid(), "sim://test/h-0001", Instant.now().toString());
        var agent = kit.spawn(SimAgent.create(info, 2.0));
        TestProbe<Boolean> answer = kit.createTestProbe();
        agent.tell(new SimAgent.HangIfIdle(answer.getRef()));
        assertFalse(answer.receiveMessage(), "not described yet: its coordinator does not know it");

        TestProbe<AgentProtocol.Report> reports = kit.createTestProbe();
        TestProbe<AgentProtocol.Heartbeat> beats = kit.createTestProbe();
        agent.tell(new AgentProtocol.DescribeNode(reports.getRef(), beats.getRef(), 500));
        reports.expectMessageClass(AgentProtocol.NodeDescribed.class);
        assertEquals(1, beats.receiveMessage().seq());
        agent.tell(new SimAgent.HangIfIdle(answer.getRef()));
        assertFalse(answer.receiveMessage(), "described, one beat: not yet registered for sure");

        assertEquals(2, beats.receiveMessage(Duration.ofSeconds(3)).seq());
        assertEquals(SimAgent.HANG_AFTER_BEATS, beats.receiveMessage(Duration.ofSeconds(3)).seq());
        agent.tell(new SimAgent.HangIfIdle(answer.getRef()));
        assertTrue(answer.receiveMessage());
        beats.expectNoMessage(Duration.ofMillis(1200)); // more than two intervals: hung, no heartbeat
    }
}
