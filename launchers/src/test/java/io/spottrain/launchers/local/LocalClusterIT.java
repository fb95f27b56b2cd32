package io.spottrain.launchers.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.client.CliException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator process and two agent processes started through the local launcher, shared by the tests in order (the last
 * kills an agent); real TCP rendezvous.
 */
@Timeout(240)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalClusterIT {
    @TempDir
    static Path dir;

    static TestCluster cluster;

    @BeforeAll
    static void up() {
        cluster = TestCluster.start(dir.resolve("state"), 2);
    }

    @AfterAll
    static void down() {
        if (cluster != null) cluster.close();
    }

    @Test
    void ranksRendezvousOverTcpAndTheJobSucceeds() throws Exception {
        JsonNode job = cluster.submit(TestCluster.javaJob("exchange", 2, 2, "io.spottrain.examples.ExchangeRanks",
                "--timeout-s", "30"));
        JsonNode end = cluster.awaitEnd(job.path("id").asText());
        assertEquals("SUCCEEDED", end.path("state").asText(), end::toString);
        assertEquals(2, end.path("worldSize").asInt());
        var lines = new ArrayList<String>();
        for (JsonNode m : end.path("members")) {
            lines.add(Files.readString(Path.of(m.path("logFile").asText())).strip());
        }
        // rank r contributes r*r+1: 1 + 2 = 3, which only a correct RANK/WORLD_SIZE/MASTER_* gives
        assertEquals(List.of("rank 0 of 2: sum=3 ok", "rank 1 of 2: sum=3 ok"), lines.stream().sorted().toList());
    }

    @Test
    void nodesShowRoleMarketStateAndPid() throws Exception {
        JsonNode nodes = cluster.api.get("/api/v1/nodes");
        assertEquals(3, nodes.size(), nodes::toString);
        JsonNode control = nodes.get(0);
        assertEquals("control", control.path("role").asText());
        assertEquals(cluster.state.coordinatorPid(), control.path("pid").asLong());
        // the coordinator maps the class data archive the build made (CoordinatorArchive), when there is one
        if (Files.isRegularFile(TestCluster.ROOT.resolve("launchers/target/cds/coordinator.jsa"))
                && System.getProperty("spottrain.it.distribution") != null) {
            // /proc, not ProcessHandle.info(): that has no arguments for a command line this long (the distribution's classpath)
            var args = List.of(Files.readString(Path.of("/proc", Long.toString(cluster.state.coordinatorPid()), "cmdline")).split("\0"));
            assertTrue(args.contains("-XX:SharedArchiveFile=" + TestCluster.ROOT.resolve("launchers/target/cds/coordinator.jsa")),
                    args::toString);
        }
        for (String id : List.of("node1", "node2")) {
            JsonNode n = cluster.node(id);
            assertEquals("worker", n.path("role").asText());
            assertEquals("spot", n.path("market").asText());
            assertTrue(ProcessTree.alive(n.path("pid").asLong()), "agent pid is a live process");
        }
    }

    @Test
    void anAutoIntervalJobCheckpointsPeriodicallyAndSaysWhy() throws Exception {
        String spec = TestCluster.javaJob("auto-ckpt", 2, 2, "io.spottrain.examples.mlp.MlpTrainer", "--steps", "500", "--step-delay-ms",
                "50", "--log-every", "50").replace("command:", "checkpoint: {interval: auto}\n  command:");
        String id = cluster.submit(spec).path("id").asText();
        JsonNode end = cluster.awaitEnd(id);
        assertEquals("SUCCEEDED", end.path("state").asText(), end::toString);
        JsonNode c = end.path("checkpoints");
        assertEquals("auto", c.path("interval").asText());
        // chosen from the measured stall (milliseconds here: Young/Daly gives seconds, never below the 10 s floor)
        long seconds = c.path("autoIntervalSeconds").asLong();
        assertTrue(seconds >= 10 && seconds <= 1800, c::toString);
        assertTrue(c.path("autoIntervalWhy").asText().startsWith("sqrt(2 x C "), "a measured choice, not the default: " + c);
        var steps = cluster.api.get("/api/v1/jobs/" + id + "/checkpoints").path("items");
        assertTrue(steps.size() >= 1, "periodic checkpoints while it ran ~25 s: " + steps);
        assertTrue(end.path("events").toString().contains("CHECKPOINT_INTERVAL"), "the choice is an event");
    }

    @Test
    void aSecondUpOnTheSameStateDirIsRefused() {
        var e = Assertions.assertThrows(CliException.class,
                () -> LocalCluster.start(cluster.stateDir, new LocalCluster.Shape(1, 0), TestCluster.ROOT, Duration.ofSeconds(5),
                        JavaCommand.current(JavaCommand.COORDINATOR_FLAGS)));
        assertTrue(e.getMessage().startsWith("a cluster is already running under"), e.getMessage());
    }

    /**
     * kill -9 of an agent process in the middle of a job that cannot shrink (min 2 of 2 workers, no checkpoint): the job ends
     * FAILED naming the lost node, promptly, with no rank left running anywhere. Last: it takes one of the class's nodes.
     */
    @Test
    @Order(Integer.MAX_VALUE)
    void killedAgentFailsTheJobNamingTheNodeAndLeavesNoProcess() throws Exception {
        JsonNode job = cluster.submit("""
                apiVersion: spottrain/v1
                kind: TrainingJob
                metadata: {name: long}
                spec:
                  workers: {min: 2, gpusPerWorker: 0}
                  command: [sleep, "600"]
                """);
        String id = job.path("id").asText();
        JsonNode running = cluster.awaitJob(id, j -> j.path("state").asText().equals("RUNNING"), Duration.ofSeconds(60));
        long agentPid = cluster.node("node2").path("pid").asLong();
        long rankPid = 0;
        for (JsonNode m : running.path("members")) {
            if (m.path("nodeId").asText().equals("node2")) rankPid = m.path("pid").asLong();
        }
        assertTrue(rankPid > 0);

        long t0 = System.nanoTime();
        assertTrue(ProcessTree.kill(agentPid), "kill -9 the agent");
        JsonNode end = cluster.awaitEnd(id);
        double seconds = (System.nanoTime() - t0) / 1e9;

        assertEquals("FAILED", end.path("state").asText());
        assertTrue(end.path("reason").asText().startsWith("node node2 (rank "), end.path("reason").asText());
        assertTrue(end.path("reason").asText().contains("was lost"), end.path("reason").asText());
        assertTrue(seconds < 45, "detected in " + seconds + "s");
        final long lostRank = rankPid;
        ProcessTree.awaitExit(ProcessHandle.of(lostRank).orElse(ProcessHandle.current()), Duration.ofSeconds(10));
        assertFalse(ProcessTree.alive(lostRank), "the killed node's rank died with it");
        for (JsonNode m : end.path("members")) {
            long pid = m.path("pid").asLong();
            ProcessHandle.of(pid).ifPresent(h -> ProcessTree.awaitExit(h, Duration.ofSeconds(15)));
            assertFalse(ProcessTree.alive(pid), "rank " + m.path("rank") + " was stopped");
        }
        assertTrue(cluster.nodes(false).stream().noneMatch(n -> n.path("id").asText().equals("node2")), "a lost node leaves the live list");
        JsonNode lost = cluster.nodes(true).stream().filter(n -> n.path("id").asText().equals("node2")).findFirst().orElseThrow();
        assertEquals("LOST", lost.path("state").asText(), "and stays in the node history");
        assertTrue(lost.path("terminatedAt").isTextual() && lost.path("launchedAt").isTextual(), lost::toString);
        assertEquals("READY", cluster.node("node1").path("state").asText());
    }
}
