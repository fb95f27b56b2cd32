package io.spottrain.agent.supervision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.agent.supervision.RendezvousPorts.Range;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RendezvousPortsTest {

    static Stream<Arguments> ranges() {
        return Stream.of(
                Arguments.of("Linux's default 32768-60999: the 12,768 ports below", 32768, 60999, Optional.of(new Range(20000, 32767))),
                Arguments.of("a range starting low: never under 10,000", 15000, 60999, Optional.of(new Range(10000, 14999))),
                Arguments.of("no room below: above it", 1024, 60000, Optional.of(new Range(60001, 65535))),
                Arguments.of("the whole port space is ephemeral: none", 1024, 65000, Optional.empty()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ranges")
    void outsideTheEphemeralRange(String what, int lo, int hi, Optional<Range> expected) {
        assertEquals(expected, RendezvousPorts.outside(lo, hi));
    }

    @Test
    void parsesTheKernelsFile() {
        assertEquals(Optional.of(new Range(32768, 60999)), RendezvousPorts.parse("32768\t60999\n"));
        assertEquals(Optional.empty(), RendezvousPorts.parse("garbage"));
    }

    @Test
    void aFreePortCanBeBoundAndIsOutsideTheEphemeralRangeHere() throws Exception {
        int port = RendezvousPorts.free("127.0.0.1");
        try (var s = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            assertEquals(port, s.getLocalPort());
        }
        var kernel = RendezvousPorts.ephemeralRange();
        assertEquals(Files.isReadable(RendezvousPorts.EPHEMERAL_RANGE), kernel.isPresent(), "read where the kernel says");
        kernel.ifPresent(k -> assertTrue(port < k.lo() || port > k.hi(), port + " is in the ephemeral range " + k));
    }
}
