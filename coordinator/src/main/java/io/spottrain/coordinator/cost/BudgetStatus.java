package io.spottrain.coordinator.cost;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Where a budget stands in its current period. Times ISO-8601. */
public record BudgetStatus(String name, String selector, Budget.Period period, String periodStart, double limitUsd, double spentUsd,
        Budget.Action action, boolean exceeded, String checkedAt) {

    /** Every budget's spend in its current period, from the ledger's segments: a pure function (any control node gets the same). */
    public static List<BudgetStatus> check(List<Budget> budgets, List<LedgerEntry> ledger, Instant now, Duration fresh) {
        var out = new ArrayList<BudgetStatus>();
        var latest = CostReport.latestStarts(ledger);
        for (Budget b : budgets) {
            Instant from = b.period().start(now);
            double spent = 0;
            for (LedgerEntry e : ledger) {
                if (e.jobId() == null || !b.selector().matches(e.jobId(), e.labels())) continue;
                LedgerEntry seg = CostReport.current(e, latest, now, fresh);
                spent += seg.secondsWithin(from, now) / 3600.0 * seg.pricePerHour();
            }
            out.add(new BudgetStatus(b.name(), b.selector().toString(), b.period(), from.toString(), b.limitUsd(), spent, b.action(),
                    spent > b.limitUsd(), now.toString()));
        }
        return out;
    }
}
