package io.spottrain.coordinator.cost;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The TCO view: a window cut into UTC days, each day's cost, on-demand equivalent, Spot savings,
 * and where the money went (job time, recovery, idle, boot, the control plane), optionally each day
 * by job, team or any grouping, from the same pure
 * {@link CostReport} as every other report (so the days add up to the window's report).
 *
 * @param days the days of the window, oldest first; the first and last may be partial (clipped to the window)
 */
public record DailyCost(String from, String to, String asOf, List<Day> days, CostReport.Row total) {

    /**
     * One UTC day: its totals, and the same split by allocation ({@code jobUsd} is job time without
     * recovery; {@code controlUsd} the control plane; {@code storageUsd} checkpoints in S3); {@code groups}, when the view is asked for by
     * a grouping (job, team, label ...), that day's report rows by it (null otherwise).
     */
    public record Day(String day, double nodeHours, double costUsd, double onDemandUsd, double savingsUsd, double jobUsd, double recoveryUsd,
            double idleUsd, double bootUsd, double controlUsd, double storageUsd, List<CostReport.Row> groups) {}

    /** {@code by}: also each day's rows by this grouping (null: the split by allocation only). */
    public static DailyCost of(List<LedgerEntry> entries, CostWindow window, Instant now, Duration fresh, CostGrouping by) {
        var days = new ArrayList<Day>();
        var allocation = CostGrouping.parse("allocation");
        for (Instant d = window.from().truncatedTo(ChronoUnit.DAYS); d.isBefore(window.to()); d = d.plus(1, ChronoUnit.DAYS)) {
            Instant from = d.isBefore(window.from()) ? window.from() : d;
            Instant end = d.plus(1, ChronoUnit.DAYS);
            Instant to = end.isAfter(window.to()) ? window.to() : end;
            var day = new CostWindow(from, to);
            var r = CostReport.of(entries, allocation, day, now, fresh);
            var t = r.total();
            var split = r.byKey();
            days.add(new Day(d.atOffset(ZoneOffset.UTC).toLocalDate().toString(), t.nodeHours(), t.costUsd(), t.onDemandUsd(), t.savingsUsd(),
                    usd(split, Allocation.JOB), usd(split, Allocation.RECOVERY), usd(split, Allocation.IDLE), usd(split, Allocation.BOOT),
                    usd(split, Allocation.CONTROL), usd(split, Allocation.STORAGE), by == null ? null : CostReport.of(entries, by, day, now, fresh).rows()));
        }
        var whole = CostReport.of(entries, allocation, window, now, fresh);
        return new DailyCost(window.from().toString(), window.to().toString(), now.toString(), days, whole.total());
    }

    private static double usd(Map<String, CostReport.Row> by, Allocation a) {
        var row = by.get(a.label());
        return row == null ? 0 : row.costUsd();
    }
}
