package io.spottrain.cli;

import io.spottrain.launchers.local.LocalCluster;
import io.spottrain.protocol.json.Json;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "down", description = "Stop the local cluster and every process it started.")
final class DownCommand implements Callable<Integer> {
    @Mixin
    Options.Cluster cluster;

    @Mixin
    Options.Output output;

    @Override
    public Integer call() {
        Path dir = cluster.stateDir();
        int stopped = LocalCluster.stop(dir, Duration.ofSeconds(30));
        if (output.json()) {
            System.out.println(Json.pretty(Map.of("stateDir", dir.toString(), "stopped", stopped)));
        } else {
            System.out.println(stopped == 0 ? "no cluster was running under " + dir
                    : "cluster stopped (" + stopped + " process" + (stopped == 1 ? "" : "es") + ")");
        }
        return 0;
    }
}
