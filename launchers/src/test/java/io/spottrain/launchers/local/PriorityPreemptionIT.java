package io.spottrain.launchers.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A waiting job of a higher priority class takes nodes from a running elastic job of a lower one:
 * the low job shrinks to make room (a checkpoint, the given-back ranks stop, the rest re-form), the
 * high job runs and succeeds, the low job grows back once the nodes are free again and still ends
 * with the parameters of an uninterrupted run, with no step lost and no preemption or restart spent.
 */
@Timeout(300)
class PriorityPreemptionIT {
    static final String STEPS = "2500";

    @TempDir
    Path dir;

    @Test
    void aHighPriorityJobShrinksALowElasticOneWhichGrowsBackAndLosesNothing() throws Exception {
        String expected = TestCluster.uninterruptedSha(STEPS);
        try (TestCluster cluster = TestCluster.start(dir.resolve("state"), new LocalCluster.Shape(3, 3), "--scale-up-cooldown", "3s",
                "--no-replacements")) {
            // a batch split across the ranks (30 ms of emulated compute: 10 ms a step at 3 workers, 30 at 1): growing back pays
            String low = cluster.submit(TestCluster.javaJob("low", 1, 3, "io.spottrain.examples.mlp.MlpTrainer", "--steps", STEPS,
                    "--batch-delay-ms", "30", "--log-every", "25").replace("  command:", "  priority: low\n  placement: {market: spot-with-fallback}\n"
                    + "  command:")).path("id").asText();
            cluster.awaitJob(low, j -> j.path("state").asText().equals("RUNNING") && j.path("worldSize").asInt() == 3
                    && j.path("steps").asLong() >= 100, Duration.ofSeconds(90));
            String high = cluster.submit(TestCluster.javaJob("high", 2, 2, "io.spottrain.examples.mlp.MlpTrainer", "--steps", "300",
                    "--step-delay-ms", "10").replace("  command:", "  priority: high\n  placement: {market: on-demand}\n  command:"))
                    .path("id").asText();
            JsonNode h = cluster.awaitJob(high, j -> List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(j.path("state").asText()),
                    Duration.ofSeconds(120));
            assertEquals("SUCCEEDED", h.path("state").asText(), h::toString);
            JsonNode end = cluster.awaitJob(low, j -> List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(j.path("state").asText()),
                    Duration.ofSeconds(150));
            assertEquals("SUCCEEDED", end.path("state").asText(), end::toString);
            String events = end.path("events").toString();
            assertTrue(events.contains("shrinking from world size 3 to 1, giving back") && events.contains("job " + high
                    + " (priority high) waits for 2 node(s)"), events);
            assertTrue(events.contains("growing from world size 1"), "it grew back once the high job was done: " + events);
            assertEquals(expected, end.path("paramsSha256").asText(), "the same parameters as an uninterrupted run");
            assertEquals(0, end.path("preemptions").size(), "giving nodes back is no preemption: " + end.path("preemptions"));
            assertEquals(0, end.path("restarts").asInt());
            assertTrue(!events.contains("REPLACEMENT_REQUESTED"), "nothing is replaced after a shrink: " + events);
        }
    }
}
