package io.spottrain.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.spottrain.agent.node.ImdsEmulator;
import io.spottrain.coordinator.Coordinator;
import io.spottrain.coordinator.api.JobView;
import io.spottrain.coordinator.jobs.JobEventType;
import io.spottrain.coordinator.jobs.JobManager;
import io.spottrain.coordinator.jobs.Outcome;
import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.coordinator.membership.NodeState;
import io.spottrain.protocol.spec.JobSpecParser;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A Spot notice in the agent's IMDS reaches the job manager: the node stops taking work and the job records it. */
@Timeout(120)
class InterruptionNoticeTest {
    @TempDir
    Path dir;

    @Test
    void aSpotNoticeMarksTheNodeAndTheJob() throws Exception {
        Map<String, Object> quiet = Map.of("pekko.coordinated-shutdown.exit-jvm", "off",
                "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook", "off");
        try (var imds = new ImdsEmulator(ImdsEmulator.instance("i-0abc", "g5.xlarge", "us-east-1a", true));
                var coordinator = Coordinator.start("127.0.0.1", 0, List.of(), ConfigFactory.parseMap(quiet), null)) {
            var overrides = new HashMap<String, Object>(quiet);
            overrides.putAll(Map.of("spottrain.agent.node-id", "spot1", "spottrain.agent.work-dir", dir.resolve("spot1").toString(),
                    "spottrain.agent.imds.endpoint", imds.endpoint().toString(),
                    "spottrain.agent.interruption.poll-interval", "100ms"));
            WorkerAgent agent = WorkerAgent.start("127.0.0.1", List.of(coordinator.clusterEndpoint()), ConfigFactory.parseMap(overrides));
            try {
                var spec = JobSpecParser.parse("""
                        apiVersion: spottrain/v1
                        kind: TrainingJob
                        metadata: {name: sleeper}
                        spec: {workers: {min: 1}, command: [sleep, "60"]}
                        """);
                var job = (Outcome.JobAck) ask(coordinator, r -> new JobManager.SubmitJob(spec, "test", r));
                await(coordinator, job.jobId(), j -> j.state().equals("RUNNING"));
                Instant deadline = Instant.now().plusSeconds(120).truncatedTo(ChronoUnit.SECONDS);
                imds.noticeInterruption("terminate", deadline);
                JobView noticed = await(coordinator, job.jobId(), j -> j.events().stream().anyMatch(e -> e.type() == JobEventType.NODE_NOTICE));
                var ev = noticed.events().stream().filter(e -> e.type() == JobEventType.NODE_NOTICE).findFirst().orElseThrow();
                assertEquals("spot1", ev.node());
                assertEquals("spot-interruption (terminate), deadline " + deadline, ev.message());
                long until = System.currentTimeMillis() + 10_000;
                NodeRecord node = coordinator.reads().workers(false).get(0);
                while (node.state() != NodeState.INTERRUPTING && System.currentTimeMillis() < until) {
                    Thread.sleep(50);
                    node = coordinator.reads().workers(false).get(0);
                }
                assertEquals(NodeState.INTERRUPTING, node.state());
                assertEquals("us-east-1a", node.info().zone(), "attributes came from IMDS");
                assertTrue(node.info().peerUrl().startsWith("http://127.0.0.1:"));
                ask(coordinator, r -> new JobManager.CancelJob(job.jobId(), null, "test", r));
            } finally {
                agent.close();
            }
        }
    }

    static Outcome ask(Coordinator c, Function<ActorRef<Outcome>,
            JobManager.Command> m) throws Exception {
        return AskPattern.<JobManager.Command, Outcome>ask(c.jobManager(), m::apply, Duration.ofSeconds(10),
                c.system().scheduler()).toCompletableFuture().get();
    }

    static JobView await(Coordinator c, String id, Predicate<JobView> ok) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        JobView j = null;
        while (System.currentTimeMillis() < deadline) {
            j = c.reads().job(id).orElse(null);
            if (j != null && ok.test(j)) return j;
            Thread.sleep(100);
        }
        throw new AssertionError("job " + id + " not as expected within 60s: " + j);
    }
}
