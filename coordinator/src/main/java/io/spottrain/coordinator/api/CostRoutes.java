package io.spottrain.coordinator.api;

import io.javalin.http.Context;
import io.spottrain.coordinator.cost.CostGrouping;
import io.spottrain.coordinator.cost.CostReport;
import io.spottrain.coordinator.cost.CostWindow;
import io.spottrain.coordinator.cost.DailyCost;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;

/**
 * {@code GET /api/v1/cost?by=job|team|project|label:KEY|market|node|instance-type|allocation&window=1d|7d|30d|FROM..TO}:
 * the cost ledger of this control node's copy, grouped. A bad {@code by} or {@code window} is a 400 naming the parameter.
 * {@code &job=ID} keeps only that job's entries (its node time, recovery and checkpoint storage: with {@code by=allocation},
 * the job's cost split by where it went; the console's job page shows it). {@code &spread=usage} (by job or label only)
 * spreads the shared overhead (idle, boot, control plane) over the rows by their node-hours ({@link CostReport#spreadOverhead}).
 */
final class CostRoutes {
    private final JobReads reads;

    CostRoutes(JobReads reads) {
        this.reads = reads;
    }

    void report(Context ctx) {
        Instant now = reads.now();
        CostGrouping by;
        CostWindow window;
        boolean spread;
        try {
            by = CostGrouping.parse(ctx.queryParam("by"));
            window = CostWindow.parse(ctx.queryParam("window"), now);
            spread = spread(ctx.queryParam("spread"), by);
        } catch (IllegalArgumentException e) {
            throw new HttpApi.ApiException(400, ApiError.of("bad cost request: " + e.getMessage()));
        }
        String job = ctx.queryParam("job");
        var entries = reads.ledger();
        if (job != null) entries = entries.stream().filter(e -> job.equals(e.jobId())).toList();
        var report = CostReport.of(entries, by, window, now, CostReport.FRESH);
        if (spread) report = report.spreadOverhead(); // before the steps: $/1K steps then carries the job's share too
        if (by.dimension() == CostGrouping.Dimension.JOB) { // the ROI number: cost per 1,000 steps trained
            var trained = new HashMap<String, CostReport.Trained>();
            // only jobs submitted inside the window: the steps are the job's whole life, the cost only the window's share
            for (var j : reads.jobs()) {
                if (!Instant.parse(j.submittedAt()).isBefore(window.from())) {
                    trained.put(j.id(), new CostReport.Trained(j.steps(), j.samples() == null ? 0 : j.samples()));
                }
            }
            report = report.withTrained(trained);
        }
        HttpApi.json(ctx, 200, report);
    }

    /** {@code spread}: absent, or {@code usage} for a grouping by job or label. */
    static boolean spread(String spread, CostGrouping by) {
        if (spread == null || spread.isBlank()) return false;
        if (!spread.equals("usage")) throw new IllegalArgumentException("spread: '" + spread + "' is not usage");
        if (by.dimension() != CostGrouping.Dimension.JOB && by.dimension() != CostGrouping.Dimension.LABEL) {
            throw new IllegalArgumentException("spread: the shared overhead is spread over jobs, teams, projects or labels, not by "
                    + by.label());
        }
        return true;
    }

    /**
     * {@code GET /api/v1/cost/daily?window=7d[&by=job|team|...]}: the TCO view, the window cut into UTC days (cost, on-demand,
     * savings, where it went), with each day's rows by {@code by} when asked.
     */
    void daily(Context ctx) {
        Instant now = reads.now();
        CostWindow window;
        CostGrouping by;
        try {
            window = CostWindow.parse(ctx.queryParam("window") == null ? "7d" : ctx.queryParam("window"), now);
            String b = ctx.queryParam("by");
            by = b == null || b.isBlank() ? null : CostGrouping.parse(b);
        } catch (IllegalArgumentException e) {
            throw new HttpApi.ApiException(400, ApiError.of("bad cost request: " + e.getMessage()));
        }
        if (Duration.between(window.from(), window.to()).toDays() > 366) {
            throw new HttpApi.ApiException(400, ApiError.of("bad cost request: window: at most 366 days of daily buckets"));
        }
        HttpApi.json(ctx, 200, DailyCost.of(reads.ledger(), window, now, CostReport.FRESH, by));
    }

    /** {@code GET /api/v1/cost/budgets}: each budget's spend in its current period, as of the job manager's last check (every 15 s). */
    void budgets(Context ctx) {
        HttpApi.json(ctx, 200, reads.budgets());
    }
}
