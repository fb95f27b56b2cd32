package io.spottrain.coordinator.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spottrain.coordinator.jobs.Job;
import io.spottrain.coordinator.jobs.JobManager;
import io.spottrain.protocol.spec.JobSpecParser;
import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.wire.AgentProtocol;
import io.spottrain.protocol.wire.NodeInfo;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Every message that crosses nodes round-trips through the configured (Jackson) serializer. */
class WireSerializationTest {
    static final ActorTestKit kit = ActorTestKit.create(io.spottrain.protocol.wire.ClusterConfig.node("control", "127.0.0.1", 0,
            List.of(), com.typesafe.config.ConfigFactory.empty()));

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    Object roundTrip(Object msg) {
        var ser = SerializationExtension.get(kit.system().classicSystem());
        byte[] bytes = ser.serialize(msg).get();
        var serializer = ser.findSerializerFor(msg);
        assertEquals("org.apache.pekko.serialization.jackson.JacksonJsonSerializer", serializer.getClass().getName());
        return ser.deserialize(bytes, serializer.identifier(), org.apache.pekko.serialization.Serializers.manifestFor(serializer, msg)).get();
    }

    @Test
    void agentMessagesRoundTrip() {
        ActorRef<AgentProtocol.Report> reports = kit.createTestProbe(AgentProtocol.Report.class).getRef();
        var node = new NodeInfo("node1", NodeMarket.SPOT, "g5.xlarge", 1, 0.42, 1.006, "us-east-1a", "10.0.0.5", "i-0abc", 42, "http://10.0.0.5:7070");
        List<Object> msgs = List.of(
                new AgentProtocol.DescribeNode(reports),
                new AgentProtocol.AllocatePort("j-1", 3, reports),
                new AgentProtocol.StartGeneration("j-1", 3, 1, 4, "10.0.0.5", 29500, 120, 50, 3, "s3://bkt/p", List.of("http://10.0.0.6:7070"), List.of("python3", "train.py"),
                        Map.of("SEED", "7"), null, reports),
                new AgentProtocol.StopGeneration("j-1", 3, "cancelled"),
                new AgentProtocol.NodeDescribed(node, kit.createTestProbe(AgentProtocol.Command.class).getRef(),
                        java.util.List.of(new AgentProtocol.RankStatus("j-1", 2, 1, 4242, true, 0, "tail", 900, 0.5, "ab"))),
                new AgentProtocol.RankExited("j-1", 3, 1, "node1", 137, "Killed"));
        for (Object m : msgs) {
            assertEquals(m, roundTrip(m));
        }
    }

    @Test
    void jobManagerRepliesRoundTrip() throws Exception {
        var spec = JobSpecParser.parse("""
                apiVersion: spottrain/v1
                kind: TrainingJob
                metadata: {name: j, labels: {team: a}}
                spec: {workers: {min: 2, max: 3}, command: [x], checkpoint: {remote: "s3://bkt/p"}}
                """);
        Job job = Job.submitted("j-1", spec, Instant.parse("2026-11-27T10:00:00Z")).startGenerationOn(List.of("n1", "n2"),
                Instant.parse("2026-11-27T10:00:01Z"));
        assertEquals(job, roundTrip(job));
        var submit = new JobManager.SubmitJob(spec, kit.<org.apache.pekko.pattern.StatusReply<Job>>createTestProbe().getRef());
        assertEquals(submit, roundTrip(submit));
    }
}
