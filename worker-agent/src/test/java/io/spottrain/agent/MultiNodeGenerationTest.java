package io.spottrain.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.spottrain.coordinator.Coordinator;
import io.spottrain.coordinator.api.JobView;
import io.spottrain.coordinator.jobs.JobEventType;
import io.spottrain.coordinator.jobs.JobManager;
import io.spottrain.coordinator.jobs.JobState;
import io.spottrain.coordinator.jobs.Outcome;
import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.protocol.spec.JobSpec;
import io.spottrain.protocol.spec.JobSpecParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator and two worker agents as separate ActorSystems in one JVM, forming a real Pekko
 * cluster over Artery TCP; jobs run real processes (/bin/sh) on the agents.
 */
@Timeout(120)
class MultiNodeGenerationTest {
    @TempDir
    static Path dir;

    static Coordinator coordinator;
    static final List<WorkerAgent> agents = new ArrayList<>();

    @BeforeAll
    static void startCluster() throws Exception {
        coordinator = Coordinator.start("127.0.0.1", 0, List.of(), ConfigFactory.parseMap(Map.of(
                "pekko.coordinated-shutdown.exit-jvm", "off",
                "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook", "off")), null);
        for (String node : List.of("node1", "node2")) {
            agents.add(WorkerAgent.start("127.0.0.1", List.of(coordinator.clusterEndpoint()), ConfigFactory.parseMap(Map.of(
                    "spottrain.agent.node-id", node,
                    "spottrain.agent.work-dir", dir.resolve(node).toString(),
                    "spottrain.agent.default-job-dir", dir.toString(),
                    "pekko.coordinated-shutdown.exit-jvm", "off",
                    "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook", "off"))));
        }
        awaitNodes(n -> n.size() == 2);
    }

    @AfterAll
    static void stopCluster() {
        agents.forEach(WorkerAgent::close);
        if (coordinator != null) coordinator.close();
    }

    @Test
    void generationRunsEveryRankWithTheTorchrunEnvironment() throws Exception {
        String job = submit(spec("env-check", 2, 2, "[sh, -c, 'echo rank=$RANK world=$WORLD_SIZE local=$LOCAL_RANK "
                + "master=$MASTER_ADDR:$MASTER_PORT job=$SPOTTRAIN_JOB gen=$SPOTTRAIN_GENERATION arg=${SPOTTRAIN_NODE}']"));
        JobView done = awaitJob(job, j -> terminal(j));
        assertEquals("SUCCEEDED", done.state(), () -> String.valueOf(done.reason()));
        assertEquals(1, done.generation());
        assertTrue(done.masterPort() > 0);
        for (var m : done.members()) {
            String out = Files.readString(Path.of(m.logFile())).strip();
            assertEquals("rank=" + m.rank() + " world=2 local=0 master=127.0.0.1:" + done.masterPort() + " job=" + done.id()
                    + " gen=1 arg=" + m.nodeId(), out);
        }
        assertEquals(List.of(JobEventType.SUBMITTED, JobEventType.GENERATION_OPENED, JobEventType.STARTING, JobEventType.RENDEZVOUS),
                done.events().stream().map(e -> e.type()).toList().subList(0, 4));
        awaitNodes(ns -> ns.stream().allMatch(n -> n.jobId() == null)); // nodes are free again
    }

    @Test
    void aRankThatFailsFailsTheJobNamingRankAndNode() throws Exception {
        String job = submit(spec("fails", 2, 2, "[sh, -c, 'if [ $RANK = 1 ]; then echo boom on purpose; exit 3; fi; sleep 30']"));
        JobView done = awaitJob(job, j -> terminal(j));
        assertEquals("FAILED", done.state());
        assertTrue(done.reason().matches("rank 1 on node[12] exited with code 3: boom on purpose"), done.reason());
        // the other rank was stopped, not left to sleep
        awaitNodes(ns -> ns.stream().allMatch(n -> n.jobId() == null));
    }

    @Test
    void aProgramThatCannotStartFailsTheJobWithTheReason() throws Exception {
        JobView done = awaitJob(submit(spec("nosuch", 1, 1, "[./no-such-program]")), j -> terminal(j));
        assertEquals("FAILED", done.state());
        assertTrue(done.reason().contains("could not start: cannot run ./no-such-program"), done.reason());
    }

    @Test
    void aJobThatDoesNotFitWaitsWithAReason() throws Exception {
        String job = submit(spec("too-big", 3, 3, "[true]"));
        JobView pending = awaitJob(job, j -> j.pendingReason() != null && j.pendingReason().startsWith("waiting for capacity"));
        assertEquals("PENDING", pending.state());
        assertEquals("waiting for capacity: needs 3 free spot, 1-GPU nodes, 2 available (2 free in all)", pending.pendingReason());
        var cancelled = (Outcome.JobAck) ask(r -> new JobManager.CancelJob(job, null, "test", r));
        assertEquals(JobState.CANCELLED, cancelled.state());
    }

    @Test
    void contractReportsReachTheCoordinatorAndItsCheckpointRequestsReachTheRank() throws Exception {
        String script = Path.of("..", "examples", "python", "tiny_trainer.py").toAbsolutePath().normalize().toString();
        String job = submit(spec("py", 1, 1, "[python3, '" + script + "', --steps, '400', --step-delay-ms, '20', --checkpoint-every, '100']"));
        awaitJob(job, j -> j.state().equals("RUNNING") && j.steps() > 5);
        assertEquals(JobState.RUNNING, ((Outcome.JobAck) ask(r -> new JobManager.CheckpointJob(job, "test", r))).state());
        JobView done = awaitJob(job, j -> terminal(j));
        assertEquals("SUCCEEDED", done.state(), done::reason);
        assertEquals(JobEventType.CHECKPOINT_REQUESTED, done.events().stream().filter(e -> e.type() == JobEventType.CHECKPOINT_REQUESTED)
                .findFirst().orElseThrow().type());
        assertEquals(400, done.steps());
        assertTrue(done.finalLoss() < 0.1, "loss fell: " + done.finalLoss());
        String sha = done.paramsSha256();
        assertTrue(sha != null && sha.matches("[0-9a-f]{64}"), String.valueOf(sha));
        var catalog = coordinator.reads().catalog(job, null, 100).orElseThrow().items();
        assertEquals(5, catalog.size(), "steps 100, 200, 300, 400 and the requested one: " + catalog);
        assertTrue(catalog.stream().anyMatch(c -> c.step() % 100 != 0), "the requested step: " + catalog);
        String log = Files.readString(Path.of(done.members().get(0).logFile()));
        assertTrue(log.contains("params-sha256=" + sha), log);
        var rejected = (Outcome.Refused) ask(r -> new JobManager.CheckpointJob(job, "test", r));
        assertTrue(rejected.message().contains("only a RUNNING job can checkpoint"), rejected.message());
    }

    static JobSpec spec(String name, int min, int max, String command) throws Exception {
        return JobSpecParser.parse("""
                apiVersion: spottrain/v1
                kind: TrainingJob
                metadata: {name: %s}
                spec:
                  workers: {min: %d, max: %d}
                  command: %s
                """.formatted(name, min, max, command));
    }

    static String submit(JobSpec spec) throws Exception {
        return ((Outcome.JobAck) ask(r -> new JobManager.SubmitJob(spec, "test", r))).jobId();
    }

    static Outcome ask(Function<ActorRef<Outcome>, JobManager.Command> msg) throws Exception {
        return AskPattern.<JobManager.Command, Outcome>ask(coordinator.jobManager(), msg::apply, Duration.ofSeconds(10),
                coordinator.system().scheduler()).toCompletableFuture().get();
    }

    static boolean terminal(JobView j) {
        return JobState.valueOf(j.state()).terminal();
    }

    static JobView awaitJob(String id, Predicate<JobView> done) throws Exception {
        Instant deadline = Instant.now().plusSeconds(60);
        JobView j = null;
        while (Instant.now().isBefore(deadline)) {
            j = coordinator.reads().job(id).orElse(null);
            if (j != null && done.test(j)) return j;
            Thread.sleep(100);
        }
        throw new AssertionError("job " + id + " did not reach the expected state within 60s; last: " + j);
    }

    static void awaitNodes(Predicate<List<NodeRecord>> ok) throws Exception {
        Instant deadline = Instant.now().plusSeconds(60);
        List<NodeRecord> nodes = List.of();
        while (Instant.now().isBefore(deadline)) {
            nodes = coordinator.reads().workers(false);
            if (ok.test(nodes)) return;
            Thread.sleep(100);
        }
        throw new AssertionError("nodes did not reach the expected state within 60s: " + nodes);
    }
}
