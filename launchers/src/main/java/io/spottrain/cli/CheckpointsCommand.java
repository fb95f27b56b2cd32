package io.spottrain.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.agent.checkpoint.RemoteSettings;
import io.spottrain.checkpoint.Progress;
import io.spottrain.checkpoint.remote.AwsS3ObjectStore;
import io.spottrain.checkpoint.remote.RemoteTier;
import io.spottrain.client.CliException;
import io.spottrain.launchers.local.ClusterState;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import io.spottrain.protocol.checkpoint.CheckpointException;
import io.spottrain.protocol.checkpoint.CheckpointManifest;
import io.spottrain.protocol.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "checkpoints", description = "List a job's checkpoints per tier, or pull one from the remote tier.",
        subcommands = {CheckpointsCommand.Ls.class, CheckpointsCommand.Pull.class})
final class CheckpointsCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "ls", description = "Steps of a job: the nodes whose local tier has them, whether S3 has them, sizes and times.")
    static final class Ls implements Callable<Integer> {
        @Parameters(paramLabel = "JOB")
        String jobId;

        @Mixin
        Options.Cluster cluster;

        @Mixin
        Options.Output output;

        @Option(names = "--limit", defaultValue = "100", description = "newest steps to show (default: ${DEFAULT-VALUE}, at most 1000)")
        int limit;

        @Override
        public Integer call() {
            JsonNode page = cluster.client().get("/api/v1/jobs/" + jobId + "/checkpoints?limit=" + limit);
            if (output.json()) {
                System.out.println(Json.pretty(page));
                return 0;
            }
            JsonNode steps = page.path("items");
            if (steps.isEmpty()) {
                System.out.println("job " + jobId + " has no checkpoints yet");
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode s : steps) {
                var nodes = new ArrayList<String>();
                s.path("localNodes").forEach(n -> nodes.add(n.asText()));
                String local = s.path("removed").asBoolean() ? "(removed by retention)" : nodes.isEmpty() ? "-" : String.join(",", nodes);
                rows.add(List.of(s.path("step").asText(), local, s.path("remote").asBoolean() ? "yes" : "no",
                        s.path("bytes").asText(), String.format("%.2f", s.path("stallMs").asDouble()),
                        String.format("%.1f", s.path("persistMs").asDouble()), s.path("uploadMs").isNumber() ? s.path("uploadMs").asText() : "-"));
            }
            System.out.print(Text.table(List.of("STEP", "LOCAL", "S3", "BYTES", "STALL_MS", "PERSIST_MS", "UPLOAD_MS"), rows));
            if (page.path("total").asLong() > steps.size()) {
                System.out.println("(the newest " + steps.size() + " of " + page.path("total").asLong() + " steps; --limit N for more)");
            }
            return 0;
        }
    }

    @Command(name = "pull", description = "Download a job's checkpoint (default: the newest in S3) into DIR, verified, with a progress bar.")
    static final class Pull implements Callable<Integer> {
        @Parameters(paramLabel = "JOB")
        String jobId;

        @Option(names = "--step", description = "the step (default: the newest committed in S3)")
        Long step;

        @Option(names = "--to", required = true, description = "local directory; the checkpoint lands in DIR/step-<n>/")
        Path to;

        @Option(names = "--s3-endpoint", description = "S3 API endpoint (default: the local cluster's)")
        String endpoint;

        @Option(names = "--s3-uri", description = "remote tier root s3://bucket/prefix (default: the local cluster's)")
        String uri;

        @Mixin
        Options.Cluster cluster;

        @Mixin
        Options.Output output;

        @Override
        public Integer call() throws Exception {
            Path dir = cluster.stateDir();
            var state = ClusterState.read(dir);
            String ep = endpoint != null ? endpoint : state.map(ClusterState::s3Endpoint).orElse(null);
            String root = uri != null ? uri : state.map(ClusterState::s3Uri).orElse(null);
            if (root == null) throw new CliException("no remote tier known: pass --s3-uri s3://bucket/prefix (and --s3-endpoint for non-AWS)");
            String[] keys = S3Credentials.read(dir);
            String[] bp = RemoteSettings.parse(root);
            boolean local = ep != null && Files.isRegularFile(dir.resolve(S3Credentials.FILE));
            var settings = S3LogArchive.settings(ep, bp[0], keys, local);
            try (var store = new AwsS3ObjectStore(settings)) {
                var remote = new RemoteTier(store, bp[1]);
                List<Long> candidates = step != null ? List.of(step) : remote.committedSteps(jobId);
                if (candidates.isEmpty()) throw new CliException("job " + jobId + " has no committed checkpoint in " + store.describe());
                var skipped = new ArrayList<Map<String, Object>>();
                var into = new CheckpointDir(to.toAbsolutePath());
                for (long s : candidates) {
                    var bar = new Bar();
                    long t0 = System.nanoTime();
                    CheckpointManifest m;
                    try {
                        m = remote.download(jobId, s, into, bar);
                    } catch (CheckpointException e) {
                        bar.done();
                        // an explicit --step is that step or nothing; the newest falls back to the next good one, as a restore does
                        if (step != null) throw new CliException(e.getMessage());
                        skipped.add(Map.of("step", s, "reason", e.getMessage()));
                        System.err.println("step " + s + " is not usable: " + e.getMessage() + (s == candidates.get(candidates.size() - 1)
                                ? "" : "; trying the next older step"));
                        continue;
                    }
                    bar.done();
                    double secs = (System.nanoTime() - t0) / 1e9;
                    if (output.json()) {
                        System.out.println(Json.pretty(Map.of("job", jobId, "step", s, "dir", into.stepDir(s).toString(), "bytes",
                                m.totalBytes(), "seconds", secs, "files", m.files().size(), "skipped", skipped)));
                    } else {
                        System.out.printf("pulled %s step %d: %d files, %d bytes in %.2f s, verified, into %s%s%n", jobId, s,
                                m.files().size(), m.totalBytes(), secs, into.stepDir(s), skipped.isEmpty() ? ""
                                        : " (newer steps " + skipped.stream().map(x -> x.get("step").toString()).toList() + " were not usable)");
                    }
                    return 0;
                }
                throw new CliException("no usable checkpoint of " + jobId + " in " + store.describe() + ": every committed step failed "
                        + "verification (" + skipped.size() + " tried)");
            } catch (IOException e) {
                throw new CliException("cannot read the remote tier: " + e.getMessage());
            }
        }
    }

    /** A one-line progress bar on stderr: bytes, percent, rate. */
    static final class Bar implements Progress {
        private final long t0 = System.nanoTime();
        private long lastPrint;

        @Override
        public synchronized void update(long done, long total) {
            long now = System.nanoTime();
            if (now - lastPrint < 100_000_000L && done < total) return;
            lastPrint = now;
            double rate = done / Math.max(1e-9, (now - t0) / 1e9) / 1e6;
            int pct = total > 0 ? (int) (100 * done / total) : 0;
            int filled = pct / 5;
            System.err.printf("\r[%s%s] %3d%% %,d bytes %.1f MB/s", "#".repeat(filled), " ".repeat(20 - filled), pct, done, rate);
        }

        void done() {
            System.err.println();
        }
    }
}
