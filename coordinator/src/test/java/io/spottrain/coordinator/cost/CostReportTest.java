package io.spottrain.coordinator.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.protocol.spec.NodeMarket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CostReportTest {
    static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");

    static LedgerEntry seg(String node, NodeMarket market, double price, Allocation a, String job, Map<String, String> labels, int fromS,
            int toS, boolean open) {
        return new LedgerEntry(1, node, T0.toString(), market, "g5.xlarge", "a", 1, price, 1.0, a, job, labels, T0.plusSeconds(fromS).toString(),
                T0.plusSeconds(toS).toString(), open);
    }

    static final List<LedgerEntry> LEDGER = List.of(
            seg("n1", NodeMarket.SPOT, 0.4, Allocation.BOOT, null, Map.of(), 0, 360, false),
            seg("n1", NodeMarket.SPOT, 0.4, Allocation.JOB, "a-1", Map.of("team", "vision"), 360, 3960, false),
            seg("n2", NodeMarket.ON_DEMAND, 1.0, Allocation.JOB, "a-1", Map.of("team", "vision"), 0, 3600, false),
            seg("n3", NodeMarket.SPOT, 0.4, Allocation.JOB, "b-2", Map.of(), 0, 1800, false),
            seg("n3", NodeMarket.SPOT, 0.4, Allocation.IDLE, null, Map.of(), 1800, 3600, true));

    static CostReport report(String by, String window, Instant now) {
        return CostReport.of(LEDGER, CostGrouping.parse(by), CostWindow.parse(window, now), now, Duration.ofSeconds(45));
    }

    @ParameterizedTest(name = "by {0}: {1} costs {2}")
    @CsvSource(delimiter = '|', textBlock = """
            job         | a-1          | 1.4
            job         | b-2          | 0.2
            job         | (boot)       | 0.04
            job         | (idle)       | 0.2
            team        | vision       | 1.4
            team        | (no team)    | 0.2
            label:team  | vision       | 1.4
            market      | spot         | 0.84
            market      | on-demand    | 1.0
            node        | n3           | 0.4
            allocation  | job          | 1.6
            allocation  | idle         | 0.2
            """)
    void groups(String by, String key, double usd) {
        var r = report(by, "2026-12-02T10:00:00Z..2026-12-02T11:06:00Z", T0.plusSeconds(3600));
        assertEquals(usd, r.byKey().get(key).costUsd(), 1e-9, r::toString);
        assertEquals(1.84, r.total().costUsd(), 1e-9);
    }

    @ParameterizedTest(name = "spread by {0}: {1} gets {2} of the overhead")
    @CsvSource(delimiter = '|', textBlock = """
            job   | a-1       | 0.192 | 1.592
            job   | b-2       | 0.048 | 0.248
            team  | vision    | 0.192 | 1.592
            team  | (no team) | 0.048 | 0.248
            """)
    void theSharedOverheadIsSpreadByNodeHoursAndTheTotalStays(String by, String key, double share, double cost) {
        // overhead: (boot) 0.1 h and (idle) 0.5 h at $0.40 = $0.24; usage: a-1 2.0 node-hours, b-2 0.5: shares 0.8 and 0.2
        var r = report(by, "2026-12-02T10:00:00Z..2026-12-02T11:06:00Z", T0.plusSeconds(3600)).spreadOverhead();
        var row = r.byKey().get(key);
        assertEquals(share, row.sharedUsd(), 1e-9, r::toString);
        assertEquals(cost, row.costUsd(), 1e-9);
        assertTrue(r.byKey().keySet().stream().noneMatch(CostReport.OVERHEAD::contains), "the overhead rows are spread, not shown");
        assertEquals(1.84, r.rows().stream().mapToDouble(CostReport.Row::costUsd).sum(), 1e-9, "nothing lost or counted twice");
        assertEquals(1.84, r.total().costUsd(), 1e-9);
        assertEquals(row.onDemandUsd() - row.costUsd(), row.savingsUsd(), 1e-9, "savings follow the share");
    }

    @Test
    void aReportWithNoUsageToWeighByIsNotSpread() {
        var idleOnly = List.of(seg("n3", NodeMarket.SPOT, 0.4, Allocation.IDLE, null, Map.of(), 0, 3600, false));
        var r = CostReport.of(idleOnly, CostGrouping.parse("job"), CostWindow.parse("1d", T0.plusSeconds(3600)), T0.plusSeconds(3600),
                Duration.ofSeconds(45));
        assertEquals(r, r.spreadOverhead());
    }

    @Test
    void savingsAreTheSameNodeSecondsOnDemandMinusActual() {
        var r = report("market", "2026-12-02T10:00:00Z..2026-12-02T11:06:00Z", T0.plusSeconds(3600));
        var spot = r.byKey().get("spot");
        assertEquals(2.1, spot.onDemandUsd(), 1e-9); // 2.1 node-hours at $1.00
        assertEquals(2.1 - 0.84, spot.savingsUsd(), 1e-9);
        assertEquals(60.0, spot.savingsPercent(), 1e-9);
        assertEquals(0.0, r.byKey().get("on-demand").savingsUsd(), 1e-9);
    }

    @Test
    void aReportByJobGivesTheCostPerThousandStepsAndPerMillionSamplesTrained() {
        var r = report("job", "2026-12-02T10:00:00Z..2026-12-02T11:06:00Z", T0.plusSeconds(3600)).withTrained(Map.of(
                "a-1", new CostReport.Trained(2800, 2800L * 512), "b-2", new CostReport.Trained(0, 0)));
        assertEquals(2800L, r.byKey().get("a-1").steps());
        assertEquals(1.4 * 1000 / 2800, r.byKey().get("a-1").usdPer1kSteps(), 1e-12, "all of the job's node time per 1,000 steps");
        assertEquals(2800L * 512, r.byKey().get("a-1").samples());
        assertEquals(1.4 * 1e6 / (2800 * 512), r.byKey().get("a-1").usdPer1mSamples(), 1e-12, "and per million samples");
        assertEquals(null, r.byKey().get("b-2").usdPer1kSteps(), "no step trained: no per-step cost");
        assertEquals(null, r.byKey().get("b-2").samples(), "a trainer that does not count samples: no per-sample cost");
        assertEquals(null, r.byKey().get("b-2").usdPer1mSamples());
        assertEquals(null, r.byKey().get("(idle)").steps(), "time no job held has no steps");
        var byTeam = report("team", "2026-12-02T10:00:00Z..2026-12-02T11:06:00Z", T0.plusSeconds(3600));
        assertEquals(byTeam, byTeam.withTrained(Map.of("a-1", new CostReport.Trained(2800, 0))), "only a report by job");
    }

    @Test
    void theDailyViewCutsAtUtcMidnightAndAddsUpToTheWindow() {
        var night = List.of(
                new LedgerEntry(1, "n9", T0.toString(), NodeMarket.SPOT, "g5.xlarge", "a", 1, 1.0, 2.0, Allocation.JOB, "j", Map.of(),
                        "2026-12-01T23:00:00Z", "2026-12-02T01:00:00Z", false),
                new LedgerEntry(1, "n9", T0.toString(), NodeMarket.SPOT, "g5.xlarge", "a", 1, 1.0, 2.0, Allocation.IDLE, null, Map.of(),
                        "2026-12-02T01:00:00Z", "2026-12-02T01:30:00Z", false),
                new LedgerEntry(1, "control1", T0.toString(), NodeMarket.ON_DEMAND, "m6i.large", "us-east-1", 0, 0.1, 0.1, Allocation.CONTROL,
                        null, Map.of(), "2026-12-02T00:00:00Z", "2026-12-02T02:00:00Z", false));
        var daily = DailyCost.of(night, CostWindow.parse("2026-12-01T12:00:00Z..2026-12-03T00:00:00Z", T0), T0.plusSeconds(86400),
                Duration.ofSeconds(45), CostGrouping.parse("job"));
        assertEquals(List.of("2026-12-01", "2026-12-02"), daily.days().stream().map(DailyCost.Day::day).toList());
        assertEquals(1.0, daily.days().get(0).costUsd(), 1e-9, "23:00-24:00 on the first day");
        assertEquals(1.7, daily.days().get(1).costUsd(), 1e-9, "00:00-01:00 job, 01:00-01:30 idle, 2 h of the control node");
        assertEquals(0.5, daily.days().get(1).idleUsd(), 1e-9);
        assertEquals(1.0, daily.days().get(1).jobUsd(), 1e-9);
        assertEquals(0.2, daily.days().get(1).controlUsd(), 1e-9, "the control plane is its own line");
        assertEquals(2.7, daily.total().costUsd(), 1e-9);
        assertEquals(2.5, daily.days().get(0).savingsUsd() + daily.days().get(1).savingsUsd(), 1e-9,
                "on-demand $2/h: half saved; the on-demand control node saves nothing");
        // by job: each day's rows, the control plane and idle time as their own rows
        assertEquals(List.of("j"), daily.days().get(0).groups().stream().map(CostReport.Row::key).toList());
        assertEquals(List.of("j", "(idle)", "(control)"), daily.days().get(1).groups().stream().map(CostReport.Row::key).toList());
        assertEquals(0.2, daily.days().get(1).groups().get(2).costUsd(), 1e-9);
        assertEquals(null, DailyCost.of(night, CostWindow.parse("2026-12-02T00:00:00Z..2026-12-03T00:00:00Z", T0), T0.plusSeconds(86400),
                Duration.ofSeconds(45), null).days().get(0).groups(), "no grouping asked: the split by allocation only");
    }

    @Test
    void aWindowClipsSegments() {
        var r = report("job", "2026-12-02T10:00:00Z..2026-12-02T10:30:00Z", T0.plusSeconds(3600));
        assertEquals(0.5 * 1.0 + (1800 - 360) / 3600.0 * 0.4, r.byKey().get("a-1").costUsd(), 1e-9);
        assertEquals(0.2, r.byKey().get("b-2").costUsd(), 1e-9);
        assertTrue(!r.byKey().containsKey("(idle)"), "n3 was idle only after 10:30");
    }

    @Test
    void aFreshOpenSegmentCountsToNowAStaleOneWhereItWasLastSeen() {
        // n3's idle segment was refreshed at +3600 s: 30 s later it is fresh (still running), 10 min later it is stale
        assertEquals(0.2 + 30 / 3600.0 * 0.4, report("job", "1d", T0.plusSeconds(3630)).byKey().get("(idle)").costUsd(), 1e-9);
        assertEquals(0.2, report("job", "1d", T0.plusSeconds(4200)).byKey().get("(idle)").costUsd(), 1e-9);
    }

    @Test
    void anOpenSegmentFollowedByALaterOneOfItsNodeEndedThere() {
        // a job manager stopped (its segment of n9 stored open at +100 s); the next one metered n9 from +105 s
        var ledger = List.of(seg("n9", NodeMarket.SPOT, 0.36, Allocation.JOB, "a-1", Map.of(), 0, 100, true),
                seg("n9", NodeMarket.SPOT, 0.36, Allocation.BOOT, null, Map.of(), 100, 105, false),
                seg("n9", NodeMarket.SPOT, 0.36, Allocation.JOB, "a-1", Map.of(), 105, 110, true));
        var r = CostReport.of(ledger, CostGrouping.parse("node"), CostWindow.parse("1d", T0.plusSeconds(120)), T0.plusSeconds(120),
                CostReport.FRESH);
        assertEquals(120 / 3600.0 * 0.36, r.total().costUsd(), 1e-12, "no second count of 100..120 s: " + r);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            by     | nope        | by: 'nope' is not one of
            by     | label:      | label: needs a key
            window | 3x          | window: '3x' is not one of
            window | 0d          | window: '0d' is not one of
            window | 2026-12-02..2026-12-01 | ends before it starts
            window | yesterday..2026-12-01 | 'yesterday' is neither an ISO-8601 instant nor a date
            window | 99999999999999999d | window: '99999999999999999d' is not one of
            """)
    void badParametersSayWhich(String what, String value, String message) {
        var e = assertThrows(IllegalArgumentException.class,
                () -> report(what.equals("by") ? value : "job", what.equals("window") ? value : "1d", T0));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void aDateWindowCoversWholeDays() {
        var w = CostWindow.parse("2026-12-01..2026-12-02", T0);
        assertEquals(Instant.parse("2026-12-01T00:00:00Z"), w.from());
        assertEquals(Instant.parse("2026-12-03T00:00:00Z"), w.to());
        assertEquals(Duration.ofHours(6), Duration.between(CostWindow.parse("6h", T0).from(), T0));
    }
}
