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
                nodeId(c.getString("node-id").isBlank() ? hostName() : c.getString("node-id")),
                NodeMarket.fromLabel(market).orElseThrow(() -> new IllegalArgumentException(
                        "spottrain.agent.market must be spot, on-demand or reserved, got \"" + market + "\"")),
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

    /**
     * A node id is a host-name-like label (letters, digits, '-', '_', '.'; at most 63): it names
     * files, log lines and URLs, so anything else is refused at start, naming the setting.
     */
    static String nodeId(String id) {
        if (!id.matches("[A-Za-z0-9][-A-Za-z0-9_.]{0,62}")) {
            throw new IllegalArgumentException("spottrain.agent.node-id must be 1-63 letters, digits, '-', '_' or '.', starting with a letter"
                    + " or digit, got \"" + (id.length() > 70 ? id.substring(0, 70) + "..." : id) + "\"");
        }
        return id;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "node-" + ProcessHandle.current().pid();
        }
    }
}
