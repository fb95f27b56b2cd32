package io.spottrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.agent.checkpoint.RemoteSettings;
import io.spottrain.checkpoint.Progress;
import io.spottrain.checkpoint.remote.AwsS3ObjectStore;
import io.spottrain.checkpoint.remote.RemoteTier;
import io.spottrain.checkpoint.remote.S3Settings;
import io.spottrain.launchers.local.TestCluster;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import io.spottrain.protocol.json.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Elastic recovery against restarting everything, in one run on one local cluster (not part of the
 * suite; see docs/benchmarks.md):
 *
 * <pre>
 * mvn -B -q -pl launchers -am verify -Dit.test=ElasticBenchmark -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dbench.preemptions=20 -Dbench.restarts=10
 * </pre>
 *
 * <p>One trainer job (min 2, max 4 workers, 4 agents, replacements on) gets {@code bench.preemptions}
 * notices and as many kill -9s, alternating, on a random member each time, once it trains again and a
 * node is free when needed (world size plus free nodes at least 3, so the survivors never drop below min 2 and
 * no resume waits for a replacement machine). Per preemption: the coordinator's detectSeconds, resumeSeconds (recovery
 * start to every rank running), lostSteps, and the harness's own "back to training" time (preemption
 * sent to the first step after the resume step seen through the API; ranks report every step,
 * polled every 50 ms).
 *
 * <p>Baseline, the way torchrun and SkyPilot recover: every process of the job is gone; a fresh set
 * of 3 trainer processes (one per node) downloads the newest S3 checkpoint of the same job into empty
 * directories, starts, forms its ring, and trains one step. Timed from the restart to every rank's
 * first step after the resume step. It excludes failure detection and waiting for a replacement machine,
 * both of which that way of recovering also needs, so the baseline is a lower bound.
 */
class ElasticBenchmark {
    /**
     * {@code backToTraining}: through the API (a progress record reaches the store at the job's next flush, up to ~1 s
     * later); {@code coordinatorBack}: the coordinator's own clock, from the recovery's start to rank 0's first step
     * after the resume (what the job lost; the detection of a kill comes before it).
     */
    record Sample(String kind, String node, long atStep, double detect, double resume, long lost, double backToTraining, int worldAfter,
            double coordinatorBack, double paused) {}

    @Test
    @Timeout(value = 3600, unit = TimeUnit.SECONDS)
    void elasticRecoveryVersusRestartEverythingFromS3() throws Exception {
        int perKind = Integer.getInteger("bench.preemptions", 20);
        int restarts = Integer.getInteger("bench.restarts", 10);
        // -Dbench.world=4 -Dbench.agents=6: each preemption waits until the job trains at that world size (0: the old rule)
        int world = Integer.getInteger("bench.world", 0);
        int agents = Integer.getInteger("bench.agents", 4);
        // -Dbench.lead=30: notices further ahead than the coordinator's 15 s swap margin are swaps (the replacement re-formed in)
        int lead = Integer.getInteger("bench.lead", 10);
        int maxWorkers = Math.max(4, world);
        Path dir = Files.createTempDirectory("spottrain-elastic-bench");
        var samples = new ArrayList<Sample>();
        var baseline = new ArrayList<Double>();
        var random = new Random(7);
        String jobId;
        long remoteStep;
        try (TestCluster cluster = TestCluster.start(dir.resolve("cluster"), agents)) {
            jobId = cluster.submit(TestCluster.javaJob("bench", 2, maxWorkers, "io.spottrain.examples.mlp.MlpTrainer", "--steps", "10000000",
                    "--batch-delay-ms", Integer.toString(10 * maxWorkers), "--log-every", "1", "--checkpoint-every", "100")).path("id").asText();
            long resumedFrom = 0;
            for (int i = 0; i < 2 * perKind; i++) {
                String kind = i % 2 == 0 ? "notice" : "kill";
                long from = resumedFrom;
                JsonNode before = cluster.awaitJob(jobId, j -> j.path("state").asText().equals("RUNNING") && j.path("steps").asLong() >= from + 60
                        && (world > 0 ? j.path("worldSize").asInt() >= world && freeNodes(cluster) >= 1
                                : j.path("worldSize").asInt() + freeNodes(cluster) >= 3), Duration.ofSeconds(180));
                JsonNode members = before.path("members");
                String victim = members.get(random.nextInt(members.size())).path("nodeId").asText();
                int seen = before.path("preemptions").size();
                long t0 = System.nanoTime();
                cluster.api.post("/api/v1/nodes/" + victim + "/preempt", "{\"kind\":\"" + kind + "\",\"leadSeconds\":" + lead + "}", "application/json");
                JsonNode after = awaitFast(cluster, jobId, j -> j.path("preemptions").size() > seen && j.path("state").asText().equals("RUNNING")
                        && j.path("steps").asLong() > j.path("preemptions").get(seen).path("atStep").asLong());
                double back = (System.nanoTime() - t0) / 1e9;
                after = awaitFast(cluster, jobId, j -> j.path("preemptions").get(seen).path("backToTrainingSeconds").isNumber());
                JsonNode p = after.path("preemptions").get(seen);
                assertEquals(victim, p.path("node").asText(), p::toString);
                var s = new Sample(p.path("kind").asText(), victim, p.path("atStep").asLong(), p.path("detectSeconds").asDouble(), p.path("resumeSeconds").asDouble(),
                        p.path("lostSteps").asLong(), back, after.path("worldSize").asInt(), p.path("backToTrainingSeconds").asDouble(),
                        p.path("pausedSeconds").isNumber() ? p.path("pausedSeconds").asDouble() : Double.NaN);
                samples.add(s);
                resumedFrom = p.path("atStep").asLong();
                System.out.printf(Locale.ROOT, "%2d %-6s %-6s detect %.2f s resume %.2f s lost %d back-to-training %.2f s "
                        + "(coordinator %.2f s) paused %.2f s world %d%n", i + 1, s.kind(), s.node(), s.detect(), s.resume(), s.lost(),
                        s.backToTraining(), s.coordinatorBack(), s.paused(), s.worldAfter());
            }
            JsonNode last = cluster.api.get("/api/v1/jobs/" + jobId);
            Files.createDirectories(Path.of("target"));
            Files.writeString(Path.of("target", "elastic-benchmark-events.json"), Json.pretty(last.path("events")));
            assertEquals(2 * perKind, last.path("preemptions").size());
            assertEquals(0, last.path("restarts").asInt());
            cluster.api.post("/api/v1/jobs/" + jobId + "/cancel", "{}", "application/json");
            cluster.awaitEnd(jobId);

            // the baseline, on the same machine, from the same job's S3 checkpoints
            var state = cluster.state;
            String[] keys = S3Credentials.read(cluster.stateDir);
            String[] bp = RemoteSettings.parse(state.s3Uri());
            var settings = new S3Settings(URI.create(state.s3Endpoint()), "us-east-1", bp[0], keys[0], keys[1], true, true, 8 << 20, 4);
            try (var store = new AwsS3ObjectStore(settings)) {
                var remote = new RemoteTier(store, bp[1]);
                remoteStep = remote.committedSteps(jobId).get(0);
                for (int r = 0; r < restarts; r++) {
                    baseline.add(restartEverything(remote, jobId, remoteStep, Math.max(3, world), dir.resolve("restart-" + r)));
                    System.out.printf(Locale.ROOT, "restart-everything %d: %.2f s%n", r + 1, baseline.get(baseline.size() - 1));
                }
            }
        }
        String table = report(samples, baseline, remoteStep, Math.max(3, world));
        System.out.println(table);
        Path out = Path.of("target", "elastic-benchmark.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, table);
        assertTrue(samples.stream().filter(s -> s.kind().equals("notice")).allMatch(s -> s.lost() == 0), "a notice loses no step");
        assertTrue(samples.stream().filter(s -> s.kind().equals("kill")).allMatch(s -> s.lost() <= 1), "a kill loses at most one step");
    }

    /** Polls every 50 ms (the ranks report every step), so "back to training" is not blurred by the poll. */
    private static JsonNode awaitFast(TestCluster cluster, String id, Predicate<JsonNode> done) throws InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        JsonNode job = null;
        while (System.nanoTime() < deadline) {
            job = cluster.api.get("/api/v1/jobs/" + id);
            if (done.test(job)) return job;
            Thread.sleep(50);
        }
        throw new AssertionError("job " + id + " did not train again within 120 s; last state " + (job == null ? null : job.path("state")));
    }

    private static int freeNodes(TestCluster cluster) {
        int free = 0;
        for (JsonNode n : cluster.api.get("/api/v1/nodes")) if (n.path("state").asText().equals("READY")) free++;
        return free;
    }

    /** Every rank restarts: download the step from S3 into an empty dir, start, form the ring, train one step. */
    private static double restartEverything(RemoteTier remote, String job, long step, int world, Path dir) throws Exception {
        int port;
        try (var s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        long t0 = System.nanoTime();
        var ranks = new ArrayList<CompletableFuture<Process>>();
        for (int rank = 0; rank < world; rank++) {
            int r = rank;
            int p = port;
            ranks.add(CompletableFuture.supplyAsync(() -> {
                try {
                    Path root = dir.resolve("rank-" + r);
                    remote.download(job, step, new CheckpointDir(root), Progress.NONE);
                    var argv = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:+UseSerialGC",
                            "-XX:TieredStopAtLevel=1", "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                            "io.spottrain.examples.mlp.MlpTrainer", "--steps", Long.toString(step + 5), "--log-every", "1",
                            "--step-delay-ms", "10"));
                    var pb = new ProcessBuilder(argv).redirectErrorStream(true);
                    var env = pb.environment();
                    env.remove("SPOTTRAIN_CONTROL");
                    env.put("RANK", Integer.toString(r));
                    env.put("WORLD_SIZE", Integer.toString(world));
                    env.put("MASTER_ADDR", "127.0.0.1");
                    env.put("MASTER_PORT", Integer.toString(p));
                    env.put("SPOTTRAIN_CHECKPOINT_DIR", root.toString());
                    env.put("SPOTTRAIN_RESUME_STEP", Long.toString(step));
                    return pb.start();
                } catch (Exception e) {
                    throw new CompletionException(e);
                }
            }));
        }
        var firstStep = new ArrayList<CompletableFuture<Double>>();
        var processes = new ArrayList<Process>();
        try {
            for (var f : ranks) {
                Process proc = f.get(120, TimeUnit.SECONDS);
                processes.add(proc);
                firstStep.add(CompletableFuture.supplyAsync(() -> {
                    try (var in = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8))) {
                        for (String line; (line = in.readLine()) != null; ) {
                            if (line.contains("step " + (step + 1) + " ")) return (System.nanoTime() - t0) / 1e9;
                        }
                        throw new IllegalStateException("rank exited before step " + (step + 1));
                    } catch (IOException e) {
                        throw new CompletionException(e);
                    }
                }));
            }
            double slowest = 0;
            for (var f : firstStep) slowest = Math.max(slowest, f.get(120, TimeUnit.SECONDS));
            return slowest;
        } finally {
            for (Process proc : processes) {
                proc.destroyForcibly();
                proc.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static String report(List<Sample> samples, List<Double> baseline, long step, int ranks) {
        var sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "| recovery | n | resumeSeconds p50 / p99 | back to training p50 / p99 (through the API) "
                + "| back to training p50 / p99 (coordinator's clock, from the recovery's start) | detectSeconds p50 / p99 "
                + "| training paused p50 / p99 (from the last step before to the first new one after) "
                + "| lostSteps p50 / max |%n| --- | --- | --- | --- | --- | --- | --- | --- |%n"));
        for (String kind : List.of("notice", "kill")) {
            var k = samples.stream().filter(s -> s.kind().equals(kind)).toList();
            var paused = k.stream().map(Sample::paused).filter(d -> !d.isNaN()).toList();
            sb.append(String.format(Locale.ROOT, "| elastic, %s | %d | %.2f / %.2f s | %.2f / %.2f s | %.2f / %.2f s | %.2f / %.2f s "
                    + "| %.2f / %.2f s (n %d) | %d / %d |%n", kind,
                    k.size(), pct(k.stream().map(Sample::resume).toList(), 50), pct(k.stream().map(Sample::resume).toList(), 99),
                    pct(k.stream().map(Sample::backToTraining).toList(), 50), pct(k.stream().map(Sample::backToTraining).toList(), 99),
                    pct(k.stream().map(Sample::coordinatorBack).toList(), 50), pct(k.stream().map(Sample::coordinatorBack).toList(), 99),
                    pct(k.stream().map(Sample::detect).toList(), 50), pct(k.stream().map(Sample::detect).toList(), 99),
                    pct(paused, 50), pct(paused, 99), paused.size(),
                    (long) pct(k.stream().map(s -> (double) s.lost()).toList(), 50), k.stream().mapToLong(Sample::lost).max().orElse(0)));
        }
        // what restarting from the newest checkpoint would have lost at the same moments: the steps since it (interval 100)
        var wouldLose = samples.stream().map(s -> (double) (s.atStep() % 100)).toList();
        sb.append(String.format(Locale.ROOT, "| restart everything from S3 (step %d, %d ranks) | %d | - | %.2f / %.2f s | - | not included | - | "
                + "%d / %d (at the same %d moments: steps since the newest checkpoint, interval 100) |%n", step, ranks, baseline.size(), pct(baseline, 50),
                pct(baseline, 99), (long) pct(wouldLose, 50), (long) pct(wouldLose, 100), samples.size()));
        return sb.toString();
    }

    /** Nearest-rank percentile; with 20 samples p99 is the maximum. */
    static double pct(List<Double> values, double p) {
        if (values.isEmpty()) return Double.NaN;
        var sorted = values.stream().sorted().toList();
        int idx = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, idx)));
    }
}
