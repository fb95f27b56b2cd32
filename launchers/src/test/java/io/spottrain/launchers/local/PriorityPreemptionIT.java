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
 * high job runs and succeeds, the low job grows back once the nodes are free again. Then a second
 * high job needs every node: shrinking is not enough, so the low job is requeued (every rank
 * checkpoints and stops, every node goes back), the high job runs, and the low job is placed again
 * and resumes from its checkpoint. It still ends with the parameters of an uninterrupted run, with
 * no step lost and no restart spent.
 */
@Timeout(300)
class PriorityPreemptionIT {
    static final String STEPS = "2500"; // ResizeIT's: one uninterrupted reference run for both

    @TempDir
    Path dir;

    @Test
    void aHighPriorityJobShrinksALowElasticOneWhichGrowsBackIsRequeuedForAnotherAndLosesNothing() throws Exception {
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
            JsonNode back = cluster.awaitJob(low, j -> j.path("state").asText().equals("RUNNING") && j.path("worldSize").asInt() == 3,
                    Duration.ofSeconds(60));
            System.out.println("PriorityPreemptionIT: the low job grew back at step " + back.path("steps").asLong() + " of " + STEPS);
            assertTrue(back.path("steps").asLong() < Long.parseLong(STEPS) - 500, "the low job must still have ~5 s to train when the "
                    + "whole job comes to requeue it: " + back.path("steps") + " of " + STEPS + " (a slower machine: raise STEPS)");
            // a job of 3 on-demand nodes: the low job can give back only 2 by shrinking, so it steps aside whole
            String whole = cluster.submit(TestCluster.javaJob("whole", 3, 3, "io.spottrain.examples.mlp.MlpTrainer", "--steps", "200",
                    "--step-delay-ms", "10").replace("  command:", "  priority: high\n  placement: {market: on-demand}\n  command:"))
                    .path("id").asText();
            JsonNode w = cluster.awaitJob(whole, j -> List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(j.path("state").asText()),
                    Duration.ofSeconds(120));
            assertEquals("SUCCEEDED", w.path("state").asText(), w::toString);
            JsonNode end = cluster.awaitJob(low, j -> List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(j.path("state").asText()),
                    Duration.ofSeconds(150));
            assertEquals("SUCCEEDED", end.path("state").asText(), end::toString);
            String events = end.path("events").toString();
            assertTrue(events.contains("shrinking from world size 3 to 1, giving back") && events.contains("job " + high
                    + " (priority high) waits for 2 node(s)"), events);
            assertTrue(events.contains("growing from world size 1"), "it grew back once the high job was done: " + events);
            assertEquals(expected, end.path("paramsSha256").asText(), "the same parameters as an uninterrupted run");
            assertTrue(events.contains("requeued: job " + whole + " (priority high) waits for 3 node(s)"), events);
            assertTrue(events.contains("generation") && end.path("generation").asInt() >= 4, "shrink, growth, requeue: " + end);
            var ps = end.path("preemptions");
            assertEquals(1, ps.size(), "giving nodes back is no preemption; the requeue is the job's one interruption: " + ps);
            assertEquals("requeue", ps.get(0).path("kind").asText(), ps::toString);
            assertEquals(0, ps.get(0).path("lostSteps").asLong(), ps::toString);
            assertEquals(0, end.path("restarts").asInt());
            assertTrue(!events.contains("REPLACEMENT_REQUESTED"), "nothing is replaced after a shrink: " + events);
        }
    }
}
