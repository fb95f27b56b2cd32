package io.spottrain.cli;

import io.spottrain.client.CliException;
import io.spottrain.launchers.bench.CheckpointBench;
import io.spottrain.launchers.bench.ScaleBench;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Benchmarks that start what they measure on this machine and stop it again. */
@Command(name = "bench", description = "Benchmarks on this machine: scale (the coordinator under simulated agents), checkpoint "
        + "(local tier, upload and download against their baselines).", subcommands = {BenchCommand.Scale.class, BenchCommand.Checkpoint.class})
final class BenchCommand {

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

        @Mixin
        Options.Output output;

        @Override
        public Integer call() throws Exception {
            if (agents < 2 || hosts < 2 || hosts > agents) throw new CliException("--agents >= 2 and 2 <= --hosts <= --agents");
            if (jobs < 1 || steps < 20 || stepsPerSecond <= 0) throw new CliException("--jobs >= 1, --steps >= 20, --steps-per-second > 0");
            Path dir = (stateDir == null ? DemoCommand.home().resolve(".spottrain").resolve("bench-scale") : stateDir).toAbsolutePath();
            if (Files.isDirectory(dir.resolve("control"))) {
                // an earlier run of this benchmark: start clean (a cluster still running there is refused by the start)
                try (var walk = Files.walk(dir)) {
                    for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
                }
            } else if (Files.isDirectory(dir) && Files.list(dir).findAny().isPresent()) {
                throw new CliException(dir + " is not empty and not an earlier benchmark run; pick another --state-dir");
            }
            var r = ScaleBench.run(new ScaleBench.Options(agents, jobs, hosts, stepsPerSecond, steps, dir,
                    s -> System.err.println("bench: " + s)));
            System.out.print(output.json() ? ScaleBench.json(r) + "\n" : ScaleBench.text(r));
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
}
