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
 * Runs everything on this machine: a local cluster, an example job on it, the run summary, and a
 * clean stop. Today the job is the rendezvous check (examples/jobs/exchange-ranks.yaml).
 */
@Command(name = "demo", description = "Start a local cluster, run an example job on it, print the run summary, stop everything.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--workers", defaultValue = "3", description = "worker agents (default: ${DEFAULT-VALUE})")
    int workers;

    @Option(names = "--state-dir", description = "keep everything of the run here (default: ./.spottrain/demo)")
    Path stateDir;

    @Option(names = "--job", description = "job spec to run (default: examples/jobs/exchange-ranks.yaml)")
    Path jobFile;

    @Mixin
    Options.Output output;

    @Override
    public Integer call() {
        Path home = Path.of(System.getenv().getOrDefault("SPOTTRAIN_HOME", "")).toAbsolutePath();
        Path dir = (stateDir == null ? home.resolve(".spottrain").resolve("demo") : stateDir).toAbsolutePath();
        Path spec = jobFile != null ? jobFile : home.resolve("examples/jobs/exchange-ranks.yaml");
        if (!Files.isRegularFile(spec)) throw new CliException("cannot read " + spec + ": no such file");
        String yaml = ValidateCommand.read(spec);
        int onDemand = workers > 1 ? 1 : 0;
        say("starting a local cluster: 1 coordinator, " + workers + " workers (" + (workers - onDemand) + " spot, " + onDemand
                + " on-demand) under " + dir);
        long t0 = System.nanoTime();
        ClusterState cluster = LocalCluster.start(dir, new LocalCluster.Shape(workers, onDemand), home, Duration.ofSeconds(120),
                JavaCommand.current(JavaCommand.COORDINATOR_FLAGS));
        try {
            say("cluster up in " + secs(t0) + "s, API " + cluster.apiUrl() + "; submitting " + home.relativize(spec.toAbsolutePath()));
            var api = new ApiClient(cluster.apiUrl());
            JsonNode job = api.post("/api/v1/jobs", yaml, "application/yaml");
            JsonNode end = SubmitCommand.await(api, job.path("id").asText(), Duration.ofMinutes(30));
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("job", end.path("id").asText());
            summary.put("state", end.path("state").asText());
            summary.put("reason", end.path("reason").asText(null));
            summary.put("worldSize", end.path("worldSize").asInt());
            summary.put("generations", end.path("generation").asLong());
            summary.put("wallSeconds", end.path("wallSeconds").asDouble());
            summary.put("nodes", end.path("members"));
            summary.put("stateDir", dir.toString());
            if (output.json()) {
                System.out.println(Json.pretty(summary));
            } else {
                System.out.print(Text.job(end));
                for (JsonNode m : end.path("members")) {
                    String log = m.path("logFile").asText("");
                    if (!log.isEmpty()) System.out.println("  rank " + m.path("rank").asText() + " said: "
                            + io.spottrain.launchers.local.ProcessTree.tail(Path.of(log), 1));
                }
            }
            return end.path("state").asText().equals("SUCCEEDED") ? 0 : 1;
        } finally {
            int n = LocalCluster.stop(dir, Duration.ofSeconds(30));
            say("stopped the local cluster (" + n + " processes); logs kept in " + dir.resolve("logs"));
        }
    }

    private void say(String s) {
        System.err.println("demo: " + s);
    }

    private static String secs(long t0) {
        return String.format("%.1f", (System.nanoTime() - t0) / 1e9);
    }
}
