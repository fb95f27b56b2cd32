package io.spottrain.launchers.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of an agent process in the middle of a job: until elastic recovery exists, the job must
 * end FAILED naming the lost node, promptly, with no rank left running anywhere.
 */
@Timeout(240)
class AgentLossIT {
    @TempDir
    Path dir;

    @Test
    void killedAgentFailsTheJobNamingTheNodeAndLeavesNoProcess() throws Exception {
        try (TestCluster cluster = TestCluster.start(dir.resolve("state"), 2)) {
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
}
