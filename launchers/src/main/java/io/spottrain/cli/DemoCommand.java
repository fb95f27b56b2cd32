package io.spottrain.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.launchers.local.ClusterState;
import io.spottrain.launchers.local.JavaCommand;
import io.spottrain.launchers.local.LocalCluster;
import io.spottrain.protocol.json.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Runs everything on this machine: a local cluster, the example trainer job
 * (examples/jobs/mlp-elastic.yaml) on it, the run summary, and a clean stop.
 */
@Command(name = "demo", description = "Start a local cluster, run an example job on it, print the run summary, stop everything.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--workers", defaultValue = "3", description = "worker agents (default: ${DEFAULT-VALUE})")
    int workers;

    @Option(names = "--state-dir", description = "keep everything of the run here (default: ./.spottrain/demo)")
    Path stateDir;

    @Option(names = "--steps", description = "training steps (default: the job spec's STEPS, 600)")
    Integer steps;

    @Option(names = "--job", description = "job spec to run (default: examples/jobs/mlp-elastic.yaml)")
    Path jobFile;

    @Mixin
    Options.Output output;

    @Override
    public Integer call() {
        Path home = home();
        Path dir = (stateDir == null ? home.resolve(".spottrain").resolve("demo") : stateDir).toAbsolutePath();
        Path spec = jobFile != null ? jobFile : home.resolve("examples/jobs/mlp-elastic.yaml");
        if (!Files.isRegularFile(spec)) throw new CliException("cannot read " + spec + ": no such file");
        String body = withSteps(ValidateCommand.read(spec), steps);
        int onDemand = workers > 1 ? 1 : 0;
        say("starting a local cluster: 1 coordinator, " + workers + " workers (" + (workers - onDemand) + " spot, " + onDemand
                + " on-demand) under " + dir);
        long t0 = System.nanoTime();
        ClusterState cluster = LocalCluster.start(dir, new LocalCluster.Shape(workers, onDemand), home, Duration.ofSeconds(120),
                JavaCommand.current(JavaCommand.COORDINATOR_FLAGS));
        try {
            say("cluster up in " + secs(t0) + "s, API " + cluster.apiUrl() + "; submitting " + home.relativize(spec.toAbsolutePath()));
            var api = new ApiClient(cluster.apiUrl());
            JsonNode job = api.post("/api/v1/jobs", body, "application/json");
            JsonNode end = SubmitCommand.await(api, job.path("id").asText(), Duration.ofMinutes(30));
            if (output.json()) {
                Map<String, Object> summary = new LinkedHashMap<>(Json.MAPPER.convertValue(Text.summary(end), Map.class));
                summary.put("stateDir", dir.toString());
                System.out.println(Json.pretty(summary));
            } else {
                System.out.print(Text.summaryText(end));
                System.out.println("  logs: " + dir.resolve("logs") + " (ranks: " + dir.resolve("agents/<node>/logs") + ")");
            }
            return end.path("state").asText().equals("SUCCEEDED") ? 0 : 1;
        } finally {
            int n = LocalCluster.stop(dir, Duration.ofSeconds(30));
            say("stopped the local cluster (" + n + " processes); logs kept in " + dir.resolve("logs"));
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

    /** The spec as JSON with spec.env.STEPS set (the example job reads --steps from it). */
    static String withSteps(String yaml, Integer steps) {
        try {
            var tree = (com.fasterxml.jackson.databind.node.ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper(
                    new com.fasterxml.jackson.dataformat.yaml.YAMLFactory()).readTree(yaml);
            if (steps != null) {
                if (steps < 1) throw new CliException("--steps must be >= 1, got " + steps);
                tree.with("spec").with("env").put("STEPS", Integer.toString(steps));
            }
            return Json.write(tree);
        } catch (java.io.IOException | ClassCastException e) {
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
