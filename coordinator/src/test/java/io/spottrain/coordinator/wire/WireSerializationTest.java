package io.spottrain.coordinator.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.spottrain.coordinator.autoscale.AutoscaleDecision;
import io.spottrain.coordinator.autoscale.Autoscaler;
import io.spottrain.coordinator.autoscale.FleetView;
import io.spottrain.coordinator.jobs.JobManager;
import io.spottrain.coordinator.jobs.JobState;
import io.spottrain.coordinator.jobs.Outcome;
import io.spottrain.protocol.json.Json;
import io.spottrain.protocol.spec.JobSpecParser;
import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.wire.AgentProtocol;
import io.spottrain.protocol.wire.ClusterConfig;
import io.spottrain.protocol.wire.InterruptionKind;
import io.spottrain.protocol.wire.NodeInfo;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Every message that crosses nodes round-trips through the configured (Jackson) serializer. */
class WireSerializationTest {
    static final ActorTestKit kit = ActorTestKit.create(ClusterConfig.node("control", "127.0.0.1", 0,
            List.of(), ConfigFactory.empty()));

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    Object roundTrip(Object msg) {
        var ser = SerializationExtension.get(kit.system().classicSystem());
        byte[] bytes = ser.serialize(msg).get();
        var serializer = ser.findSerializerFor(msg);
        assertEquals("org.apache.pekko.serialization.jackson.JacksonJsonSerializer", serializer.getClass().getName());
        return ser.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, msg)).get();
    }

    /** Our cluster settings merge into Pekko's receptionist settings (which are a substitution of Distributed Data's), not replace them. */
    @Test
    void theReceptionistGossipsFasterAndKeepsItsOtherSettings() {
        var c = kit.system().settings().config();
        assertEquals(500, c.getDuration("pekko.cluster.typed.receptionist.distributed-data.gossip-interval").toMillis());
        assertEquals(100, c.getDuration("pekko.cluster.typed.receptionist.distributed-data.notify-subscribers-interval").toMillis());
        assertEquals("", c.getString("pekko.cluster.typed.receptionist.distributed-data.role"));
        assertTrue(c.hasPath("pekko.cluster.typed.receptionist.distributed-data.max-delta-elements"), "Pekko's own settings are still there");
        assertEquals(2000, c.getDuration("pekko.cluster.distributed-data.gossip-interval").toMillis(), "only the receptionist's replicator");
    }

    @Test
    void agentMessagesRoundTrip() {
        ActorRef<AgentProtocol.Report> reports = kit.createTestProbe(AgentProtocol.Report.class).getRef();
        var node = new NodeInfo("node1", NodeMarket.SPOT, "g5.xlarge", 1, 0.42, 1.006, "us-east-1a", "10.0.0.5", "i-0abc", 42, "http://10.0.0.5:7070",
                "2026-11-27T09:59:00Z");
        var agent = kit.createTestProbe(AgentProtocol.Command.class).getRef();
        List<Object> msgs = List.of(
                new AgentProtocol.DescribeNode(reports, kit.createTestProbe(AgentProtocol.Heartbeat.class).getRef(), 1000),
                new AgentProtocol.Heartbeat("node1", agent, 7),
                new AgentProtocol.Heartbeat("node1", agent, 8, List.of(new AgentProtocol.GpuSample(0, 87.0, 40536, 81559))),
                new AgentProtocol.Heartbeat("node1", agent, 9, List.of(), 21000),
                new AgentProtocol.NodeInterruptionNotice("node1", InterruptionKind.SPOT_INTERRUPTION, "terminate", "2026-11-27T10:02:00Z",
                        "2026-11-27T10:00:00Z"),
                new AgentProtocol.AllocatePort("j-1", 3, reports),
                new AgentProtocol.StartGeneration("j-1", 3, 1, 4, "10.0.0.5", 29500, 120, 50, 3, "s3://bkt/p", List.of("http://10.0.0.6:7070"), Map.of("http://10.0.0.6:7070", "ab12"), List.of("python3", "train.py"),
                        Map.of("SEED", "7"), List.of("HF_TOKEN"), null, reports),
                new AgentProtocol.StopGeneration("j-1", 3, "cancelled"),
                new AgentProtocol.NodeDescribed(node, agent,
                        List.of(new AgentProtocol.RankStatus("j-1", 2, 1, 4242, true, 0, "tail", 900, 0.5, "ab", 800, 850))),
                new AgentProtocol.RankExited("j-1", 3, 1, "node1", 137, "Killed"),
                new AgentProtocol.RankLog("j-1", 3, 1, "node1", "/var/lib/spottrain/logs/j-1-g2-rank1.log", 9000, "step 10\n", null),
                new AgentProtocol.RankLog("j-1", 3, 1, "node1", null, 0, "", "node node1 has no output"),
                new AgentProtocol.Probe("j-1", 3, kit.createTestProbe(AgentProtocol.ProbeAnswered.class).getRef()),
                new AgentProtocol.ProbeAnswered("j-1", 3, "node1"),
                // the S3 requests an agent made, with an upload and on their own (the cost ledger's)
                new AgentProtocol.CheckpointUploaded("j-1", 3, "node1", 400, 1 << 20, 120, 1, 0, 0, 5, 1),
                new AgentProtocol.S3Requests("j-1", 3, "node2", 12, 40));
        for (Object m : msgs) {
            assertEquals(m, roundTrip(m));
        }
    }

    /** An agent built before heartbeats carried a rendezvous port is read as offering none (the job asks rank 0 for one). */
    @Test
    void aHeartbeatWithoutARendezvousPortIsReadAsOfferingNone() {
        var agent = kit.createTestProbe(AgentProtocol.Command.class).getRef();
        var beat = new AgentProtocol.Heartbeat("node1", agent, 7, List.of(), 21000);
        var ser = SerializationExtension.get(kit.system().classicSystem());
        var serializer = ser.findSerializerFor(beat);
        String json = new String(ser.serialize(beat).get(), StandardCharsets.UTF_8);
        assertTrue(json.contains(",\"rendezvousPort\":21000"), json);
        byte[] old = json.replace(",\"rendezvousPort\":21000", "").getBytes(StandardCharsets.UTF_8);
        var read = ser.deserialize(old, serializer.identifier(), Serializers.manifestFor(serializer, beat)).get();
        assertEquals(new AgentProtocol.Heartbeat("node1", agent, 7, List.of(), 0), read);
    }

    @Test
    void jobManagerRequestsAndRepliesRoundTrip() throws Exception {
        var spec = JobSpecParser.parse("""
                apiVersion: spottrain/v1
                kind: TrainingJob
                metadata: {name: j, labels: {team: a}}
                spec: {workers: {min: 2, max: 3}, command: [x], checkpoint: {remote: "s3://bkt/p"}}
                """);
        ActorRef<Outcome> replyTo = kit.<Outcome>createTestProbe().getRef();
        List<Object> msgs = List.of(new JobManager.SubmitJob(spec, "test", replyTo), new JobManager.CancelJob("j-1", "why", "test", replyTo),
                new JobManager.CheckpointJob("j-1", "test", replyTo), new Outcome.JobAck("j-1", JobState.RUNNING),
                new Outcome.Refused(Outcome.Refusal.UNFIT, "spec.workers.gpusPerWorker: 8 GPUs"),
                // the API asks the job manager for a rank's output; the agent answers the API's own ask actor
                new JobManager.TailRankLog("node1", new AgentProtocol.TailRankLog("j-1", 3, 1, "/var/lib/spottrain/logs/j-1-g2-rank1.log",
                        16384, kit.<AgentProtocol.RankLog>createTestProbe().getRef())));
        for (Object m : msgs) {
            assertEquals(m, roundTrip(m));
        }
    }

    @Test
    void theAutoscalersStatusCrossesToTheApisNode() {
        ActorRef<Autoscaler.Status> replyTo = kit.<Autoscaler.Status>createTestProbe().getRef();
        var status = new Autoscaler.Status(true, "waiting_jobs_in_queue", 5, 7, 2, 100, 3,
                List.of(Autoscaler.Launching.of(new FleetView.InFlight("node9", 1, NodeMarket.SPOT, Instant.parse("2026-12-02T10:00:00Z")))), 8300L,
                List.of(new Autoscaler.Event("2026-12-02T10:00:01Z", AutoscaleDecision.Action.SCALE_DOWN, 0, 0, List.of("node4"), "why")),
                List.of(new Autoscaler.PoolStatus("spot-g5", NodeMarket.SPOT, 2, 1, 0, 8, "us-east-1a")));
        for (Object m : List.of(new JobManager.AutoscalerStatus(replyTo), status, Autoscaler.Status.disabled())) {
            assertEquals(m, roundTrip(m));
        }
        // the API writes it with the plain JSON mapper (no Java time module): a launch in flight must not break GET /autoscaler
        assertTrue(Json.write(status).contains("\"askedAt\":\"2026-12-02T10:00:00Z\""), Json.write(status));
    }

    @Test
    void aLogTailIsBoundedOnTheWire() {
        var exited = new AgentProtocol.RankExited("j-1", 1, 0, "node1", 1, "x".repeat(100_000) + "the end");
        assertEquals(AgentProtocol.MAX_LOG_TAIL, exited.logTail().length());
        assertTrue(exited.logTail().endsWith("the end"));
    }
}
