package io.spottrain.coordinator.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FreePortsTest {
    @TempDir
    Path dir;

    @Test
    void aPickedPortIsBelowTheEphemeralRangeAndBindable() throws Exception {
        Path proc = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
        int low = FreePorts.ephemeralLow(proc);
        if (Files.isReadable(proc)) { // Linux: the whole first number (Files.readString gave only its first byte on procfs)
            String text;
            try (var r = Files.newBufferedReader(proc)) {
                text = r.readLine();
            }
            assertEquals(Integer.parseInt(text.trim().split("\\s+")[0]), low, "the kernel's range: " + text);
        }
        var given = new HashSet<Integer>();
        for (int i = 0; i < 20; i++) {
            int port = FreePorts.pick();
            assertTrue(given.add(port), "handed out twice (a coordinator binds its picks later): " + port);
            if (low - FreePorts.LOWEST >= 1_000) assertTrue(port >= FreePorts.LOWEST && port < low, port + " vs ephemeral from " + low);
            try (var s = new ServerSocket()) {
                s.bind(new InetSocketAddress(port));
            }
        }
    }

    @Test
    void theRangeFileIsReadAndADefaultStandsInForAnUnreadableOne() throws Exception {
        Files.writeString(dir.resolve("range"), "40000\t60999\n");
        assertEquals(40_000, FreePorts.ephemeralLow(dir.resolve("range")));
        assertEquals(32_768, FreePorts.ephemeralLow(dir.resolve("missing")));
        Files.writeString(dir.resolve("bad"), "x");
        assertEquals(32_768, FreePorts.ephemeralLow(dir.resolve("bad")));
    }
}
