package io.spottrain.agent.supervision;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Rendezvous ports (MASTER_PORT) outside the kernel's ephemeral range. A port the kernel hands out
 * for {@code bind(0)} comes from the same range as the source ports of outgoing connections, so
 * between the agent's probe and rank 0's bind another process's connection can take it (seen
 * here: "rendezvous failed: Address already in use" on a loaded machine, a generation lost to a
 * stall). Ports below the ephemeral range are never picked by the kernel for connections; a bind
 * probe skips the ones a server holds.
 */
public final class RendezvousPorts {
    static final Path EPHEMERAL_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    /** How many random ports of the range are probed before falling back to a kernel-chosen one. */
    static final int PROBES = 64;

    private RendezvousPorts() {}

    /** A range [lo, hi] of ports, inclusive. */
    public record Range(int lo, int hi) {}

    /**
     * Where rendezvous ports come from, given the kernel's ephemeral range {@code [lo, hi]}: the
     * (up to) 12,768 ports right below it, never under 10,000 (well-known and registered services
     * crowd the low ports); above it when there is no room below; none when neither has 1,000.
     */
    public static Optional<Range> outside(int ephemeralLo, int ephemeralHi) {
        int below = ephemeralLo - 1;
        int from = Math.max(10_000, below - 12_767);
        if (below - from + 1 >= 1_000) return Optional.of(new Range(from, below));
        int above = ephemeralHi + 1;
        int to = Math.min(65_535, above + 12_767);
        if (to - above + 1 >= 1_000) return Optional.of(new Range(above, to));
        return Optional.empty();
    }

    /** Parses {@code ip_local_port_range} ("32768\t60999"). */
    static Optional<Range> parse(String text) {
        var parts = text.trim().split("\\s+");
        if (parts.length != 2) return Optional.empty();
        try {
            return Optional.of(new Range(Integer.parseInt(parts[0]), Integer.parseInt(parts[1])));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * The kernel's ephemeral range, where it says (Linux). Read line by line: {@code /proc} files
     * report a size of 0, and {@code Files.readString} returns garbage for them.
     */
    static Optional<Range> ephemeralRange() {
        if (!Files.isReadable(EPHEMERAL_RANGE)) return Optional.empty();
        try (var in = Files.newBufferedReader(EPHEMERAL_RANGE)) {
            String line = in.readLine();
            return line == null ? Optional.empty() : parse(line);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Whether a server could bind {@code port} on {@code addr} now. */
    public static boolean bindable(InetAddress addr, int port) {
        try (var socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(addr, port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A port free on {@code addr} now from outside the kernel's ephemeral range, or 0 where that range is unknown (not Linux) or
     * none of the probed ports is free: a port offered ahead of its use must not be one the kernel may give an outgoing
     * connection meanwhile.
     */
    public static int freeOutsideEphemeral(InetAddress addr) {
        var range = ephemeralRange().flatMap(k -> outside(k.lo(), k.hi()));
        if (range.isEmpty()) return 0;
        var random = ThreadLocalRandom.current();
        for (int i = 0; i < PROBES; i++) {
            int port = random.nextInt(range.get().lo(), range.get().hi() + 1);
            if (bindable(addr, port)) return port;
        }
        return 0;
    }

    /** A port free on {@code host} now, outside the ephemeral range where the kernel says what that is. */
    public static int free(String host) throws IOException {
        var addr = InetAddress.getByName(host);
        int port = freeOutsideEphemeral(addr);
        if (port != 0) return port;
        try (var socket = new ServerSocket(0, 1, addr)) {
            return socket.getLocalPort();
        }
    }
}
