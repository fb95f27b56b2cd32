package io.spottrain.cli;

import io.spottrain.client.CliException;
import io.spottrain.launchers.bench.CheckpointBench;
import io.spottrain.launchers.bench.GoodputBench;
import io.spottrain.launchers.bench.ScaleBench;
import io.spottrain.launchers.bench.ScaleReport;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Benchmarks that start what they measure on this machine and stop it again. */
@Command(name = "bench", description = "Benchmarks on this machine: scale (the coordinator under simulated agents), checkpoint "
        + "(local tier, upload and download against their baselines), goodput (a Spot capacity trace against spottrain, restart-everything "
        + "and on-demand).", subcommands = {BenchCommand.Scale.class, BenchCommand.Checkpoint.class, BenchCommand.GoodputRun.class})
final class BenchCommand {

    /** A benchmark starts clean: an earlier run of it in {@code dir} (one of {@code markers} there) is removed; anything else is refused. */
    static void clearEarlierRun(Path dir, String... markers) throws IOException {
        if (!Files.isDirectory(dir)) return;
        boolean ours = false;
        for (String m : markers) ours |= Files.exists(dir.resolve(m));
        if (ours) {
            // an earlier run of this benchmark: start clean (a cluster still running there is refused by the start)
            try (var walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
            }
        } else {
            try (var list = Files.list(dir)) {
                if (list.findAny().isPresent()) throw new CliException(dir + " is not empty and not an earlier benchmark run; pick another directory");
            }
        }
    }

    @Command(name = "scale", description = "One coordinator, simulated agents on a few host JVMs, many jobs: scheduling and API latency, "
            + "store load, detection of a lost host and of a hung agent, heap.")
    static final class Scale implements Callable<Integer> {
        @Option(names = "--agents", defaultValue = "1000", description = "simulated agents (default: ${DEFAULT-VALUE})")
        int agents;

        @Option(names = "--jobs", defaultValue = "200", description = "jobs of 1-8 workers (default: ${DEFAULT-VALUE})")
        int jobs;

        @Option(names = "--hosts", defaultValue = "4", description = "host JVMs the agents share (default: ${DEFAULT-VALUE})")
        int hosts;

        @Option(names = "--steps", defaultValue = "240", description = "steps each job trains (default: ${DEFAULT-VALUE})")
        int steps;

        @Option(names = "--steps-per-second", defaultValue = "2", description = "each rank's step rate; progress every step (default: ${DEFAULT-VALUE})")
        double stepsPerSecond;

        @Option(names = "--state-dir", description = "where the run keeps its state and logs (default: ./.spottrain/bench-scale)")
        Path stateDir;

        @Option(names = "--host-nice", defaultValue = "10", description = "niceness of the simulated agents' host JVMs, so that they stand in "
                + "for machines of their own instead of taking the coordinator's CPU; 0: none (default: ${DEFAULT-VALUE})")
        int hostNice;

        @Option(names = "--warmup-waves", defaultValue = "6", description = "waves of --jobs short jobs run to their end first, not "
                + "measured: the burst then meets compiled code, as a coordinator that has run a while does; 0: cold (default: ${DEFAULT-VALUE})")
        int warmupWaves;

        @Option(names = "--api-readers", defaultValue = "1", description = "threads reading the API (job views, every tenth the job "
                + "list) while the jobs are submitted and run; 0: none, to see what that load costs the scheduling (default: ${DEFAULT-VALUE})")
        int apiReaders;

        @Mixin
        Options.Output output;

        @Override
        public Integer call() throws Exception {
            if (warmupWaves < 0 || warmupWaves > 10) throw new CliException("--warmup-waves must be 0..10, not " + warmupWaves);
            if (hostNice < 0 || hostNice > 19) throw new CliException("--host-nice must be 0..19, not " + hostNice);
            if (apiReaders < 0 || apiReaders > 8) throw new CliException("--api-readers must be 0..8, not " + apiReaders);
            if (agents < 2 || hosts < 2 || hosts > agents) throw new CliException("--agents >= 2 and 2 <= --hosts <= --agents");
            if (jobs < 1 || steps < 20 || stepsPerSecond <= 0) throw new CliException("--jobs >= 1, --steps >= 20, --steps-per-second > 0");
            Path dir = (stateDir == null ? DemoCommand.home().resolve(".spottrain").resolve("bench-scale") : stateDir).toAbsolutePath();
            clearEarlierRun(dir, "control");
            var r = ScaleBench.run(new ScaleBench.Options(agents, jobs, hosts, stepsPerSecond, steps, dir,
                    s -> System.err.println("bench: " + s), hostNice, warmupWaves, apiReaders));
            System.out.print(output.json() ? ScaleReport.json(r) + "\n" : ScaleReport.text(r));
            return 0;
        }
    }

    @Command(name = "checkpoint", description = "One checkpoint of --mb MiB: local write vs dd conv=fsync, upload and download vs the AWS "
            + "SDK's S3TransferManager used directly, against the embedded S3 server, side by side; prints ratios.")
    static final class Checkpoint implements Callable<Integer> {
        @Option(names = "--mb", defaultValue = "256", description = "checkpoint size in MiB (default: ${DEFAULT-VALUE})")
        int mb;

        @Option(names = "--files", defaultValue = "4", description = "shard files it is split into (default: ${DEFAULT-VALUE})")
        int files;

        @Option(names = "--reps", defaultValue = "3", description = "repetitions; medians are reported (default: ${DEFAULT-VALUE})")
        int reps;

        @Option(names = "--dir", description = "scratch directory on the disk to measure (default: a new temporary directory)")
        Path dir;

        @Mixin
        Options.Output output;

        @Override
        public Integer call() throws Exception {
            if (mb < 1 || mb > 8192) throw new CliException("--mb must be 1..8192, got " + mb);
            if (files < 1 || files > 64 || (long) mb * 1024 * 1024 / files > Integer.MAX_VALUE - 8) {
                throw new CliException("--files must be 1..64 with each file under 2 GiB");
            }
            if (reps < 1) throw new CliException("--reps must be >= 1");
            Path scratch = dir == null ? Files.createTempDirectory("spottrain-bench-checkpoint") : dir.toAbsolutePath();
            try {
                var r = CheckpointBench.run(new CheckpointBench.Options(mb, files, reps, scratch, s -> System.err.println("bench: " + s)));
                System.out.print(output.json() ? CheckpointBench.json(r) + "\n" : CheckpointBench.text(r));
                return 0;
            } finally {
                if (dir == null) CheckpointDir.deleteTree(scratch);
            }
        }
    }

    @Command(name = "goodput", description = "A Spot capacity trace (time_ms,add|remove,node) played against spottrain elastic, the "
            + "restart-everything baseline at N=K and N=K-2, and K on-demand nodes, one after another on this machine: steps, goodput, "
            + "eta against an ideal system, cost per 1,000 steps, where the time went, and a PNG.")
    static final class GoodputRun implements Callable<Integer> {
        @Option(names = "--trace", required = true, description = "capacity trace, e.g. examples/traces/p3-trace.csv")
        Path trace;

        @Option(names = "--window", description = "H0-H1: the hours of trace time to replay, e.g. 0.5-1.5 (default: the whole trace)")
        String window;

        @Option(names = "--compress", defaultValue = "20", description = "divides trace time (and every emulated delay) (default: ${DEFAULT-VALUE})")
        double compress;

        @Option(names = "--max-nodes", defaultValue = "4", description = "K: capacity slots the trace is downscaled to (default: ${DEFAULT-VALUE})")
        int maxNodes;

        @Option(names = "--seed", defaultValue = "1", description = "which trace nodes get the K slots (default: ${DEFAULT-VALUE})")
        long seed;

        @Option(names = "--systems", defaultValue = "on-demand,elastic,restart-k,restart-k-2",
                description = "which systems to run (default: ${DEFAULT-VALUE}); eta needs on-demand")
        String systems;

        @Option(names = "--batch-delay-ms", defaultValue = "80", description = "emulated compute of one global batch: a step at world "
                + "size W takes this / W (default: ${DEFAULT-VALUE})")
        int batchDelayMs;

        @Option(names = "--checkpoint-every", defaultValue = "500", description = "steps between checkpoints, every system (default: ${DEFAULT-VALUE})")
        int checkpointEvery;

        @Option(names = "--state-mb", defaultValue = "0", description = "extra state in every checkpoint, MiB (default: ${DEFAULT-VALUE})")
        int stateMb;

        @Option(names = "--spot-price", defaultValue = "0.91", description = "$/node-hour (default: p3.2xlarge Spot, ${DEFAULT-VALUE})")
        double spotPrice;

        @Option(names = "--on-demand-price", defaultValue = "3.06", description = "$/node-hour (default: p3.2xlarge, ${DEFAULT-VALUE})")
        double onDemandPrice;

        @Option(names = "--dir", description = "where the runs keep state, logs, goodput.json and goodput.png (default: ./.spottrain/bench-goodput)")
        Path dir;

        @Mixin
        Options.Output output;

        @Override
        public Integer call() throws Exception {
            if (!Files.isRegularFile(trace)) throw new CliException("--trace " + trace + ": no such file");
            long[] w = window(window);
            if (batchDelayMs < 1 || checkpointEvery < 1 || stateMb < 0) throw new CliException("--batch-delay-ms and --checkpoint-every >= 1, --state-mb >= 0");
            if (spotPrice <= 0 || onDemandPrice <= 0) throw new CliException("--spot-price and --on-demand-price must be > 0");
            Path out = (dir == null ? DemoCommand.home().resolve(".spottrain").resolve("bench-goodput") : dir).toAbsolutePath();
            clearEarlierRun(out, "goodput.json", "elastic", "on_demand", "restart_k");
            var r = GoodputBench.run(new GoodputBench.Options(trace.toAbsolutePath(), w[0], w[1], compress, maxNodes, seed, batchDelayMs,
                    checkpointEvery, stateMb, spotPrice, onDemandPrice, GoodputBench.systems(systems), out, DemoCommand.home(),
                    s -> System.err.println("bench: " + s)));
            String json = GoodputBench.json(r);
            Files.writeString(out.resolve("goodput.json"), json);
            System.out.print(output.json() ? json + "\n" : GoodputBench.text(r));
            return 0;
        }

        /** {@code H0-H1} in hours of trace time, as milliseconds; {0, 0} (the whole trace) without one. */
        static long[] window(String w) {
            if (w == null) return new long[] {0, 0};
            String[] p = w.split("-");
            try {
                if (p.length == 2) {
                    long a = Math.round(Double.parseDouble(p[0].strip()) * 3_600_000);
                    long b = Math.round(Double.parseDouble(p[1].strip()) * 3_600_000);
                    if (a >= 0 && b > a) return new long[] {a, b};
                }
            } catch (NumberFormatException e) {
                // below
            }
            throw new CliException("--window must be H0-H1 in hours with H1 > H0 >= 0, e.g. 0.5-1.5; got \"" + w + "\"");
        }
    }
}
