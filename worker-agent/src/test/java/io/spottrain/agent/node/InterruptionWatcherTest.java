package io.spottrain.agent.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** IMDSv2 polling through the AWS SDK client against the emulator: each kind of notice once. */
class InterruptionWatcherTest {

    @Test
    void rebalanceThenInterruptionAreEachReportedOnceAndSigtermAfterThemIsNot() throws Exception {
        var seen = new LinkedBlockingQueue<InterruptionWatcher.Notice>();
        try (var imds = new ImdsEmulator(ImdsEmulator.instance("i-1", "g5.xlarge", "z", true));
                var watcher = new InterruptionWatcher(new InstanceMetadata(imds.endpoint(), Duration.ofSeconds(2)),
                        Duration.ofMillis(50), seen::add)) {
            assertNull(seen.poll(300, TimeUnit.MILLISECONDS), "404: no notice");
            imds.recommendRebalance(Instant.parse("2026-11-27T10:00:00Z"));
            var rebalance = seen.poll(5, TimeUnit.SECONDS);
            assertEquals("rebalance", rebalance.kind().label());
            assertNull(rebalance.deadline());
            Instant deadline = Instant.now().plusSeconds(120).truncatedTo(ChronoUnit.SECONDS);
            imds.noticeInterruption("terminate", deadline);
            var notice = seen.poll(5, TimeUnit.SECONDS);
            assertEquals("spot-interruption", notice.kind().label());
            assertEquals("terminate", notice.action());
            assertEquals(deadline, notice.deadline());
            assertTrue(watcher.interrupted());
            watcher.sigterm(Duration.ofSeconds(10));
            assertNull(seen.poll(300, TimeUnit.MILLISECONDS), "each notice once; SIGTERM after a notice adds nothing");
        }
    }

    @Test
    void withoutImdsOnlySigtermCounts() throws Exception {
        var seen = new LinkedBlockingQueue<InterruptionWatcher.Notice>();
        try (var watcher = new InterruptionWatcher(null, Duration.ofMillis(50), seen::add)) {
            watcher.sigterm(Duration.ofSeconds(10));
            var n = seen.poll(1, TimeUnit.SECONDS);
            assertEquals("sigterm", n.kind().label());
            assertTrue(n.deadline().isAfter(Instant.now().plusSeconds(5)));
        }
    }
}
