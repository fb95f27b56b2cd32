package io.spottrain.coordinator.state;

import com.typesafe.config.Config;
import io.spottrain.coordinator.settings.FreePorts;
import io.spottrain.protocol.tls.NodeTls;
import java.nio.file.Path;
import java.util.List;

/** Builds the state store that {@code spottrain.coordinator.store} configures. */
public final class StateStores {
    private StateStores() {}

    public static StateStore create(Config root, String nodeId, String host) {
        Config c = root.getConfig("spottrain.coordinator.store");
        String kind = c.getString("kind");
        switch (kind) {
            case "memory":
                return new InMemoryStateStore();
            case "ignite":
                String dir = c.getString("dir");
                if (dir.isBlank()) {
                    throw new IllegalArgumentException("spottrain.coordinator.store.dir: the ignite store needs a directory");
                }
                int disco = port(c.getInt("discovery-port"));
                int comm = port(c.getInt("communication-port"));
                List<String> peers = c.getStringList("peers").isEmpty() ? List.of(host + ":" + disco) : c.getStringList("peers");
                String tls = c.getString("tls-dir");
                return IgniteStateStore.start(new IgniteStateStore.Settings(nodeId, Path.of(dir), host, disco, comm, peers,
                        tls.isBlank() ? null : NodeTls.in(Path.of(tls))));
            default:
                throw new IllegalArgumentException("spottrain.coordinator.store.kind: expected ignite or memory, got \"" + kind + "\"");
        }
    }

    private static int port(int configured) {
        return configured > 0 ? configured : FreePorts.pick();
    }
}
