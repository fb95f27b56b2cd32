package io.spottrain.launchers.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training contract v2 on real processes: survivors of a notice and of a kill -9 keep their
 * processes (same pids) and re-form the ring in place; only departing ranks stop. A trainer that
 * speaks only v1 ({@code --contract v1}) still recovers by restarting. Both end with the
 * parameters of an uninterrupted run. One cluster of 5 agents (no replacements) for the class.
 */
@Timeout(600)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class InPlaceReformIT {
    static final String STEPS = "900";
    static String expectedSha;
    static TestCluster cluster;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS) // the nodes' logs stay for a failure
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        expectedSha = TestCluster.uninterruptedSha(STEPS);
        cluster = TestCluster.start(dir.resolve("state"), 5, "--no-replacements");
        cluster.awaitStableWorkers(5, Duration.ofSeconds(90)); // the tests count on 5 nodes
    }

    @AfterAll
    static void stop() {
        if (cluster != null) cluster.close();
    }

    private static String submit(String name, int min, int max, String contract) throws Exception {
        return cluster.submit(TestCluster.javaJob(name, min, max, "io.spottrain.examples.mlp.MlpTrainer", "--steps", STEPS,
                "--step-delay-ms", "10", "--log-every", "5", "--checkpoint-every", "100", "--contract", contract)).path("id").asText();
    }

    /** Rank pids by node of the job's current generation. */
    private static Map<String, Long> pids(JsonNode job) {
        var out = new HashMap<String, Long>();
        for (JsonNode m : job.path("members")) out.put(m.path("nodeId").asText(), m.path("pid").asLong());
        return out;
    }

    /** The job running past step 150, its first generation's members. */
    private static JsonNode trainingAt150(String id) throws Exception {
        return cluster.awaitJob(id, j -> j.path("state").asText().equals("RUNNING") && j.path("steps").asLong() >= 150,
                Duration.ofSeconds(90));
    }

    /** A Spot notice 20 s ahead to the node of {@code job}'s rank 1; returns that node. */
    private static String noticeToRank1(JsonNode job) throws Exception {
        String node = job.path("members").get(1).path("nodeId").asText();
        cluster.api.post("/api/v1/nodes/" + node + "/preempt", "{\"kind\":\"notice\",\"leadSeconds\":20}", "application/json");
        return node;
    }

    private static JsonNode awaitEnd(String id) throws Exception {
        return cluster.awaitJob(id, j -> List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(j.path("state").asText()),
                Duration.ofSeconds(150));
    }

    private static JsonNode awaitGeneration(String id, long generation) throws Exception {
        return cluster.awaitJob(id, j -> j.path("state").asText().equals("RUNNING") && j.path("generations").asLong() >= generation
                && j.path("members").size() > 0 && j.path("members").findValues("pid").stream().allMatch(p -> p.asLong() > 0),
                Duration.ofSeconds(90));
    }

    /**
     * Second: on the 4 nodes the first test left, 3 in the job and one free: at the notice the free
     * node gets a staged process (started and restored while the survivors checkpoint and park). The
     * survivors re-form in place at once without waiting for it (generation 2, world size 2), and
     * the job grows into the newcomer in place as soon as it is up (generation 3, world size 3);
     * then a kill with no free node.
     */
    @Test
    @Order(2)
    void survivorsOfANoticeAndOfAKillReformInPlace() throws Exception {
        String id = submit("inplace", 1, 3, "v2");
        JsonNode g1 = trainingAt150(id);
        var before = pids(g1);
        long base = g1.path("generation").asLong(); // 1, or more if the ring had to restart before training
        noticeToRank1(g1);
        JsonNode g2 = awaitGeneration(id, base + 1);
        var after = pids(g2);
        if (after.size() == 2) { // the newcomer may have been up already (then it is in this generation)
            for (var e : after.entrySet()) {
                if (before.containsKey(e.getKey())) {
                    assertEquals(before.get(e.getKey()), e.getValue(), "the survivor on " + e.getKey() + " kept its process: " + g2.path("events"));
                }
            }
        }
        JsonNode g3 = cluster.awaitJob(id, j -> j.path("state").asText().equals("RUNNING") && j.path("worldSize").asInt() == 3
                && j.path("generation").asLong() > base
                && j.path("members").findValues("pid").stream().allMatch(p -> p.asLong() > 0), Duration.ofSeconds(90));
        assertTrue(g3.path("events").toString().contains("NEWCOMER_STAGED"), "a newcomer was staged on the free node: " + g3.path("events"));
        long grownIn = g3.path("generation").asLong();
        long inPlace = 0;
        for (JsonNode e : g3.path("events")) {
            if (e.path("type").asText().equals("RANK_STARTED") && e.path("generation").asLong() == grownIn
                    && e.path("message").asText().contains("re-formed in place")) {
                inPlace++;
            }
        }
        assertEquals(3, inPlace, "the survivors and the staged newcomer joined generation " + grownIn + " in place: " + g3.path("events"));
        cluster.awaitJob(id, j -> j.path("steps").asLong() >= 450, Duration.ofSeconds(90));
        String killed = g3.path("members").get(1).path("nodeId").asText();
        JsonNode killedNode = cluster.node(killed);
        assertTrue(ProcessTree.kill(killedNode.path("pid").asLong()));
        JsonNode end = awaitEnd(id);
        assertEquals("SUCCEEDED", end.path("state").asText(), () -> end.path("reason") + " " + end.path("events"));
        assertEquals(expectedSha, end.path("paramsSha256").asText(), "same parameters as the uninterrupted run");
        assertEquals(grownIn + 1, end.path("generations").asLong(), end.path("events")::toString);
        String survivor = g3.path("members").get(0).path("nodeId").asText();
        assertEquals(before.get(survivor), pids(end).get(survivor), "one process on " + survivor + " through both interruptions");
        JsonNode p = end.path("preemptions");
        System.out.println("in-place (v2) preemptions: " + p);
        assertEquals(2, p.size(), "growing is no preemption: " + p);
        for (JsonNode one : p) {
            assertTrue(one.path("inPlace").asBoolean(), p::toString);
            assertTrue(one.path("backToTrainingSeconds").asDouble() >= one.path("resumeSeconds").asDouble(), p::toString);
        }
        assertEquals(0, p.get(0).path("lostSteps").asLong(), p::toString);
        assertTrue(p.get(1).path("lostSteps").asLong() <= 1, p::toString);
        assertTrue(p.get(0).path("inPlaceRanks").asInt() >= 2, p::toString);
        assertEquals(2, p.get(1).path("inPlaceRanks").asInt(), p::toString);
    }

    /** First: 2 of the 5 nodes; the noticed one leaves, 4 stay. */
    @Test
    @Order(1)
    void aTrainerThatSpeaksOnlyV1StillRecoversByRestarting() throws Exception {
        String id = submit("v1", 2, 2, "v1");
        JsonNode g1 = trainingAt150(id);
        var before = pids(g1);
        String survivor = g1.path("members").get(0).path("nodeId").asText();
        noticeToRank1(g1); // the next generation takes the survivor and a free node (min 2)
        JsonNode end = awaitEnd(id);
        assertEquals("SUCCEEDED", end.path("state").asText(), () -> end.path("reason") + " " + end.path("events"));
        assertEquals(expectedSha, end.path("paramsSha256").asText());
        var after = pids(end);
        if (after.containsKey(survivor)) assertNotEquals(before.get(survivor), after.get(survivor), "v1: a new process");
        JsonNode p = end.path("preemptions");
        System.out.println("restart (v1) preemptions: " + p);
        assertEquals(1, p.size(), p::toString);
        assertEquals(false, p.get(0).path("inPlace").asBoolean(), p::toString);
        assertEquals(0, p.get(0).path("lostSteps").asLong(), p::toString);
    }
}
