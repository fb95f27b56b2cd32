package io.spottrain.coordinator.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.coordinator.ManualClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SessionsTest {
    final ManualClock clock = new ManualClock(Instant.parse("2026-12-01T00:00:00Z"));
    final Sessions sessions = new Sessions(clock);
    final Principal alice = new Principal("a000000000", "alice", Role.OPERATOR);

    @Test
    void aSessionLivesUntilItsTtlOrLogout() {
        var s = sessions.open(alice);
        assertNotEquals(s.id(), s.csrf(), "the cookie and the CSRF token are different secrets");
        assertEquals(s, sessions.find(s.id()).orElseThrow());
        clock.now = clock.now.plus(Sessions.TTL).plus(Duration.ofSeconds(1));
        assertTrue(sessions.find(s.id()).isEmpty(), "expired");
        var t = sessions.open(alice);
        sessions.close(t.id());
        assertTrue(sessions.find(t.id()).isEmpty(), "logged out");
        assertTrue(sessions.find(null).isEmpty() && sessions.find("guess").isEmpty());
    }

    @Test
    void theCsrfHeaderMustMatchExactly() {
        var s = sessions.open(alice);
        assertTrue(Sessions.csrfMatches(s, s.csrf()));
        assertFalse(Sessions.csrfMatches(s, null));
        assertFalse(Sessions.csrfMatches(s, s.csrf() + "x"));
        assertFalse(Sessions.csrfMatches(s, s.id()));
    }

    @Test
    void aLoginFloodCannotGrowSessionsWithoutBound() {
        String first = sessions.open(alice).id();
        for (int i = 0; i < Sessions.MAX + 10; i++) {
            clock.now = clock.now.plusMillis(1);
            sessions.open(alice);
        }
        assertTrue(sessions.find(first).isEmpty(), "the oldest went first");
    }
}
