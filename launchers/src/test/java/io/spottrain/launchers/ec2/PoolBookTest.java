package io.spottrain.launchers.ec2;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spottrain.launchers.ec2.FleetRequests.Pool;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class PoolBookTest {
    static final Pool P3A = new Pool("p3.2xlarge", "subnet-a", "us-east-1a");
    static final Pool P3B = new Pool("p3.2xlarge", "subnet-b", "us-east-1b");
    static final Pool G5A = new Pool("g5.xlarge", "subnet-a", "us-east-1a");
    static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");

    @Test
    void aPoolWithoutCapacityIsLeftOutUntilItsCooldownHasPassed() {
        var book = new PoolBook(Duration.ofMinutes(5));
        var all = List.of(P3A, P3B, G5A);
        assertEquals(all, book.open(all, T0), "nothing cooling: every pool, in order");
        book.noCapacity(P3A, T0, "InsufficientInstanceCapacity", "none");
        book.noCapacity(G5A, T0.plusSeconds(120), "MaxSpotInstanceCountExceeded", "limit");
        assertEquals(List.of(P3B), book.open(all, T0.plusSeconds(121)));
        assertEquals(List.of(P3A, P3B), book.open(all, T0.plusSeconds(300)), "p3/1a's 5 minutes are over, g5's not");
        assertEquals(List.of(P3A, P3B, G5A), book.open(all, T0.plusSeconds(420)));
        assertEquals(0, book.cooling(T0.plusSeconds(420)).size());
    }

    @Test
    void anotherErrorRestartsTheCooldown() {
        var book = new PoolBook(Duration.ofMinutes(5));
        book.noCapacity(P3A, T0, "InsufficientInstanceCapacity", "none");
        book.noCapacity(P3A, T0.plusSeconds(240), "InsufficientInstanceCapacity", "still none");
        assertEquals(List.of(), book.open(List.of(P3A), T0.plusSeconds(400)));
        assertEquals("still none", book.cooling(T0.plusSeconds(400)).get(P3A).message());
    }
}
