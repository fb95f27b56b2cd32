package io.spottrain.protocol.wire;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Builds the Pekko configuration of one spottrain node: shared cluster settings plus its role and seeds. */
public final class ClusterConfig {
    public static final String SYSTEM_NAME = "spottrain";
    public static final String ROLE_CONTROL = "control";
    public static final String ROLE_WORKER = "worker";

    private ClusterConfig() {}

    /**
     * @param seeds host:port of the control nodes; empty means this node is the first seed itself
     * @param port  Artery port, 0 for any free port
     */
    public static Config node(String role, String host, int port, List<String> seeds, Config overrides) {
        Map<String, Object> m = new HashMap<>();
        m.put("pekko.cluster.roles", List.of(role));
        m.put("pekko.remote.artery.canonical.hostname", host);
        m.put("pekko.remote.artery.canonical.port", port);
        m.put("pekko.cluster.seed-nodes", seeds.stream().map(s -> "pekko://" + SYSTEM_NAME + "@" + s).toList());
        return overrides
                .withFallback(ConfigFactory.parseMap(m))
                .withFallback(ConfigFactory.parseResources(ClusterConfig.class.getClassLoader(), "spottrain-cluster.conf"))
                .withFallback(ConfigFactory.load())
                .resolve();
    }
}
