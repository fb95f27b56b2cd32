package io.spottrain.agent;

import com.typesafe.config.Config;
import io.spottrain.protocol.spec.NodeMarket;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/** The agent's settings, read once from {@code spottrain.agent} (defaults in {@code reference.conf}). */
public record AgentSettings(
        String nodeId,
        NodeMarket market,
        String instanceType,
        int gpus,
        double pricePerHour,
        double onDemandPricePerHour,
        String zone,
        Path workDir,
        Path defaultJobDir,
        Duration stopGrace,
        String imdsEndpoint,
        Duration imdsTimeout,
        String launchedAt) {

    public static AgentSettings create(Config root) {
        Config c = root.getConfig("spottrain.agent");
        String market = c.getString("market");
        return new AgentSettings(
                c.getString("node-id").isBlank() ? hostName() : c.getString("node-id"),
                NodeMarket.fromLabel(market).orElseThrow(() -> new IllegalArgumentException(
                        "spottrain.agent.market must be spot or on-demand, got \"" + market + "\"")),
                c.getString("instance-type"),
                c.getInt("gpus"),
                c.getDouble("price-per-hour"),
                c.getDouble("on-demand-price-per-hour"),
                c.getString("zone"),
                Path.of(c.getString("work-dir")).toAbsolutePath(),
                c.getString("default-job-dir").isBlank() ? Path.of("").toAbsolutePath()
                        : Path.of(c.getString("default-job-dir")).toAbsolutePath(),
                c.getDuration("stop-grace"),
                c.getString("imds.endpoint"),
                c.getDuration("imds.timeout"),
                c.getString("launched-at").isBlank() ? Instant.now().toString() : Instant.parse(c.getString("launched-at")).toString());
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "node-" + ProcessHandle.current().pid();
        }
    }
}
