package io.spottrain.launchers.local;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15's utilisation benchmark (not part of the suite: run it by name, ~6 min):
 * {@code ./mvnw -B -o verify -pl launchers -Dit.test=UtilisationBenchmark -Dtest=NoSuch -Dsurefire.failIfNoSpecifiedTests=false}.
 * The same bursty submission pattern ({@code bench.bursts} bursts of {@code bench.jobs} one-worker jobs,
 * {@code bench.gap} seconds apart) against two local clusters, one after the other: a fleet of
 * {@code bench.fixed} workers sized for the burst, and a fleet of 0 workers under the autoscaler
 * (minNodes 1, maxNodes {@code bench.fixed}, threshold 0, cooldowns 100 s up and 400 s down at time
 * scale 0.05: 5 s and 20 s). Per system, from the cost ledger over the run: utilisation (job and
 * recovery node-seconds over every worker node-second billed, idle and boot included), the worker
 * node-hours and their cost; from the jobs: the wait from submit to RUNNING (p50, max) and the
 * makespan. Writes {@code target/utilisation-benchmark.md}.
 */
@Timeout(value = 1800, unit = TimeUnit.SECONDS)
class UtilisationBenchmark {
    static final String POLICY = """
            autoscaling:
              metric: waiting_jobs_in_queue
              targetThreshold: 0
              scaleUpCooldown: 100s
              scaleDownCooldown: 400s
              limits: {minNodes: 1, maxNodes: %d}
            """;

    record Result(String system, double utilisation, double workerHours, double costUsd, double waitP50, double waitMax,
            double makespan, int succeeded, int jobs) {}

    @TempDir
    Path dir;

    @Test
    void autoscaledFleetVersusAFixedOneOnBurstySubmissions() throws Exception {
        int bursts = Integer.getInteger("bench.bursts", 3);
        int jobs = Integer.getInteger("bench.jobs", 4);
        int gap = Integer.getInteger("bench.gap", 60);
        int fixed = Integer.getInteger("bench.fixed", 4);
        var results = new ArrayList<Result>();
        try (var cluster = TestCluster.start(dir.resolve("fixed"), fixed, "--no-s3")) {
            results.add(run("fixed fleet of " + fixed, cluster, bursts, jobs, gap));
        }
        Path policy = dir.resolve("autoscale.yaml");
        Files.writeString(policy, POLICY.formatted(fixed));
        try (var cluster = TestCluster.start(dir.resolve("auto"), 0, "--no-s3", "--autoscale", policy.toString(),
                "--autoscale-time-scale", "0.05")) {
            results.add(run("autoscaled 1.." + fixed, cluster, bursts, jobs, gap));
        }
        var sb = new StringBuilder(String.format(Locale.ROOT, "%d bursts of %d one-worker jobs, %d s apart%n%n", bursts, jobs, gap));
        sb.append("| fleet | utilisation (job node-s / billed worker node-s) | worker node-hours | worker cost $ | wait submit → RUNNING p50 / max "
                + "| makespan | jobs succeeded |\n| --- | --- | --- | --- | --- | --- | --- |\n");
        for (Result r : results) {
            sb.append(String.format(Locale.ROOT, "| %s | %.2f | %.4f | %.4f | %.1f / %.1f s | %.0f s | %d of %d |%n", r.system(), r.utilisation(),
                    r.workerHours(), r.costUsd(), r.waitP50(), r.waitMax(), r.makespan(), r.succeeded(), r.jobs()));
        }
        System.out.println(sb);
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target", "utilisation-benchmark.md"), sb.toString());
        for (Result r : results) assertEquals(r.jobs(), r.succeeded(), r.system() + ": every job succeeds");
    }

    private static Result run(String system, TestCluster cluster, int bursts, int jobs, int gap) throws Exception {
        awaitWorkers(cluster, 1);
        Instant start = Instant.now();
        var ids = new ArrayList<String>();
        for (int b = 0; b < bursts; b++) {
            long burstAt = System.nanoTime();
            for (int j = 0; j < jobs; j++) {
                // one worker, ~15 s of training at 20 ms a step (more when the 2 cores are busy)
                ids.add(cluster.submit(TestCluster.javaJob("b" + b + "j" + j, 1, 1, "io.spottrain.examples.mlp.MlpTrainer", "--steps", "750",
                        "--step-delay-ms", "20", "--log-every", "50")).path("id").asText());
            }
            if (b < bursts - 1) Thread.sleep(Math.max(0, Duration.ofSeconds(gap).toMillis() - (System.nanoTime() - burstAt) / 1_000_000));
        }
        var waits = new ArrayList<Double>();
        Instant end = start;
        int succeeded = 0;
        for (String id : ids) {
            JsonNode j = cluster.awaitEnd(id);
            if (j.path("state").asText().equals("SUCCEEDED")) succeeded++;
            if (j.path("startedAt").isTextual()) {
                waits.add(Duration.between(Instant.parse(j.path("submittedAt").asText()), Instant.parse(j.path("startedAt").asText()))
                        .toMillis() / 1000.0);
            }
            if (j.path("finishedAt").isTextual()) {
                Instant f = Instant.parse(j.path("finishedAt").asText());
                if (f.isAfter(end)) end = f;
            }
        }
        // the ledger over the run: what the workers did with their billed time (the control plane apart)
        String window = URLEncoder.encode(start + ".." + end, StandardCharsets.UTF_8);
        JsonNode byAllocation = cluster.api.get("/api/v1/cost?by=allocation&window=" + window);
        double busy = 0;
        double billed = 0;
        double cost = 0;
        for (JsonNode r : byAllocation.path("rows")) {
            String k = r.path("key").asText();
            if (k.equals("control") || k.equals("storage")) continue;
            billed += r.path("nodeHours").asDouble();
            cost += r.path("costUsd").asDouble();
            if (k.equals("job") || k.equals("recovery")) busy += r.path("nodeHours").asDouble();
        }
        var sorted = waits.stream().sorted().toList();
        double p50 = sorted.isEmpty() ? Double.NaN : sorted.get((sorted.size() - 1) / 2);
        double max = sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() - 1);
        var r = new Result(system, billed > 0 ? busy / billed : 0, billed, cost, p50, max, Duration.between(start, end).toMillis() / 1000.0,
                succeeded, ids.size());
        System.out.println(r + "\n" + byAllocation);
        return r;
    }

    private static void awaitWorkers(TestCluster cluster, int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            int workers = 0;
            for (JsonNode node : cluster.api.get("/api/v1/nodes")) if (node.path("role").asText().equals("worker")) workers++;
            if (workers >= n) return;
            if (System.nanoTime() > deadline) throw new AssertionError("fewer than " + n + " worker(s) up within 120 s: " + workers);
            Thread.sleep(200);
        }
    }
}
