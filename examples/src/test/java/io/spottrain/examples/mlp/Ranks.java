package io.spottrain.examples.mlp;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * W trainer processes of one generation on this machine, as the agents would start them: own
 * checkpoint dir per rank, output to a file, every process killed on close.
 */
final class Ranks implements AutoCloseable {
    final List<Process> processes = new ArrayList<>();
    final List<Path> logs = new ArrayList<>();
    final Path dir;

    private Ranks(Path dir) {
        this.dir = dir;
    }

    static Ranks start(Path dir, int world, long generation, long resumeStep, Map<String, String> extraEnv, String... args)
            throws IOException {
        return start(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-Xmx128m", "-cp", System.getProperty("java.class.path"), MlpTrainer.class.getName()), dir, world,
                generation, resumeStep, extraEnv, args);
    }

    /** As {@link #start(Path, int, long, long, Map, String...)}, each rank running {@code command} (then {@code args}). */
    static Ranks start(List<String> command, Path dir, int world, long generation, long resumeStep, Map<String, String> extraEnv,
            String... args) throws IOException {
        var r = new Ranks(dir);
        int port;
        try (var s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        for (int rank = 0; rank < world; rank++) {
            var argv = new ArrayList<>(command);
            argv.addAll(List.of(args));
            Path log = dir.resolve("g" + generation + "-rank" + rank + ".log");
            Files.createDirectories(dir);
            var pb = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile());
            var env = pb.environment();
            env.put("RANK", Integer.toString(rank));
            env.put("WORLD_SIZE", Integer.toString(world));
            env.put("MASTER_ADDR", "127.0.0.1");
            env.put("MASTER_PORT", Integer.toString(port));
            env.put("SPOTTRAIN_GENERATION", Long.toString(generation));
            env.put("SPOTTRAIN_CHECKPOINT_DIR", dir.resolve("ckpt-rank" + rank).toString());
            env.put("SPOTTRAIN_RESUME_STEP", Long.toString(resumeStep));
            env.remove("SPOTTRAIN_CONTROL");
            env.putAll(extraEnv.entrySet().stream().filter(e -> !e.getKey().startsWith("RANK:"))
                    .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
            String perRank = extraEnv.get("RANK:" + rank + ":SPOTTRAIN_CONTROL");
            if (perRank != null) env.put("SPOTTRAIN_CONTROL", perRank);
            String perRankToken = extraEnv.get("RANK:" + rank + ":SPOTTRAIN_CONTROL_TOKEN");
            if (perRankToken != null) env.put("SPOTTRAIN_CONTROL_TOKEN", perRankToken);
            r.processes.add(pb.start());
            r.logs.add(log);
        }
        return r;
    }

    /** Waits for every rank (bounded) and returns their exit codes. */
    List<Integer> await(long seconds) throws Exception {
        var codes = new ArrayList<Integer>();
        for (Process p : processes) {
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) throw new AssertionError("rank did not finish in " + seconds + "s: " + output());
            codes.add(p.exitValue());
        }
        return codes;
    }

    String output(int rank) throws IOException {
        return Files.readString(logs.get(rank));
    }

    String output() {
        var sb = new StringBuilder();
        try {
            for (int i = 0; i < logs.size(); i++) sb.append("--- rank ").append(i).append('\n').append(output(i));
        } catch (IOException e) {
            sb.append("(cannot read logs: ").append(e).append(')');
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return output();
    }

    String hash(int rank) throws IOException {
        String out = output(rank);
        return out.lines().filter(l -> l.startsWith("params-sha256=")).map(l -> l.substring(14)).findFirst()
                .orElseThrow(() -> new AssertionError("no params-sha256 from rank " + rank + ":\n" + out));
    }

    Path checkpointDir(int rank) {
        return dir.resolve("ckpt-rank" + rank);
    }

    @Override
    public void close() {
        processes.forEach(Process::destroyForcibly);
        for (Process p : processes) {
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
