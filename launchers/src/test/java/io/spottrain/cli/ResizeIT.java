package io.spottrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.client.ApiClient;
import io.spottrain.launchers.local.TestCluster;
import io.spottrain.protocol.json.Json;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live resize on a real local cluster (Nomad's scale API): a job at 3 workers of max 4 is refused
 * out of its bounds and with a stale generation, shrinks to 2 (the free node is not grown back into,
 * past the growth cooldown), is refused while that change is in flight, then grows to 4 through the
 * CLI (the free node and one the launcher starts), and finishes with exactly the parameters of an
 * uninterrupted run; every request is a scaling event with the actor and source.
 */
@Timeout(300)
class ResizeIT {
    static final String STEPS = "2500";

    @TempDir
    Path dir;

    @Test
    void resizeDownAndUpThroughTheElasticPathLosingNoStep() throws Exception {
        String expectedSha = TestCluster.uninterruptedSha(STEPS);
        try (TestCluster cluster = TestCluster.start(dir.resolve("state"), 3, "--scale-up-cooldown", "2s")) {
            String id = cluster.submit(TestCluster.javaJob("resize", 1, 4, "io.spottrain.examples.mlp.MlpTrainer", "--steps", STEPS,
                    "--step-delay-ms", "20", "--log-every", "10", "--checkpoint-every", "200")).path("id").asText();
            cluster.awaitJob(id, j -> j.path("state").asText().equals("RUNNING") && j.path("worldSize").asInt() == 3
                    && j.path("steps").asLong() >= 50, Duration.ofSeconds(90));
            String path = "/api/v1/jobs/" + id + "/scale";
            JsonNode before = cluster.api.get(path);
            assertEquals(List.of(3, 4, 1, 4, false), List.of(before.path("running").asInt(), before.path("target").asInt(),
                    before.path("min").asInt(), before.path("max").asInt(), before.path("changing").asBoolean()), before::toString);
            assertTrue(before.path("desired").isNull(), before::toString);

            assertRefused(cluster.api, path, Map.of("workers", 5), 422, "workers 5 is above the job's maximum: spec.workers.max is 4");
            assertRefused(cluster.api, path, Map.of("workers", 0), 422, "workers 0 is below the job's minimum: spec.workers.min is 1");
            assertRefused(cluster.api, path, Map.of("workers", 2, "expectedGeneration", 0), 409, "the job is at generation 1, not the "
                    + "expected 0");
            assertRefused(cluster.api, path, Map.of("workers", "two"), 400, "bad scale request: workers is required");
            assertRefused(cluster.api, path, Map.of("workers", 2, "count", 2), 400, "unknown field(s) [count]");

            JsonNode shrink = cluster.api.post(path, Json.write(Map.of("workers", 2, "message", "give a node back", "expectedGeneration",
                    1)), "application/json");
            assertEquals("accepted", shrink.path("request").path("outcome").asText(), shrink::toString);
            assertEquals(2, shrink.path("scale").path("desired").asInt(), shrink::toString);
            assertTrue(shrink.path("scale").path("changing").asBoolean(), "the reply shows the shrink under way: " + shrink);
            assertRefused(cluster.api, path, Map.of("workers", 3), 409, "a generation change is in flight (shrink recovery of generation 1)");

            long g2Step = cluster.awaitJob(id, j -> j.path("state").asText().equals("RUNNING") && j.path("generation").asLong() == 2,
                    Duration.ofSeconds(60)).path("steps").asLong();
            // node given back, cooldown 2 s: without the operator's count the job would grow back into it
            JsonNode g2 = cluster.awaitJob(id, j -> j.path("steps").asLong() >= g2Step + 250 || j.path("generation").asLong() > 2,
                    Duration.ofSeconds(60));
            assertEquals(2, g2.path("generation").asLong(), () -> "no growth past the desired count: " + g2.path("events"));
            assertEquals(2, g2.path("worldSize").asInt());

            var up = CliIT.cli("resize", id, "--workers", "4", "--message", "more capacity", "--state-dir", cluster.stateDir.toString());
            assertEquals(0, up.code(), up.err());
            assertTrue(up.out().startsWith("job " + id + ": accepted: 2 -> 4 workers (running 2 in generation 2): grows to 4 at its next safe point"),
                    up.out());
            JsonNode g3 = cluster.awaitJob(id, j -> j.path("state").asText().equals("RUNNING") && j.path("worldSize").asInt() == 4,
                    Duration.ofSeconds(120));
            assertTrue(g3.path("events").toString().contains("for the resize to 4 workers"), "one node launched: " + g3.path("events"));

            JsonNode end = cluster.awaitJob(id, j -> List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(j.path("state").asText()),
                    Duration.ofSeconds(150));
            assertEquals("SUCCEEDED", end.path("state").asText(), () -> end.path("reason") + " " + end.path("events"));
            assertEquals(expectedSha, end.path("paramsSha256").asText(), "resizing changes nothing the job computes");
            assertEquals(0, end.path("preemptions").size(), "a resize is no preemption: " + end.path("preemptions"));

            JsonNode events = cluster.api.get(path).path("events");
            var outcomes = new ArrayList<String>();
            for (JsonNode e : events) outcomes.add(e.path("to").asInt() + ":" + e.path("outcome").asText() + ":" + e.path("source").asText());
            assertEquals(List.of("5:refused:api", "0:refused:api", "2:refused:api", "2:accepted:api", "3:refused:api", "4:accepted:cli"),
                    outcomes, events::toString);
            assertTrue(events.get(3).path("actor").asText().contains("admin token"), events.get(3)::toString);
            assertEquals("give a node back", events.get(3).path("message").asText());
            var listed = CliIT.cli("scaling-events", id, "--state-dir", cluster.stateDir.toString());
            assertEquals(0, listed.code(), listed.err());
            assertTrue(listed.out().contains("4->2") && listed.out().contains("2->4"), listed.out());
            assertTrue(listed.out().contains("more capacity"), listed.out());
            assertTrue(listed.out().contains("spec.workers.max is 4"), "refusals say why: " + listed.out());
        }
    }

    static void assertRefused(ApiClient api, String path, Map<String, Object> body, int status, String message) {
        var e = assertThrows(ApiClient.ApiError.class, () -> api.post(path, Json.write(body), "application/json"));
        assertEquals(status, e.status, e::getMessage);
        assertTrue(e.getMessage().contains(message), e::getMessage);
    }
}
