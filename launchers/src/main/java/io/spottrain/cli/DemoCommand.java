package io.spottrain.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.spottrain.client.ApiClient;
import io.spottrain.client.CliException;
import io.spottrain.launchers.local.ClusterState;
import io.spottrain.launchers.local.JavaCommand;
import io.spottrain.launchers.local.LocalCluster;
import io.spottrain.launchers.local.LocalFleet;
import io.spottrain.launchers.local.PreemptionTrace;
import io.spottrain.protocol.json.Json;
import io.spottrain.protocol.spec.JobSpecException;
import io.spottrain.protocol.spec.JobSpecParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Runs everything on this machine: a local cluster, the example trainer job
 * (examples/jobs/mlp-elastic.yaml) on it, the run summary, and a clean stop.
 */
@Command(name = "demo", description = "Start a local cluster, run an example job on it, print the run summary, stop everything.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--workers", description = "worker agents (default: 4 with preemptions, else 3)")
    Integer workers;

    @Option(names = "--state-dir", description = "keep everything of the run here (default: ./.spottrain/demo)")
    Path stateDir;

    @Option(names = "--steps", description = "training steps (default: the job spec's STEPS, 600)")
    Integer steps;

    @Option(names = "--s3-endpoint", description = "use this S3-compatible server for the remote tier (keys from $SPOTTRAIN_S3_ACCESS_KEY/_SECRET_KEY) instead of the embedded one")
    String s3Endpoint;

    @Option(names = "--no-s3", description = "no remote tier: checkpoints stay on the nodes' local tiers")
    boolean noS3;

    @Option(names = "--preemptions", description = "preemption trace to replay (time_ms,add|remove,node[,notice|kill]); "
            + "'none' for none (default: two notices and one kill)")
    String preemptions;

    @Option(names = "--time-scale", defaultValue = "1.0", description = "multiplies the trace's times (default: ${DEFAULT-VALUE})")
    double timeScale;

    @Option(names = "--step-delay-ms", description = "slows each training step by a fixed time, whatever the world size (default: 0)")
    Integer stepDelayMs;

    @Option(names = "--batch-delay-ms", description = "emulated compute of a step's global batch, split across the ranks: a step at "
            + "world size W takes this / W, so more workers train faster (default: 30 with preemptions, else 0)")
    Integer batchDelayMs;

    @Option(names = "--job", description = "job spec to run (default: examples/jobs/mlp-elastic.yaml)")
    Path jobFile;

    @Option(names = "--scale-up-cooldown", defaultValue = "5s", description = "how old a generation must be before the job grows "
            + "back into free nodes (a cluster's default is 60s; the demo's job is short) (default: ${DEFAULT-VALUE})")
    String scaleUpCooldown;

    @Mixin
    Options.Output output;

    @Override
    public Integer call() {
        Path home = home();
        Path dir = (stateDir == null ? home.resolve(".spottrain").resolve("demo") : stateDir).toAbsolutePath();
        Path spec = jobFile != null ? jobFile : home.resolve("examples/jobs/mlp-elastic.yaml");
        if (!Files.isRegularFile(spec)) throw new CliException("cannot read " + spec + ": no such file");
        PreemptionTrace trace = preemptions == null ? PreemptionTrace.demoDefault()
                : preemptions.equals("none") ? new PreemptionTrace(List.of()) : PreemptionTrace.read(Path.of(preemptions));
        boolean replay = !trace.events().isEmpty();
        int workers = this.workers != null ? this.workers : replay ? 4 : 3;
        if (timeScale <= 0) throw new CliException("--time-scale must be > 0, got " + timeScale);
        String yaml = ValidateCommand.read(spec);
        int min = minWorkers(spec, yaml);
        if (workers < min) {
            throw new CliException("the demo job (" + home.relativize(spec.toAbsolutePath()) + ") needs at least " + min
                    + " workers (spec.workers.min); --workers " + workers + " cannot run it: use --workers " + min + " or more");
        }
        String body = withSteps(yaml, steps != null ? steps : replay ? Integer.valueOf(2500) : null, stepDelayMs,
                batchDelayMs != null ? batchDelayMs : replay && stepDelayMs == null ? Integer.valueOf(30) : null);
        clearPreviousRun(dir);
        int onDemand = workers > 1 ? 1 : 0;
        say("starting a local cluster: 1 coordinator, " + workers + " workers (" + (workers - onDemand) + " spot, " + onDemand
                + " on-demand) under " + dir + "; a job grows back into free nodes once its generation is " + scaleUpCooldown + " old and the growth pays");
        long t0 = System.nanoTime();
        // Ctrl-C or SIGTERM while the demo runs: the cluster it started stops with it (finally blocks do not run on a signal)
        var stopped = new AtomicBoolean();
        Runnable stop = () -> {
            if (stopped.compareAndSet(false, true)) {
                int n = LocalCluster.stop(dir, Duration.ofSeconds(30));
                say("stopped the local cluster (" + n + " processes); logs kept in " + dir.resolve("logs"));
            }
        };
        Thread hook = new Thread(stop, "demo-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        ClusterState cluster = LocalCluster.start(dir, new LocalCluster.Shape(workers, onDemand), home, Duration.ofSeconds(120),
                JavaCommand.current(JavaCommand.COORDINATOR_FLAGS), coordinatorArgs());
        try {
            say("cluster up in " + secs(t0) + "s, API " + cluster.apiUrl() + "; submitting " + home.relativize(spec.toAbsolutePath()));
            var api = LocalCluster.client(dir, cluster.apiUrl());
            JsonNode job = api.post("/api/v1/jobs", body, "application/json");
            String id = job.path("id").asText();
            Thread replayer = null;
            if (replay) {
                say("replaying " + trace.events().size() + " preemption event(s) at time scale " + timeScale + " once the job runs");
                replayer = new Thread(() -> replay(api, id, trace), "preemption-replay");
                replayer.setDaemon(true);
                replayer.start();
            }
            JsonNode end = SubmitCommand.await(api, id, Duration.ofMinutes(30));
            if (replayer != null) replayer.interrupt();
            if (cluster.s3Uri() != null) end = awaitUploads(api, end);
            if (output.json()) {
                Map<String, Object> summary = new LinkedHashMap<>(Json.MAPPER.convertValue(Text.summary(end), Map.class));
                summary.put("stateDir", dir.toString());
                System.out.println(Json.pretty(summary));
            } else {
                System.out.print(Text.summaryText(end));
                System.out.println(ledgerLine(api, id));
                System.out.println("  logs: " + dir.resolve("logs") + " (ranks: " + dir.resolve("agents/<node>/logs") + ")");
            }
            return end.path("state").asText().equals("SUCCEEDED") ? 0 : 1;
        } finally {
            stop.run();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException alreadyExiting) {
                // the hook is running
            }
        }
    }

    /** The cost ledger's view of the run (./spottrain cost): the job's node time incl. recoveries, and what no job used. */
    static String ledgerLine(ApiClient api, String jobId) {
        try {
            JsonNode r = api.get("/api/v1/cost?by=job&window=1d");
            double job = 0, recovery = 0, idle = 0, control = 0;
            String perSamples = "";
            for (JsonNode row : r.path("rows")) {
                String k = row.path("key").asText();
                if (k.equals(jobId)) {
                    job = row.path("costUsd").asDouble();
                    recovery = row.path("recoveryUsd").asDouble();
                    if (row.path("usdPer1mSamples").isNumber()) {
                        perSamples = String.format(Locale.ROOT, " ($%.4f per 1M samples)", row.path("usdPer1mSamples").asDouble());
                    }
                } else if (k.equals("(control)")) {
                    control += row.path("costUsd").asDouble();
                } else if (k.startsWith("(")) {
                    idle += row.path("costUsd").asDouble();
                }
            }
            return String.format(Locale.ROOT, "  cost ledger: job $%.6f%s of which recovering $%.6f, nodes no job held (boot, idle) $%.6f, "
                    + "control plane $%.6f, cluster $%.6f saved %.1f%% vs on-demand (./spottrain cost)", job, perSamples, recovery, idle, control,
                    r.path("total").path("costUsd").asDouble(), r.path("total").path("savingsPercent").asDouble());
        } catch (RuntimeException e) {
            return "  cost ledger: not readable (" + e.getMessage() + ")";
        }
    }

    private List<String> coordinatorArgs() {
        var args = new ArrayList<>(UpCommand.storageArgs(s3Endpoint, noS3));
        args.addAll(List.of("--scale-up-cooldown", scaleUpCooldown));
        return args;
    }

    /** Replays the trace against the running job: add launches a node, remove sends a notice or a kill. */
    private void replay(ApiClient api, String jobId, PreemptionTrace trace) {
        try {
            while (!api.get("/api/v1/jobs/" + jobId).path("state").asText().equals("RUNNING")) Thread.sleep(100);
            long t0 = System.nanoTime();
            for (var e : trace.events()) {
                long at = (long) (e.timeMs() * timeScale);
                long wait = at - (System.nanoTime() - t0) / 1_000_000;
                if (wait > 0) Thread.sleep(wait);
                String state = api.get("/api/v1/jobs/" + jobId).path("state").asText();
                if (List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(state)) return;
                try {
                    if (e.op().equals("add")) {
                        boolean running = false;
                        for (JsonNode n : api.get("/api/v1/nodes")) {
                            running |= n.path("id").asText().equals(e.node()) && !n.path("state").asText().equals("LOST");
                        }
                        if (running) continue;
                        // a Spot node of the local fleet, named as the trace names it
                        api.post("/api/v1/nodes", Json.write(Map.of("nodeId", e.node(), "market", "spot", "instanceType",
                                LocalFleet.INSTANCE_TYPE, "gpus", 1, "pricePerHour", LocalFleet.SPOT_PRICE, "onDemandPricePerHour",
                                LocalFleet.ON_DEMAND_PRICE, "zone", "local-a")), "application/json");
                        say(String.format("t=%.1fs add %s", at / 1000.0, e.node()));
                    } else {
                        api.post("/api/v1/nodes/" + e.node() + "/preempt", "{\"kind\":\"" + e.kind() + "\"}", "application/json");
                        say(String.format("t=%.1fs %s %s", at / 1000.0, e.kind().equals("kill") ? "kill -9" : "Spot notice (IMDS, taken in 20 s) to",
                                e.node()));
                    }
                } catch (RuntimeException ex) {
                    say(String.format("t=%.1fs %s %s skipped: %s", at / 1000.0, e.op(), e.node(), ex.getMessage()));
                }
            }
        } catch (InterruptedException ignored) {
            // the job ended
        } catch (RuntimeException e) {
            say("preemption replay stopped: " + e.getMessage());
        }
    }

    /** A demo starts clean: the previous demo run in the same state dir (and only a spottrain state dir) is removed. */
    private void clearPreviousRun(Path dir) {
        if (!Files.isDirectory(dir)) return;
        if (ClusterState.read(dir).filter(ClusterState::alive).isPresent()) {
            throw new CliException("a cluster is running under " + dir + "; stop it first: ./spottrain down --state-dir " + dir);
        }
        boolean ours = Files.isDirectory(dir.resolve("agents")) || Files.isDirectory(dir.resolve("logs"));
        try (var list = Files.list(dir)) {
            if (list.findAny().isPresent() && !ours) {
                throw new CliException(dir + " is not empty and not a spottrain state dir; pick another --state-dir");
            }
        } catch (IOException e) {
            throw new CliException("cannot read " + dir + ": " + e.getMessage());
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        } catch (IOException e) {
            throw new CliException("cannot clear the previous demo run in " + dir + ": " + e.getMessage());
        }
        say("cleared the previous demo run in " + dir);
    }

    /** The last checkpoint reaches S3 a moment after the job ends: wait for it (bounded) so the summary shows it. */
    static JsonNode awaitUploads(ApiClient api, JsonNode job) {
        long deadline = System.currentTimeMillis() + 30_000;
        JsonNode j = job;
        while (System.currentTimeMillis() < deadline) {
            JsonNode c = j.path("checkpoints");
            if (c.path("count").asInt() == 0 || c.path("remoteLatestStep").asLong(-1) >= c.path("latestStep").asLong()) return j;
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return j;
            }
            j = api.get("/api/v1/jobs/" + j.path("id").asText());
        }
        return j;
    }

    /** The job's {@code spec.workers.min} (the spec is validated, so it is there or defaulted). */
    static int minWorkers(Path file, String yaml) {
        try {
            return JobSpecParser.parse(yaml).spec().workers().min();
        } catch (JobSpecException e) {
            throw new CliException(file + ": " + e.getMessage());
        }
    }

    /** The repository: $SPOTTRAIN_HOME (set by ./spottrain), else the nearest directory up that has the examples. */
    static Path home() {
        String env = System.getenv("SPOTTRAIN_HOME");
        if (env != null && !env.isBlank()) return Path.of(env).toAbsolutePath();
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("examples/jobs/mlp-elastic.yaml"))) return p;
        }
        return Path.of("").toAbsolutePath();
    }

    /** The spec as JSON with spec.env.STEPS, STEP_DELAY_MS and BATCH_DELAY_MS set where given (the example job reads them). */
    static String withSteps(String yaml, Integer steps, Integer stepDelayMs, Integer batchDelayMs) {
        try {
            var tree = (ObjectNode) new ObjectMapper(
                    new YAMLFactory()).readTree(yaml);
            if (steps != null) {
                if (steps < 1) throw new CliException("--steps must be >= 1, got " + steps);
                tree.with("spec").with("env").put("STEPS", Integer.toString(steps));
            }
            if (stepDelayMs != null) {
                if (stepDelayMs < 0) throw new CliException("--step-delay-ms must be >= 0, got " + stepDelayMs);
                tree.with("spec").with("env").put("STEP_DELAY_MS", Integer.toString(stepDelayMs));
            }
            if (batchDelayMs != null) {
                if (batchDelayMs < 0) throw new CliException("--batch-delay-ms must be >= 0, got " + batchDelayMs);
                tree.with("spec").with("env").put("BATCH_DELAY_MS", Integer.toString(batchDelayMs));
            }
            return Json.write(tree);
        } catch (IOException | ClassCastException e) {
            throw new CliException("cannot read the demo job spec: " + e.getMessage());
        }
    }

    private void say(String s) {
        System.err.println("demo: " + s);
    }

    private static String secs(long t0) {
        return String.format("%.1f", (System.nanoTime() - t0) / 1e9);
    }
}
