package io.spottrain.coordinator.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.coordinator.membership.NodeEnd;
import io.spottrain.coordinator.membership.NodeRegistry;
import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.wire.NodeInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MeteringTest {
    static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");

    final Metering metering = new Metering();
    final NodeRegistry registry = new NodeRegistry();
    /** What was written, by key (the newest write of a key wins, as in the store). */
    final Map<String, LedgerEntry> ledger = new HashMap<>();

    static NodeInfo node(String id, Instant launched) {
        return new NodeInfo(id, NodeMarket.SPOT, "g5.xlarge", 1, 0.36, 1.0, "a", "127.0.0.1", null, 1, null,
                launched == null ? null : launched.toString());
    }

    void write(List<LedgerEntry> entries) {
        entries.forEach(e -> ledger.put(e.key(), e));
    }

    List<LedgerEntry> segments(String node) {
        var out = new ArrayList<LedgerEntry>();
        ledger.values().stream().filter(e -> e.nodeId().equals(node)).sorted((a, b) -> a.from().compareTo(b.from())).forEach(out::add);
        return out;
    }

    static Map<String, String> labels(String job) {
        return Map.of("team", "t-" + job);
    }

    /**
     * A job's checkpoints in S3: one open storage segment at a time, priced by the GiB-month; a new
     * size closes it and opens the next at the same instant; 0 closes it; the same size writes
     * nothing. In a report it is cost without node time.
     */
    @Test
    void aJobsStorageIsMeteredByItsBytesOverTimeWithoutNodeTime() {
        long gib = 1L << 30;
        write(metering.onStorage("job-1", labels("job-1"), 2 * gib, 0.023, T0));
        assertEquals(List.of(), metering.onStorage("job-1", labels("job-1"), 2 * gib, 0.023, T0.plusSeconds(5)), "the same size: nothing");
        write(metering.onStorage("job-1", labels("job-1"), 3 * gib, 0.023, T0.plusSeconds(3600)));
        write(metering.refresh(T0.plusSeconds(5400)));
        write(metering.onStorage("job-1", labels("job-1"), 0, 0.023, T0.plusSeconds(7200))); // the job ended
        var s = segments(Metering.storageKey("job-1"));
        assertEquals(2, s.size(), s::toString);
        assertTrue(s.stream().allMatch(e -> e.allocation() == Allocation.STORAGE && "job-1".equals(e.jobId()) && !e.open()));
        assertEquals(s.get(0).to(), s.get(1).from(), "no gap, no overlap");
        assertEquals(2 * 0.023 / 730, s.get(0).pricePerHour(), 1e-15, "2 GiB at $0.023 per GiB-month (730 h)");
        assertEquals("t-job-1", s.get(0).labels().get("team"), "the job's labels carry through");
        var r = CostReport.of(List.copyOf(ledger.values()), CostGrouping.parse("job"), new CostWindow(T0, T0.plusSeconds(7200)),
                T0.plusSeconds(7200), Duration.ofSeconds(45));
        var row = r.byKey().get("job-1");
        assertEquals((2 + 3) * 0.023 / 730, row.costUsd(), 1e-12, "an hour at 2 GiB, an hour at 3 GiB");
        assertEquals(0.0, row.nodeHours(), 1e-12, "storage is not node time");
        assertEquals(0.0, row.savingsUsd(), 1e-12);
        // storage not priced: nothing metered, and a segment opened before is closed
        write(metering.onStorage("job-2", labels("job-2"), gib, 0.023, T0));
        write(metering.onStorage("job-2", labels("job-2"), 2 * gib, 0, T0.plusSeconds(60)));
        assertTrue(segments(Metering.storageKey("job-2")).stream().noneMatch(LedgerEntry::open), "a price of 0 closes and opens nothing");
        assertEquals(List.of(), metering.onStorage("job-3", labels("job-3"), gib, 0, T0));
    }

    /**
     * An ended job's checkpoints stay in S3: a kept segment from its end, written once, never refreshed, counted up to now by
     * a report however old its last write (until deleted), or only for the bucket's retention when one is configured.
     */
    @Test
    void anEndedJobsKeptCheckpointsAreMeteredUntilDeletedOrForTheRetention() {
        long gib = 1L << 30;
        write(metering.onStorage("job-1", labels("job-1"), 2 * gib, 0.023, T0));
        write(metering.onStorageKept("job-1", labels("job-1"), 2 * gib, 0.023, Duration.ZERO, T0.plusSeconds(3600)));
        var s = segments(Metering.storageKey("job-1"));
        assertEquals(2, s.size(), s::toString);
        assertTrue(!s.get(0).open() && !s.get(0).kept() && s.get(0).to().equals(s.get(1).from()), "the run's segment closes at the end");
        assertTrue(s.get(1).open() && s.get(1).kept(), s.get(1)::toString);
        assertEquals(List.of(), metering.refresh(T0.plusSeconds(7200)), "nobody refreshes a kept segment: one write per ended job");
        var day = T0.plusSeconds(3600 + 24 * 3600);
        var r = CostReport.of(List.copyOf(ledger.values()), CostGrouping.parse("job"), new CostWindow(T0, day), day, Duration.ofSeconds(45));
        assertEquals((1 + 24) * 2 * 0.023 / 730, r.byKey().get("job-1").costUsd(), 1e-12, "an hour running, a day kept: 2 GiB throughout");
        // a 30-day lifecycle rule on the bucket: the kept segment ends with it
        write(metering.onStorage("job-2", labels("job-2"), gib, 0.023, T0));
        write(metering.onStorageKept("job-2", labels("job-2"), gib, 0.023, Duration.ofDays(30), T0));
        var kept = segments(Metering.storageKey("job-2")).stream().filter(LedgerEntry::kept).findFirst().orElseThrow();
        assertTrue(!kept.open() && kept.to().equals(T0.plus(Duration.ofDays(30)).toString()), kept::toString);
        var later = T0.plus(Duration.ofDays(60));
        var r2 = CostReport.of(List.copyOf(ledger.values()), CostGrouping.parse("job"), new CostWindow(T0, later), later, Duration.ofSeconds(45));
        assertEquals(30 * 24 * 0.023 / 730, r2.byKey().get("job-2").costUsd(), 1e-12, "30 days of 1 GiB, then deleted");
        // nothing kept: the run's segment just closes
        write(metering.onStorage("job-3", labels("job-3"), gib, 0.023, T0));
        write(metering.onStorageKept("job-3", labels("job-3"), 0, 0.023, Duration.ZERO, T0.plusSeconds(60)));
        assertTrue(segments(Metering.storageKey("job-3")).stream().noneMatch(e -> e.open() || e.kept()));
    }

    /** S3 requests reported with uploads are charged once, at the next tick, at their price per 1,000, without node time. */
    @Test
    void s3RequestsAreChargedOncePerTickAtTheirPrice() {
        var prices = new StoragePrices(0.023, 0.005, 0.0004, Duration.ZERO);
        metering.onRequests("job-1", labels("job-1"), 3000, 10_000);
        metering.onRequests("job-1", labels("job-1"), 1000, 0);
        metering.onRequests("job-2", labels("job-2"), 0, 0); // nothing: nothing charged
        write(metering.requestCharges(prices, T0.plusSeconds(15)));
        assertEquals(List.of(), metering.requestCharges(prices, T0.plusSeconds(30)), "charged once");
        var s = segments(Metering.requestsKey("job-1"));
        assertEquals(1, s.size(), s::toString);
        assertTrue(!s.get(0).open() && s.get(0).allocation() == Allocation.STORAGE && "t-job-1".equals(s.get(0).labels().get("team")));
        assertEquals(T0.plusSeconds(15).toString(), s.get(0).from(), "charged at the tick, never backdated into a window already reported");
        assertEquals(List.of(), segments(Metering.requestsKey("job-2")));
        var r = CostReport.of(List.copyOf(ledger.values()), CostGrouping.parse("job"), new CostWindow(T0, T0.plusSeconds(60)),
                T0.plusSeconds(60), Duration.ofSeconds(45));
        var row = r.byKey().get("job-1");
        assertEquals(4 * 0.005 + 10 * 0.0004, row.costUsd(), 1e-12, "4,000 PUT-class and 10,000 GET-class requests");
        assertEquals(0.0, row.nodeHours(), 1e-12);
        assertEquals(0.0, new StoragePrices(0.023, 0, 0, Duration.ZERO).requests(5000, 5000), "priced at 0: not charged");
    }

    @Test
    void aNodesSegmentsTileItsBilledLifeFromLaunchToTermination() {
        write(metering.onChange(registry.register(node("n1", T0), "a1", T0.plusSeconds(20)), T0.plusSeconds(20), MeteringTest::labels));
        write(metering.onChange(registry.assign("n1", "job-1").orElseThrow(), T0.plusSeconds(30), MeteringTest::labels));
        write(metering.onChange(registry.unreachable("n1").orElseThrow(), T0.plusSeconds(40), MeteringTest::labels)); // still the job's
        write(metering.onChange(registry.reachable("n1").orElseThrow(), T0.plusSeconds(41), MeteringTest::labels));
        write(metering.onChange(registry.release("n1", "job-1").orElseThrow(), T0.plusSeconds(90), MeteringTest::labels));
        write(metering.onChange(registry.lost("n1", "gone", NodeEnd.INTERRUPTED, T0.plusSeconds(100)).orElseThrow(), T0.plusSeconds(100), MeteringTest::labels));
        var s = segments("n1");
        assertEquals(List.of(Allocation.BOOT, Allocation.IDLE, Allocation.JOB, Allocation.IDLE), s.stream().map(LedgerEntry::allocation).toList());
        assertEquals(List.of(20.0, 10.0, 60.0, 10.0), s.stream().map(e -> e.secondsWithin(Instant.MIN, Instant.MAX)).toList());
        for (int i = 1; i < s.size(); i++) assertEquals(s.get(i - 1).to(), s.get(i).from(), "no gap, no overlap");
        assertEquals(T0.toString(), s.get(0).from(), "billed from the launch request");
        assertEquals(T0.plusSeconds(100).toString(), s.get(3).to(), "to the termination");
        assertTrue(s.stream().noneMatch(LedgerEntry::open), "a gone node has nothing open");
        assertEquals("job-1", s.get(2).jobId());
        assertEquals(Map.of("team", "t-job-1"), s.get(2).labels(), "the job's labels carry through");
    }

    @Test
    void openSegmentsAreRefreshedToTheTickAndClosedByTheNextChange() {
        write(metering.onChange(registry.register(node("n1", null), "a1", T0), T0, MeteringTest::labels));
        write(metering.refresh(T0.plusSeconds(15)));
        var open = segments("n1");
        assertEquals(1, open.size(), "no launch time: billed from registration, no boot segment");
        assertTrue(open.get(0).open());
        assertEquals(15.0, open.get(0).secondsWithin(Instant.MIN, Instant.MAX));
        write(metering.onChange(registry.assign("n1", "job-1").orElseThrow(), T0.plusSeconds(20), MeteringTest::labels));
        var s = segments("n1");
        assertFalse(s.get(0).open());
        assertEquals(20.0, s.get(0).secondsWithin(Instant.MIN, Instant.MAX));
        assertTrue(s.get(1).open());
    }

    @Test
    void aNodeThatRegistersAgainIsBilledOnceForItsBoot() {
        write(metering.onChange(registry.register(node("n1", T0), "a1", T0.plusSeconds(10)), T0.plusSeconds(10), MeteringTest::labels));
        // its agent restarts: a new life of the same machine, launched at the same time
        write(metering.onChange(registry.register(node("n1", T0), "a2", T0.plusSeconds(60)), T0.plusSeconds(60), MeteringTest::labels));
        var s = segments("n1");
        assertEquals(List.of(Allocation.BOOT, Allocation.IDLE, Allocation.IDLE), s.stream().map(LedgerEntry::allocation).toList());
        assertEquals(T0.plusSeconds(60).toString(), s.get(1).to(), "the old life ends where the new one registers");
        double total = s.stream().mapToDouble(e -> e.secondsWithin(Instant.MIN, T0.plusSeconds(60))).sum();
        assertEquals(60.0, total, "one boot, no overlap");
    }

    @Test
    void aNewJobManagerResumesWhereTheStoredLedgerEnds() {
        metering.resume(Map.of("n1", T0.plusSeconds(50)));
        // a job manager that took over: the agent registers with it at +55 s; its launch was long before
        write(metering.onChange(registry.register(node("n1", T0), "a1", T0.plusSeconds(55)), T0.plusSeconds(55), MeteringTest::labels));
        var s = segments("n1");
        assertEquals(Allocation.BOOT, s.get(0).allocation(), "the hand-over gap, not the boot again");
        assertEquals(Duration.ofSeconds(5).toSeconds(), (long) s.get(0).secondsWithin(Instant.MIN, Instant.MAX));
    }

    @Test
    void aJobsRecoveryIsMeteredApartUntilItsNextGenerationTrains() {
        write(metering.onChange(registry.register(node("n1", null), "a1", T0), T0, MeteringTest::labels));
        write(metering.onChange(registry.register(node("n2", null), "a2", T0), T0, MeteringTest::labels));
        write(metering.onChange(registry.assign("n1", "job-1").orElseThrow(), T0.plusSeconds(10), MeteringTest::labels));
        write(metering.onJobPhase("job-1", true, T0.plusSeconds(70))); // a notice: the job recovers
        assertEquals(List.of(), metering.onJobPhase("job-1", true, T0.plusSeconds(71)), "already recovering");
        // its generation closed: the node is released and placed again while the job still recovers
        write(metering.onChange(registry.release("n1", "job-1").orElseThrow(), T0.plusSeconds(72), MeteringTest::labels));
        write(metering.onChange(registry.assign("n1", "job-1").orElseThrow(), T0.plusSeconds(72), MeteringTest::labels));
        write(metering.onChange(registry.assign("n2", "job-1").orElseThrow(), T0.plusSeconds(72), MeteringTest::labels));
        write(metering.onJobPhase("job-1", false, T0.plusSeconds(75))); // it trains again
        write(metering.refresh(T0.plusSeconds(100)));
        var n1 = segments("n1").stream().filter(e -> e.secondsWithin(Instant.MIN, Instant.MAX) > 0).toList();
        assertEquals(List.of(Allocation.IDLE, Allocation.JOB, Allocation.RECOVERY, Allocation.RECOVERY, Allocation.JOB),
                n1.stream().map(LedgerEntry::allocation).toList(), n1::toString);
        assertEquals(List.of(10.0, 60.0, 2.0, 3.0, 25.0), n1.stream().map(e -> e.secondsWithin(Instant.MIN, Instant.MAX)).toList());
        var n2 = segments("n2").stream().filter(e -> e.secondsWithin(Instant.MIN, Instant.MAX) > 0).toList();
        assertEquals(List.of(Allocation.IDLE, Allocation.RECOVERY, Allocation.JOB), n2.stream().map(LedgerEntry::allocation).toList());
        var report = CostReport.of(List.copyOf(ledger.values()), CostGrouping.parse("job"), new CostWindow(T0, T0.plusSeconds(100)),
                T0.plusSeconds(100), Duration.ofSeconds(45));
        assertEquals((5 + 3) / 3600.0 * 0.36, report.byKey().get("job-1").recoveryUsd(), 1e-12, "recovery: 5 s of n1, 3 s of n2");
    }
}
