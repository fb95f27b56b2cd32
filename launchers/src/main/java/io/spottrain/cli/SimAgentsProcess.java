package io.spottrain.cli;

import com.typesafe.config.ConfigFactory;
import io.spottrain.agent.sim.SimHost;
import io.spottrain.protocol.tls.NodeTls;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** One JVM of simulated agents for {@code bench scale} (hidden): speaks the real agent protocol, simulates the ranks. */
@Command(name = "sim-agents", hidden = true, description = "Host simulated worker agents (scale benchmark).")
final class SimAgentsProcess implements Callable<Integer> {
    @Option(names = "--seed", required = true, description = "host:port of a control node (repeatable)")
    List<String> seeds;

    @Option(names = "--host", defaultValue = "127.0.0.1")
    String host;

    @Option(names = "--prefix", required = true, description = "node ids are PREFIX-0001 ...")
    String prefix;

    @Option(names = "--count", required = true)
    int count;

    @Option(names = "--steps-per-second", defaultValue = "2")
    double stepsPerSecond;

    @Option(names = "--hang-after-ms", defaultValue = "0", description = "hang this many idle agents (--hang) after this long (0: never)")
    long hangAfterMs;

    @Option(names = "--hang", defaultValue = "0")
    int hang;

    @Option(names = "--tls-dir", required = true, description = "this host's node.crt, node.key and the cluster's ca.crt")
    Path tlsDir;

    @Override
    public Integer call() throws Exception {
        var host = SimHost.start(this.host, seeds, ConfigFactory.parseMap(Map.of("pekko.coordinated-shutdown.exit-jvm", "on",
                "pekko.loglevel", "WARNING")).withFallback(NodeTls.in(tlsDir).artery()), prefix, count, stepsPerSecond);
        if (hang > 0 && hangAfterMs > 0) {
            Thread.sleep(hangAfterMs);
            // only registered idle agents hang (a hang is of a known node): wait for them, bounded
            int hung = host.hangIdle(hang);
            for (int tries = 0; hung < hang && tries < 60; tries++) {
                Thread.sleep(500);
                hung += host.hangIdle(hang - hung);
            }
            System.out.println("hung " + hung + " idle agent(s) at " + Instant.now());
            System.out.flush();
        }
        host.system().getWhenTerminated().toCompletableFuture().join();
        return 0;
    }
}
