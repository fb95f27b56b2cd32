package io.spottrain.agent.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.wire.AgentProtocol;
import io.spottrain.protocol.wire.NodeInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The scale bench's hung agent: only one that has heartbeated a while since it described itself hangs, and then it is silent.
 * Heartbeats and answers go to one probe, so they arrive in the order the agent sent them: the beats before an answer are
 * exactly those it had sent when it was asked, whatever the machine's timing.
 */
class SimAgentHangTest {
    static final ActorTestKit kit = ActorTestKit.create();

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    @Test
    void anAgentHangsOnlyAfterItsThirdHeartbeatSinceItDescribedItselfAndThenSendsNoMore() {
        var info = new NodeInfo("h-0001", NodeMarket.SPOT, "g5.xlarge", 1, 0.42, 1.006, "sim-a", "h-0001.sim", "sim-h-0001",
                ProcessHandle.current().pid(), "sim://test/h-0001", Instant.now().toString());
        var agent = kit.spawn(SimAgent.create(info, 2.0));
        TestProbe<Object> probe = kit.createTestProbe();
        TestProbe<AgentProtocol.Report> reports = kit.createTestProbe();
        var answers = new ArrayList<String>(); // "beats before the question=its answer"

        assertEquals(List.of(false), ask(agent, probe), "not described yet: its coordinator does not know it");
        agent.tell(new AgentProtocol.DescribeNode(reports.getRef(), probe.getRef().narrow(), 500));
        reports.expectMessageClass(AgentProtocol.NodeDescribed.class);
        long heard = 0;
        while (true) {
            Boolean answer = null;
            for (Object m : ask(agent, probe)) {
                if (m instanceof AgentProtocol.Heartbeat b) heard = b.seq();
                else answer = (Boolean) m;
            }
            answers.add(heard + "=" + answer);
            assertEquals(Boolean.valueOf(heard >= SimAgent.HANG_AFTER_BEATS), answer, "beats before each question = its answer: " + answers);
            if (answer) break;
            heard = ((AgentProtocol.Heartbeat) probe.receiveMessage(Duration.ofSeconds(5))).seq(); // the next beat, then ask again
        }
        assertTrue(answers.stream().anyMatch(a -> a.matches("[12]=false")), "asked and refused after one or two beats: " + answers);
        probe.expectNoMessage(Duration.ofMillis(1200)); // over two intervals: hung, no heartbeat (any sent before it came above)
    }

    /** Asks the agent to hang; returns what came to the probe up to and including its answer. */
    private static List<Object> ask(ActorRef<AgentProtocol.Command> agent, TestProbe<Object> probe) {
        agent.tell(new SimAgent.HangIfIdle(probe.getRef().narrow()));
        var got = new ArrayList<Object>();
        Object m;
        do {
            m = probe.receiveMessage(Duration.ofSeconds(5));
            got.add(m);
        } while (m instanceof AgentProtocol.Heartbeat);
        return got;
    }
}
