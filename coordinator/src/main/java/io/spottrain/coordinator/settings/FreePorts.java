package io.spottrain.coordinator.settings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A free TCP port to bind a little later (a control node's cluster, state-store discovery and communication ports, chosen
 * before the servers start), taken below the kernel's ephemeral range: a port that {@code bind(0)} or an outgoing
 * connection may hand out any moment (the local agents start while the coordinator does) can be gone by the time the
 * server binds it; one below that range can only be taken by another explicit bind, which the check here sees.
 */
public final class FreePorts {
    private FreePorts() {}

    /** Below this the well-known and registered services live: never chosen. */
    static final int LOWEST = 10_000;

    /** Ports this JVM handed out: each is bound a little later, so a second pick must not see it free and hand it out again. */
    private static final Set<Integer> GIVEN = ConcurrentHashMap.newKeySet();

    public static int pick() {
        int below = ephemeralLow(Path.of("/proc/sys/net/ipv4/ip_local_port_range"));
        if (below - LOWEST >= 1_000) {
            for (int i = 0; i < 64; i++) {
                int port = LOWEST + ThreadLocalRandom.current().nextInt(below - LOWEST);
                if (!GIVEN.contains(port) && free(port) && GIVEN.add(port)) return port;
            }
        }
        try (var s = new ServerSocket(0)) { // a machine whose ephemeral range starts low: any free port
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free TCP port", e);
        }
    }

    /** The first port of the kernel's ephemeral range (Linux's default, 32768, where it cannot be read). */
    static int ephemeralLow(Path rangeFile) {
        // read to the end of the stream: /proc files report size 0, and Files.readString then returned only the first byte
        // ("3" of "32768 60999"), so every pick fell back to bind(0) inside the ephemeral range
        try (var in = Files.newInputStream(rangeFile)) {
            return Integer.parseInt(new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }

    private static boolean free(int port) {
        try (var s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress(port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
