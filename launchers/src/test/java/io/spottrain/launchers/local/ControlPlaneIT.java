package io.spottrain.launchers.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.client.ApiClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control plane keeps its state in Ignite: a whole local cluster restarted from its state dir
 * shows its jobs and their history, and a kill -9 of the control node that hosts the job manager
 * loses nothing — the job keeps training on its agents and finishes with the uninterrupted hash.
 */
@Timeout(300)
class ControlPlaneIT {
    static final List<String> END = List.of("SUCCEEDED", "FAILED", "CANCELLED");

    @TempDir
    Path dir;

    @Test
    void aClusterRestartedFromItsStateDirShowsItsJobsAndHistory() throws Exception {
        Path state = dir.resolve("state");
        JsonNode finished;
        String ledgerWindow;
        JsonNode costBefore;
        try (TestCluster cluster = TestCluster.start(state, 2)) {
            String id = cluster.submit(TestCluster.javaJob("kept", 2, 2, "io.spottrain.examples.mlp.MlpTrainer", "--steps", "200",
                    "--log-every", "50", "--checkpoint-every", "100")).path("id").asText();
            finished = cluster.awaitEnd(id);
            assertEquals("SUCCEEDED", finished.path("state").asText(), finished::toString);
            Thread.sleep(1500); // a window that ends after the job did
            ledgerWindow = "2026-01-01.." + Instant.now().minusSeconds(1).truncatedTo(ChronoUnit.SECONDS);
            costBefore = cluster.api.get("/api/v1/cost?by=job&window=" + ledgerWindow);
            cluster.stopGracefully();
        }
        try (TestCluster again = TestCluster.start(state, 0)) { // no worker: the job submitted below need not run
            JsonNode back = again.api.get("/api/v1/jobs/" + finished.path("id").asText());
            assertEquals("SUCCEEDED", back.path("state").asText());
            assertEquals(finished.path("paramsSha256").asText(), back.path("paramsSha256").asText());
            assertEquals(finished.path("events").size(), back.path("events").size(), "the whole history");
            assertEquals(finished.path("checkpoints").path("count").asInt(), back.path("checkpoints").path("count").asInt());
            assertEquals(finished.path("cost"), back.path("cost"));
            JsonNode costAfter = again.api.get("/api/v1/cost?by=job&window=" + ledgerWindow);
            assertEquals(costBefore.path("rows").size(), costAfter.path("rows").size(), () -> costBefore + "\n" + costAfter);
            for (int i = 0; i < costBefore.path("rows").size(); i++) { // the same sums, perhaps added in another order
                JsonNode a = costBefore.path("rows").get(i);
                JsonNode b = costAfter.path("rows").get(i);
                assertEquals(a.path("key"), b.path("key"), () -> costBefore + "\n" + costAfter);
                assertEquals(a.path("costUsd").asDouble(), b.path("costUsd").asDouble(), 1e-9, "the cost ledger survives a whole-cluster "
                        + "restart: " + costBefore + "\n" + costAfter);
            }
            assertTrue(costBefore.path("total").path("costUsd").asDouble() > 0, costBefore::toString);
            String next = again.submit(TestCluster.javaJob("next", 1, 1, "io.spottrain.examples.mlp.MlpTrainer", "--steps", "20"))
                    .path("id").asText();
            // the first manager reserved numbers 1-32 (JobIds.BLOCK) and used 1; the restarted one reserves 33-64
            assertTrue(next.startsWith("next-33-"), "job numbers continue after a restart, never reused: " + next);
            assertTrue(again.log("control1").contains("job(s) in progress (1 stored) from ignite"), "restored from the Ignite store");
        }
    }

    @Test
    void killNineOfTheControlNodeHostingTheJobManagerLosesNothing() throws Exception {
        String expected = TestCluster.uninterruptedSha("900");
        try (TestCluster cluster = TestCluster.start(dir.resolve("ha"), new LocalCluster.Shape(3, 0, 3))) {
            var control2 = ControlNodeState.all(cluster.stateDir).stream().filter(c -> c.id().equals("control2")).findFirst().orElseThrow();
            var api2 = LocalCluster.client(cluster.stateDir, control2.apiUrl());
            String id = cluster.submit(TestCluster.javaJob("ha", 2, 3, "io.spottrain.examples.mlp.MlpTrainer", "--steps", "900",
                    "--step-delay-ms", "15", "--log-every", "25", "--checkpoint-every", "100")).path("id").asText();
            cluster.awaitJob(id, j -> j.path("state").asText().equals("RUNNING") && j.path("steps").asLong() >= 100, Duration.ofSeconds(90));
            assertEquals(id, api2.get("/api/v1/jobs/" + id).path("id").asText(), "control2 serves the same API through the singleton");

            long epoch = api2.get("/api/v1/control/stats").path("jobManagerEpoch").asLong();
            long t0 = System.nanoTime();
            // SIGKILL to that one process: its agents (other machines in production) live on
            assertTrue(ProcessHandle.of(cluster.state.coordinatorPid()).orElseThrow().destroyForcibly(), "kill -9 of control1");
            // reads never stop: control2 answers from its own copy of the replicated store
            assertEquals("RUNNING", api2.get("/api/v1/jobs/" + id).path("state").asText(), "control2 reads its own copy at once");
            // a change needs the job manager: 503 until it runs on control2
            // (3 control nodes: keep-majority on role control leaves 2 of 3; with 2, a 1:1 split may down the survivor)
            JsonNode accepted = null;
            String lastError = "";
            while (accepted == null && System.nanoTime() - t0 < 90_000_000_000L) {
                try {
                    accepted = api2.post("/api/v1/jobs/" + id + "/checkpoint", "", "application/json");
                } catch (RuntimeException e) {
                    lastError = e.getMessage();
                    Thread.sleep(100);
                }
            }
            double handover = (System.nanoTime() - t0) / 1e9;
            if (accepted == null) {
                String log = String.join("\n", cluster.log("control2").lines().filter(l -> !l.contains("interruption poll")).toList());
                throw new AssertionError("control2 never accepted a change after control1 was killed (last: " + lastError + "); control2 log:\n"
                        + log.substring(Math.max(0, log.length() - 12000)));
            }
            System.out.printf("handover: %.2f s from kill -9 of control1 until control2 accepted a change%n", handover);
            // exactly one new job manager took over: its epoch fences off anything the old one might still write
            assertEquals(epoch + 1, api2.get("/api/v1/control/stats").path("jobManagerEpoch").asLong());

            JsonNode end = null;
            for (int i = 0; i < 600 && (end == null || !END.contains(end.path("state").asText())); i++) {
                try {
                    end = api2.get("/api/v1/jobs/" + id);
                } catch (RuntimeException e) {
                    // a transient 503 while the singleton settles
                }
                Thread.sleep(200);
            }
            JsonNode fin = end;
            assertTrue(fin != null && fin.path("state").asText().equals("SUCCEEDED"), () -> String.valueOf(fin));
            assertEquals(expected, fin.path("paramsSha256").asText(), "same parameters as an uninterrupted run");
            assertTrue(fin.path("paramsAgree").asBoolean());
            assertTrue(fin.path("events").toString().contains("\"type\":\"CONTROL_HANDOVER\""), fin.path("events")::toString);
            assertEquals(1, fin.path("generations").asLong(), "the job was not restarted because the coordinator moved: "
                    + fin.path("events"));
        }
    }

    /**
     * 2 control nodes: keep-majority on role control keeps, on a 1:1 split, the side with the lowest
     * address. Losing that node takes the other down with it (why HA wants 3, docs/control-plane.md).
     */
    @Test
    void withTwoControlNodesLosingTheLowestAddressDownsTheSurvivor() throws Exception {
        try (TestCluster cluster = TestCluster.start(dir.resolve("two"), new LocalCluster.Shape(0, 0, 2))) {
            var nodes = ControlNodeState.all(cluster.stateDir);
            assertEquals(2, nodes.size(), nodes::toString);
            // same host: the lowest address is the lowest port
            var sorted = nodes.stream().sorted(Comparator.comparingInt(
                    (ControlNodeState c) -> Integer.parseInt(c.clusterEndpoint().substring(c.clusterEndpoint().lastIndexOf(':') + 1)))).toList();
            var lowest = sorted.get(0);
            var survivor = sorted.get(1);
            assertEquals("ok", LocalCluster.client(cluster.stateDir, survivor.apiUrl()).get("/api/v1/health").path("status").asText());
            ProcessHandle.of(lowest.pid()).orElseThrow().destroyForcibly();
            var handle = ProcessHandle.of(survivor.pid()).orElseThrow();
            boolean exited = handle.onExit().completeOnTimeout(null, 60, TimeUnit.SECONDS).join() != null
                    || !handle.isAlive();
            assertTrue(exited, "the survivor " + survivor.id() + " should have downed itself after " + lowest.id()
                    + " (lowest address) was lost; its log:\n" + cluster.log(survivor.id()).lines()
                            .filter(l -> l.contains("SBR")).reduce("", (a, b) -> a + b + "\n"));
            assertTrue(cluster.log(survivor.id()).contains("SBR took decision"), "the split brain resolver decided");
        }
    }
}
