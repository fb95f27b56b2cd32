package io.spottrain.coordinator.cost;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A cost report over the ledger: node time, what it cost, what the same node-seconds would have cost
 * on-demand, and the Spot savings (their difference), per group of a {@link CostGrouping}, inside a
 * {@link CostWindow}. A pure function of the segments: any control node computes the same report
 * from its copy of the ledger.
 */
public record CostReport(String by, String from, String to, String asOf, List<Row> rows, Row total) {

    /**
     * An open segment refreshed within this (three of the job manager's 15 s refreshes) is still
     * running: a report counts it up to now. One not refreshed since was left by a job manager that
     * is gone and ends where it was last seen.
     */
    public static final Duration FRESH = Duration.ofSeconds(45);

    /**
     * {@code recoveryUsd}: the part of {@code costUsd} spent while the job recovered from preemptions
     * and failures. {@code steps} and {@code usdPer1kSteps} (the ROI number: all of the job's node
     * time, forming and recovery included, per 1,000 steps it trained), and {@code samples} and
     * {@code usdPer1mSamples} (the same per million samples, where the trainer counts its samples) only
     * in a report by job, for a job that trained; null otherwise. {@code sharedUsd}: in a report with the shared overhead
     * spread ({@link #spreadOverhead}), the row's share of it (already in {@code costUsd}); null otherwise.
     */
    public record Row(String key, double nodeHours, double gpuHours, double costUsd, double onDemandUsd, double savingsUsd,
            double savingsPercent, double recoveryUsd, Long steps, Double usdPer1kSteps, Long samples, Double usdPer1mSamples,
            Double sharedUsd) {

        public Row(String key, double nodeHours, double gpuHours, double costUsd, double onDemandUsd, double savingsUsd,
                double savingsPercent, double recoveryUsd, Long steps, Double usdPer1kSteps, Long samples, Double usdPer1mSamples) {
            this(key, nodeHours, gpuHours, costUsd, onDemandUsd, savingsUsd, savingsPercent, recoveryUsd, steps, usdPer1kSteps, samples,
                    usdPer1mSamples, null);
        }

        public Row(String key, double nodeHours, double gpuHours, double costUsd, double onDemandUsd, double savingsUsd,
                double savingsPercent, double recoveryUsd) {
            this(key, nodeHours, gpuHours, costUsd, onDemandUsd, savingsUsd, savingsPercent, recoveryUsd, null, null, null, null);
        }

        Row withTrained(Trained t) {
            return new Row(key, nodeHours, gpuHours, costUsd, onDemandUsd, savingsUsd, savingsPercent, recoveryUsd, t.steps(),
                    t.steps() > 0 ? costUsd * 1000.0 / t.steps() : null, t.samples() > 0 ? t.samples() : null,
                    t.samples() > 0 ? costUsd * 1e6 / t.samples() : null, sharedUsd);
        }

        /** This row with {@code usd} of shared overhead (and its on-demand equivalent) added. */
        Row withShare(double usd, double onDemand) {
            double cost = costUsd + usd;
            double od = onDemandUsd + onDemand;
            return new Row(key, nodeHours, gpuHours, cost, od, od - cost, od > 0 ? 100.0 * (od - cost) / od : 0, recoveryUsd, steps,
                    usdPer1kSteps, samples, usdPer1mSamples, usd);
        }
    }

    /** What a job trained: steps, and samples where its trainer counts them (0: it does not). */
    public record Trained(long steps, long samples) {}

    /**
     * A report by job with each job's trained steps and samples (by job id) and its cost per 1,000 steps and per million
     * samples; a report by anything else, or a row of no job ((idle), (boot)), is returned as it is.
     */
    public CostReport withTrained(Map<String, Trained> byJob) {
        if (!by.equals("job")) return this; // CostGrouping's label of a report by job
        var out = rows.stream().map(r -> byJob.containsKey(r.key()) ? r.withTrained(byJob.get(r.key())) : r).toList();
        return new CostReport(by, from, to, asOf, out, total);
    }

    /** The rows of shared overhead: node time that no job held (idle, booting) and the control plane. */
    public static final List<String> OVERHEAD = List.of("(" + Allocation.IDLE.label() + ")", "(" + Allocation.BOOT.label() + ")",
            "(" + Allocation.CONTROL.label() + ")");

    /**
     * The shared overhead spread over the other rows by usage (OpenCost's model): the overhead rows
     * ({@link #OVERHEAD}) go, and each other row gets a share of their cost (and of its on-demand
     * equivalent) in proportion to its node-hours in the window, in {@code sharedUsd} and added to
     * {@code costUsd}. The total is unchanged. With no node-hours to weigh by, the report is returned
     * as it is. Meant for reports by job or by label (team, project): for a report by market, node,
     * instance type or allocation the overhead rows are what they are (the API refuses to spread those).
     */
    public CostReport spreadOverhead() {
        double cost = 0;
        double onDemand = 0;
        double hours = 0;
        for (Row r : rows) {
            if (OVERHEAD.contains(r.key())) {
                cost += r.costUsd();
                onDemand += r.onDemandUsd();
            } else {
                hours += r.nodeHours();
            }
        }
        if (hours <= 0) return this;
        var out = new ArrayList<Row>();
        for (Row r : rows) {
            if (OVERHEAD.contains(r.key())) continue;
            double w = r.nodeHours() / hours;
            out.add(r.withShare(w * cost, w * onDemand));
        }
        out.sort(Comparator.comparingDouble(Row::costUsd).reversed().thenComparing(Row::key));
        return new CostReport(by, from, to, asOf, out, total);
    }

    /**
     * An open segment is counted up to {@code now} while the job manager refreshed it within
     * {@code fresh} (it is still running); one left open by a job manager that is gone ends where it
     * was last seen.
     */
    public static CostReport of(List<LedgerEntry> entries, CostGrouping by, CostWindow window, Instant now, Duration fresh) {
        var acc = new LinkedHashMap<String, double[]>();
        double[] total = new double[5];
        var latest = latestStarts(entries);
        for (LedgerEntry e : entries) {
            LedgerEntry seg = current(e, latest, now, fresh);
            double s = seg.secondsWithin(window.from(), window.to());
            if (s <= 0) continue;
            double[] a = acc.computeIfAbsent(by.keyOf(seg), k -> new double[5]);
            add(a, seg, s);
            add(total, seg, s);
        }
        var rows = new ArrayList<Row>();
        acc.forEach((k, a) -> rows.add(row(k, a)));
        rows.sort(Comparator.comparingDouble(Row::costUsd).reversed().thenComparing(Row::key));
        return new CostReport(by.label(), window.from().toString(), window.to().toString(), now.toString(), rows, row("total", total));
    }

    /** Where each node's newest segment starts. */
    static Map<String, String> latestStarts(List<LedgerEntry> entries) {
        var latest = new HashMap<String, String>();
        for (LedgerEntry e : entries) latest.merge(e.nodeId(), e.from(), (a, b) -> Instant.parse(a).isAfter(Instant.parse(b)) ? a : b);
        return latest;
    }

    /**
     * The segment as a report counts it: an open one that is fresh, and the newest of its node (a
     * later segment means it ended, whatever it says), up to now; anything else as stored.
     */
    static LedgerEntry current(LedgerEntry e, Map<String, String> latest, Instant now, Duration fresh) {
        // a kept segment (an ended job's checkpoints) is nobody's to refresh: open, it runs until deleted
        boolean running = e.open() && (e.kept() || !Instant.parse(e.to()).plus(fresh).isBefore(now)) && e.from().equals(latest.get(e.nodeId()));
        return running ? e.until(now, true) : e;
    }

    private static void add(double[] a, LedgerEntry e, double seconds) {
        double h = seconds / 3600.0;
        if (e.allocation() != Allocation.STORAGE) { // storage costs money, not node time
            a[0] += h;
            a[1] += h * e.gpus();
        }
        a[2] += h * e.pricePerHour();
        a[3] += h * Math.max(e.onDemandPricePerHour(), e.pricePerHour());
        if (e.allocation() == Allocation.RECOVERY) a[4] += h * e.pricePerHour();
    }

    private static Row row(String key, double[] a) {
        double savings = a[3] - a[2];
        return new Row(key, a[0], a[1], a[2], a[3], savings, a[3] > 0 ? 100.0 * savings / a[3] : 0, a[4]);
    }

    /** The groups as a map (tests, the CLI's JSON). */
    public Map<String, Row> byKey() {
        var m = new LinkedHashMap<String, Row>();
        rows.forEach(r -> m.put(r.key(), r));
        return m;
    }
}
