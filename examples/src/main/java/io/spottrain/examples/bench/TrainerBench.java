package io.spottrain.examples.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Benchmark of the example trainer (not a test): steps/s at world size 1, 2 and 3 on this machine,
 * and the checkpoint stall (time training is blocked) against the full persist time. Every
 * configuration runs side by side in one invocation, repeated; prints a Markdown table.
 *
 * <pre>examples/bin/run-java io.spottrain.examples.bench.TrainerBench [--steps 2000] [--repeats 3]</pre>
 */
public final class TrainerBench {
    private static final Pattern TRAIN = Pattern.compile("train-seconds=([0-9.]+)");
    private static final Pattern CKPT = Pattern.compile("stall ([0-9.]+) ms, persist ([0-9.]+) ms");

    public static void main(String[] args) throws Exception {
        int steps = 2000;
        int repeats = 3;
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (args[i].equals("--steps")) steps = Integer.parseInt(args[i + 1]);
            else if (args[i].equals("--repeats")) repeats = Integer.parseInt(args[i + 1]);
            else throw new IllegalArgumentException("unknown flag " + args[i]);
        }
        Path tmp = Files.createTempDirectory("trainer-bench");
        System.out.printf(Locale.ROOT, "| world size | steps/s (median of %d) | relative to world 1 | samples/s |%n", repeats);
        System.out.println("| --- | --- | --- | --- |");
        double base = 0;
        for (int world = 1; world <= 3; world++) {
            var rates = new ArrayList<Double>();
            for (int r = 0; r < repeats; r++) {
                List<String> out = run(tmp.resolve("w" + world + "-" + r), world, steps, 0);
                double secs = out.stream().mapToDouble(TrainerBench::trainSeconds).max().orElseThrow();
                rates.add(steps / secs);
            }
            double m = median(rates);
            if (world == 1) base = m;
            System.out.printf(Locale.ROOT, "| %d | %.0f | %.2f | %.0f |%n", world, m, m / base, m * 256);
        }
        // checkpoint every 10 steps at world size 2: what blocks training vs what makes it durable
        var stalls = new ArrayList<Double>();
        var persists = new ArrayList<Double>();
        var withCkpt = new ArrayList<Double>();
        for (int r = 0; r < repeats; r++) {
            List<String> out = run(tmp.resolve("ck-" + r), 2, steps, 10);
            withCkpt.add(steps / out.stream().mapToDouble(TrainerBench::trainSeconds).max().orElseThrow());
            for (String o : out) {
                Matcher m = CKPT.matcher(o);
                while (m.find()) {
                    stalls.add(Double.parseDouble(m.group(1)));
                    persists.add(Double.parseDouble(m.group(2)));
                }
            }
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "checkpoint every 10 steps, world size 2: %d checkpoints, p50 stall %.3f ms, p50 persist %.2f ms "
                + "(stall/persist %.3f), p99 stall %.3f ms; steps/s %.0f with vs %.0f without%n", stalls.size(), median(stalls),
                median(persists), median(stalls) / median(persists), percentile(stalls, 0.99), median(withCkpt), base > 0 ? base : 0);
    }

    static List<String> run(Path dir, int world, int steps, int checkpointEvery) throws Exception {
        Files.createDirectories(dir);
        int port;
        try (var s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        var procs = new ArrayList<Process>();
        var logs = new ArrayList<Path>();
        try {
            for (int rank = 0; rank < world; rank++) {
                Path log = dir.resolve("rank" + rank + ".log");
                var pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:+UseSerialGC",
                        "-Xmx256m", "-cp", System.getProperty("java.class.path"), "io.spottrain.examples.mlp.MlpTrainer",
                        "--steps", Integer.toString(steps), "--log-every", Integer.toString(steps), "--checkpoint-every",
                        Integer.toString(checkpointEvery), "--checkpoint-dir", dir.resolve("ckpt" + rank).toString())
                        .redirectErrorStream(true).redirectOutput(log.toFile());
                pb.environment().put("RANK", Integer.toString(rank));
                pb.environment().put("WORLD_SIZE", Integer.toString(world));
                pb.environment().put("MASTER_ADDR", "127.0.0.1");
                pb.environment().put("MASTER_PORT", Integer.toString(port));
                pb.environment().remove("SPOTTRAIN_CONTROL");
                procs.add(pb.start());
                logs.add(log);
            }
            var outs = new ArrayList<String>();
            for (int i = 0; i < procs.size(); i++) {
                if (!procs.get(i).waitFor(600, TimeUnit.SECONDS) || procs.get(i).exitValue() != 0) {
                    throw new IOException("rank " + i + " failed: " + Files.readString(logs.get(i)));
                }
                outs.add(Files.readString(logs.get(i)));
            }
            return outs;
        } finally {
            procs.forEach(Process::destroyForcibly);
        }
    }

    static double trainSeconds(String out) {
        Matcher m = TRAIN.matcher(out);
        if (!m.find()) throw new IllegalStateException("no train-seconds in: " + out);
        return Double.parseDouble(m.group(1));
    }

    static double median(List<Double> v) {
        return percentile(v, 0.5);
    }

    static double percentile(List<Double> v, double p) {
        if (v.isEmpty()) return Double.NaN;
        var s = v.stream().sorted().toList();
        return s.get((int) Math.min(s.size() - 1, Math.floor(p * s.size())));
    }
}
