package io.spottrain.launchers.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.cli.S3LogArchive;
import io.spottrain.client.ApiClient;
import io.spottrain.coordinator.api.LogArchive;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet that only shrinks (no replacements): two nodes killed at once, then on the two left a rank
 * that fails (restarted within {@code maxRestarts}, then a job that spends its budget), then a job
 * left below its {@code min} that waits for capacity and resumes when a node joins. One cluster of
 * 4 workers, the tests in that order; each finishes SUCCEEDED (or FAILED, saying why) with exactly
 * the parameters of an uninterrupted run.
 */
@Timeout(300)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ShrinkingFleetIT {
    static final String STEPS = ElasticRecoveryIT.STEPS;
    String expectedSha;
    TestCluster cluster;

    @TempDir
    static Path dir;

    @BeforeAll
    void start() throws Exception {
        expectedSha = TestCluster.uninterruptedSha(STEPS);
        cluster = TestCluster.start(dir.resolve("cluster"), 4, "--no-replacements");
    }

    @AfterAll
    void stop() {
        if (cluster != null) cluster.close();
    }

    /** Waits until the cluster lists exactly {@code n} workers (the nodes an earlier test killed are gone from it). */
    void awaitWorkers(int n) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        var workers = new ArrayList<String>();
        while (System.nanoTime() < deadline) {
            workers.clear();
            for (JsonNode node : cluster.nodes(false)) if (node.path("role").asText().equals("worker")) workers.add(node.path("id").asText());
            if (workers.size() == n) return;
            Thread.sleep(200);
        }
        throw new AssertionError("expected " + n + " workers within 60 s, the cluster lists " + workers);
    }

    /** A wave: two of four nodes killed at once (one zone's Spot capacity reclaimed) is one recovery, not a failed job. */
    @Test
    @Order(1)
    void twoNodesKilledAtOnceAreOneRecovery() throws Exception {
        String id = cluster.submit(TestCluster.javaJob("wave", 2, 4, "io.spottrain.examples.mlp.MlpTrainer", "--steps", STEPS,
                "--step-delay-ms", "10", "--log-every", "25", "--checkpoint-every", "100")).path("id").asText();
        JsonNode g1 = cluster.awaitJob(id, j -> j.path("state").asText().equals("RUNNING") && j.path("steps").asLong() >= 150,
                Duration.ofSeconds(90));
        int rankOnNode2 = -1;
        for (JsonNode m : g1.path("members")) if (m.path("nodeId").asText().equals("node2")) rankOnNode2 = m.path("rank").asInt();
        assertTrue(rankOnNode2 >= 0, g1.path("members")::toString);
        awaitCopy(id, rankOnNode2, "step "); // a machine lost without notice keeps what its agent copied last (every 2 s in the tests)
        // both machines at the same instant: every process of both agents gets SIGKILL before any is waited for, the agents
        // first (an agent that outlived its rank by a moment once reported the rank's exit as a failure, not a lost node)
        var agents = new ArrayList<ProcessHandle>();
        var ranks = new ArrayList<ProcessHandle>();
        for (String n : List.of("node2", "node4")) {
            var agent = ProcessHandle.of(cluster.node(n).path("pid").asLong()).orElseThrow();
            ranks.addAll(agent.descendants().toList());
            agents.add(agent);
        }
        agents.forEach(ProcessHandle::destroyForcibly);
        ranks.forEach(ProcessHandle::destroyForcibly);
        JsonNode end = cluster.awaitJob(id, j -> List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(j.path("state").asText()),
                Duration.ofSeconds(150));
        assertEquals("SUCCEEDED", end.path("state").asText(), () -> end.path("reason") + " " + end.path("events"));
        assertEquals(expectedSha, end.path("paramsSha256").asText());
        assertEquals(2, end.path("generations").asLong(), end.path("events")::toString);
        assertEquals(2, end.path("worldSize").asInt(), "the two survivors");
        JsonNode p = end.path("preemptions");
        assertEquals(2, p.size(), p::toString);
        var lostNodes = new TreeSet<String>();
        for (JsonNode one : p) {
            assertEquals("kill", one.path("kind").asText(), p::toString);
            assertTrue(one.path("lostSteps").asLong() <= 1, p::toString);
            lostNodes.add(one.path("node").asText());
        }
        assertEquals(Set.of("node2", "node4"), lostNodes);
        JsonNode log = cluster.api.get("/api/v1/jobs/" + id + "/ranks/" + rankOnNode2 + "/log?generation=1");
        assertEquals("node2", log.path("nodeId").asText(), log::toString);
        assertTrue(log.path("copiedAt").isTextual() && log.path("copyLocation").asText().startsWith("s3://"),
                () -> "node2 is gone: the answer is its copy in the remote tier: " + log);
        assertTrue(log.path("text").asText().contains("[rank " + rankOnNode2 + "/4] step "), log::toString);
    }

    /** Waits until the remote tier holds a copy of generation 1's {@code rank}'s output with {@code text} in it. */
    private void awaitCopy(String id, int rank, String text) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        Optional<LogArchive.Copy> copy = Optional.empty();
        try (var archive = S3LogArchive.of(cluster.stateDir).orElseThrow()) {
            while (System.nanoTime() < deadline) {
                copy = archive.read(id, null, 1, rank, "node2");
                if (copy.isPresent() && copy.get().text().contains(text)) return;
                Thread.sleep(200);
            }
        }
        throw new AssertionError("no copy of " + id + " generation 1 rank " + rank + "'s output with \"" + text + "\" in the remote tier "
                + "within 30 s; last: " + copy);
    }

    @Test
    @Order(2)
    void aFailedRankRestartsFromTheOtherRanksStateWithinMaxRestarts() throws Exception {
        awaitWorkers(2);
        String flaky = TestCluster.javaJob("flaky", 2, 2, "io.spottrain.examples.mlp.MlpTrainer", "--steps", STEPS,
                "--step-delay-ms", "5", "--log-every", "25", "--checkpoint-every", "100", "--fail-at-step", "300", "--fail-rank", "1",
                "--fail-once-marker", dir.resolve("failed-once").toString()) + "  maxRestarts: 1\n";
        String flakyId = cluster.submit(flaky).path("id").asText();
        JsonNode end = cluster.awaitJob(flakyId,
                j -> List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(j.path("state").asText()), Duration.ofSeconds(120));
        assertEquals("SUCCEEDED", end.path("state").asText(), () -> end.path("reason") + " " + end.path("events"));
        // why generation 1 ended: its failed rank's own output, read from the node that ran it though the job moved on
        JsonNode first = cluster.api.get("/api/v1/jobs/" + flakyId + "/ranks/1/log?generation=1");
        assertEquals(1, first.path("generation").asLong(), first::toString);
        assertTrue(first.path("text").asText().contains("injected failure at step 300"), first::toString);
        var none = assertThrows(ApiClient.ApiError.class, () -> cluster.api.get("/api/v1/jobs/" + flakyId + "/ranks/1/log?generation=7"));
        assertEquals(404, none.status);
        assertTrue(none.getMessage().contains("has generations 1..2, not 7"), none.getMessage());
        assertEquals(expectedSha, end.path("paramsSha256").asText(), "a restart changes nothing");
        assertEquals(1, end.path("restarts").asInt(), end::toString);
        JsonNode p = end.path("preemptions");
        assertEquals("failure", p.get(0).path("kind").asText(), p::toString);
        assertEquals(300, p.get(0).path("atStep").asLong(), "resumed from the surviving rank's step, not the step-200 checkpoint");
        assertEquals(2, end.path("worldSize").asInt(), "the failing rank's node stays in the job");

        // a rank that fails every time spends the budget, then the job fails saying so
        String broken = TestCluster.javaJob("broken", 2, 2, "io.spottrain.examples.mlp.MlpTrainer", "--steps", STEPS,
                "--step-delay-ms", "5", "--log-every", "25", "--checkpoint-every", "100", "--fail-at-step", "200", "--fail-rank", "0")
                + "  maxRestarts: 1\n";
        JsonNode failed = cluster.awaitJob(cluster.submit(broken).path("id").asText(),
                j -> List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(j.path("state").asText()), Duration.ofSeconds(120));
        assertEquals("FAILED", failed.path("state").asText(), failed::toString);
        assertTrue(failed.path("reason").asText().contains("no restart left: maxRestarts 1 used"), failed.path("reason")::asText);
        assertTrue(failed.path("reason").asText().matches("rank 0 on node\\d+ exited with code 3.*"), failed.path("reason")::asText);
        assertEquals(1, failed.path("restarts").asInt());
        assertEquals(2, failed.path("generations").asLong());
    }

    @Test
    @Order(3)
    void belowMinTheJobWaitsAndResumesWhenANodeJoinsRestoringFromAPeer() throws Exception {
        awaitWorkers(2);
        try (var extra = new LocalProcessLauncher(JavaCommand.current(JavaCommand.AGENT_FLAGS), List.of(cluster.state.clusterEndpoint()),
                        cluster.stateDir, TestCluster.ROOT, Duration.ofSeconds(10))) {
            JsonNode job = cluster.submit(TestCluster.javaJob("below", 2, 2, "io.spottrain.examples.mlp.MlpTrainer", "--steps", STEPS,
                    "--step-delay-ms", "10", "--log-every", "25", "--checkpoint-every", "100"));
            String id = job.path("id").asText();
            JsonNode running = cluster.awaitJob(id, j -> j.path("steps").asLong() >= 150, Duration.ofSeconds(90));
            assertTrue(ProcessTree.kill(cluster.node(ElasticRecoveryIT.nodeOfRank(running, 1)).path("pid").asLong()));
            JsonNode waiting = cluster.awaitJob(id, j -> j.path("state").asText().equals("RECOVERING")
                    && j.path("pendingReason").asText().startsWith("waiting for capacity to resume from step"), Duration.ofSeconds(60));
            assertEquals(1, waiting.path("generations").asLong());
            extra.launch(LocalFleet.node(9, true)); // capacity returns: a fresh node with an empty local tier
            JsonNode end = cluster.awaitJob(id, j -> List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(j.path("state").asText()),
                    Duration.ofSeconds(150));
            assertEquals("SUCCEEDED", end.path("state").asText(), () -> end.path("reason") + " " + end.path("events"));
            assertEquals(expectedSha, end.path("paramsSha256").asText());
            assertTrue(end.path("members").toString().contains("node9"), end.path("members")::toString);
            String agentLog = cluster.log("node9");
            assertTrue(agentLog.contains("restored from peer"), agentLog);
        }
    }
}
