package io.spottrain.coordinator.cost;

import io.spottrain.protocol.spec.NodeMarket;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * One segment of the cost ledger: node {@code nodeId} (its life that registered at {@code life})
 * spent {@code [from, to)} on {@code allocation} ({@code jobId} for a job, with the job's labels) at
 * the prices in force. Append-only: a segment is written when it opens, refreshed while it is
 * {@code open} (its {@code to} is then the last time the ledger saw it), and written a last time when
 * it closes. Times are ISO-8601 instants. {@code kept}: an ended job's checkpoints left in the remote
 * tier, written once at the job's end: open (until deleted: a report counts it up to now, a hand-over
 * leaves it open), or closed at the end of the bucket's retention.
 */
public record LedgerEntry(
        int v,
        String nodeId,
        String life,
        NodeMarket market,
        String instanceType,
        String zone,
        int gpus,
        double pricePerHour,
        double onDemandPricePerHour,
        Allocation allocation,
        String jobId,
        Map<String, String> labels,
        String from,
        String to,
        boolean open,
        boolean kept) {

    public static final int SCHEMA = 1;

    public LedgerEntry {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    /** A segment of a live node or job (not {@link #kept}). */
    public LedgerEntry(int v, String nodeId, String life, NodeMarket market, String instanceType, String zone, int gpus, double pricePerHour,
            double onDemandPricePerHour, Allocation allocation, String jobId, Map<String, String> labels, String from, String to, boolean open) {
        this(v, nodeId, life, market, instanceType, zone, gpus, pricePerHour, onDemandPricePerHour, allocation, jobId, labels, from, to, open,
                false);
    }

    /**
     * A control node's segment of its life that began at {@code life}: open, from {@code life} to
     * {@code life} (refreshed with {@link #until} as it goes). On-demand, no GPU, no job: shared overhead.
     */
    public static LedgerEntry control(String nodeId, Instant life, ControlPrice price) {
        return new LedgerEntry(SCHEMA, nodeId, life.toString(), NodeMarket.ON_DEMAND, price.instanceType(), price.region(), 0,
                price.usdPerHour(), price.usdPerHour(), Allocation.CONTROL, null, Map.of(), life.toString(), life.toString(), true);
    }

    /** The store key: a node's segments never start at the same instant. */
    public String key() {
        return nodeId + "@" + from;
    }

    public LedgerEntry until(Instant t, boolean stillOpen) {
        return new LedgerEntry(v, nodeId, life, market, instanceType, zone, gpus, pricePerHour, onDemandPricePerHour, allocation, jobId,
                labels, from, t.toString(), stillOpen, kept);
    }

    /** The next segment of the same node and job, with another allocation, opening at {@code at}. */
    public LedgerEntry as(Allocation a, Instant at) {
        return new LedgerEntry(v, nodeId, life, market, instanceType, zone, gpus, pricePerHour, onDemandPricePerHour, a, jobId, labels,
                at.toString(), at.toString(), true);
    }

    /** Seconds of this segment inside {@code [windowFrom, windowTo)} (0 when it is outside). */
    public double secondsWithin(Instant windowFrom, Instant windowTo) {
        Instant a = max(Instant.parse(from), windowFrom);
        Instant b = min(Instant.parse(to), windowTo);
        return b.isAfter(a) ? Duration.between(a, b).toNanos() / 1e9 : 0;
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }
}
