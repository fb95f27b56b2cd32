package io.spottrain.cli;

import io.spottrain.client.CliException;
import io.spottrain.launchers.bench.ScaleBench;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Benchmarks that start what they measure on this machine and stop it again. */
@Command(name = "bench", description = "Benchmarks on this machine: scale (the coordinator under simulated agents).",
        subcommands = {BenchCommand.Scale.class})
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
}
