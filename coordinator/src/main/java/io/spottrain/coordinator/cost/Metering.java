package io.spottrain.coordinator.cost;

import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.wire.NodeInfo;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * Turns the worker nodes' record changes into ledger segments (OpenCost's model: every billed
 * node-second belongs to the job that holds the node, else it is idle; before registration it is
 * boot time). Each node has one open segment; a change of its allocation closes it and opens the
 * next at the same instant, so a node's segments tile its billed life from launch to termination
 * without gap or overlap. Returns what to write; stores nothing itself. Not thread-safe: owned by
 * the job manager.
 */
public final class Metering {
    private final Map<String, LedgerEntry> open = new HashMap<>();
    /** S3 requests reported per job since the last ledger tick. */
    private final Map<String, PendingRequests> requests = new HashMap<>();
    /** The bytes each open storage segment stands for (what makes a new size a change). */
    private final Map<String, Long> storedBytes = new HashMap<>();
    /** Jobs recovering now: their nodes' time is {@link Allocation#RECOVERY}. */
    private final Set<String> recovering = new HashSet<>();
    /** Where each node's ledger ends so far (closed segments, and what an earlier job manager stored): boot is billed once. */
    private final Map<String, Instant> metered = new HashMap<>();

    /** What earlier job managers metered: the end of each node's stored segments. */
    public void resume(Map<String, Instant> tails) {
        tails.forEach((node, at) -> metered.merge(node, at, (a, b) -> a.isAfter(b) ? a : b));
    }

    /**
     * Node {@code r} changed at {@code now} (registered, assigned, released, lost ...). {@code labelsOf}
     * gives a job's labels. Returns the segments to write: those it closed and the one it opened.
     */
    public List<LedgerEntry> onChange(NodeRecord r, Instant now, Function<String, Map<String, String>> labelsOf) {
        var out = new ArrayList<LedgerEntry>();
        String node = r.nodeId();
        LedgerEntry current = open.get(node);
        if (r.terminatedAt() != null) { // this life is over
            if (current != null && current.life().equals(r.registeredAt())) {
                out.add(close(current, Instant.parse(r.terminatedAt())));
                open.remove(node);
            }
            return out;
        }
        if (current != null && !current.life().equals(r.registeredAt())) { // a new life: the old one ended when it registered again
            out.add(close(current, now));
            open.remove(node);
            current = null;
        }
        Allocation allocation = r.jobId() == null ? Allocation.IDLE : recovering.contains(r.jobId()) ? Allocation.RECOVERY : Allocation.JOB;
        if (current == null) {
            Instant registered = Instant.parse(r.registeredAt());
            Instant billedFrom = billedFrom(r.info(), node, registered);
            if (billedFrom.isBefore(registered)) {
                out.add(close(segment(r, Allocation.BOOT, null, Map.of(), billedFrom), registered));
            }
            var opened = segment(r, allocation, r.jobId(), labels(r.jobId(), labelsOf), registered);
            open.put(node, opened);
            out.add(opened);
            return out;
        }
        if (current.allocation() == allocation && Objects.equals(current.jobId(), r.jobId())) return out;
        out.add(close(current, now));
        var next = segment(r, allocation, r.jobId(), labels(r.jobId(), labelsOf), now);
        open.put(node, next);
        out.add(next);
        return out;
    }

    /**
     * Job {@code jobId} began recovering ({@code true}) or trains again or ended ({@code false}) at
     * {@code now}: its nodes' open segments switch between {@link Allocation#JOB} and
     * {@link Allocation#RECOVERY}. Returns the segments to write.
     */
    public List<LedgerEntry> onJobPhase(String jobId, boolean nowRecovering, Instant now) {
        if (nowRecovering ? !recovering.add(jobId) : !recovering.remove(jobId)) return List.of();
        Allocation from = nowRecovering ? Allocation.JOB : Allocation.RECOVERY;
        Allocation to = nowRecovering ? Allocation.RECOVERY : Allocation.JOB;
        var out = new ArrayList<LedgerEntry>();
        for (var e : open.entrySet()) {
            var current = e.getValue();
            if (current.allocation() != from || !jobId.equals(current.jobId())) continue;
            out.add(close(current, now));
            var next = current.as(to, now);
            e.setValue(next);
            out.add(next);
        }
        return out;
    }

    /** The key of a job's storage segments: one open at a time, like a node's. */
    public static String storageKey(String jobId) {
        return "s3:" + jobId;
    }

    /** Hours in a month, as storage is billed by the GB-month (AWS prorates by the hour: 730 a month on average). */
    static final double HOURS_PER_MONTH = 730;

    /**
     * Job {@code jobId}'s checkpoints occupy {@code bytes} in the remote tier from {@code now} on
     * (0: none, or the job ended and its storage is no longer metered). Closes its open storage
     * segment if the amount changed and opens one at the new amount, priced at {@code usdPerGibMonth}
     * (GiB-months, as S3 bills). Returns the segments to write.
     */
    public List<LedgerEntry> onStorage(String jobId, Map<String, String> labels, long bytes, double usdPerGibMonth, Instant now) {
        String key = storageKey(jobId);
        if (usdPerGibMonth <= 0) bytes = 0; // storage not priced: not metered
        LedgerEntry current = open.get(key);
        if (current != null && storedBytes.get(key) == bytes) return List.of();
        double perHour = bytes / (double) (1L << 30) * usdPerGibMonth / HOURS_PER_MONTH;
        var out = new ArrayList<LedgerEntry>();
        if (current != null) {
            out.add(close(current, now));
            open.remove(key);
            storedBytes.remove(key);
        }
        if (bytes > 0) {
            var next = new LedgerEntry(LedgerEntry.SCHEMA, key, now.toString(), NodeMarket.ON_DEMAND, "s3", "", 0, perHour, perHour,
                    Allocation.STORAGE, jobId, labels == null ? Map.of() : labels, now.toString(), now.toString(), true);
            open.put(key, next);
            storedBytes.put(key, bytes);
            out.add(next);
        }
        return out;
    }

    /**
     * Job {@code jobId} ended with {@code bytes} of checkpoints in the remote tier, which stay there: its in-progress storage
     * segment closes and a {@link LedgerEntry#kept kept} one opens at {@code now}, written once and never refreshed: open
     * until deleted ({@code keptFor} zero), else closed {@code keptFor} later (a bucket lifecycle rule's expiry).
     */
    public List<LedgerEntry> onStorageKept(String jobId, Map<String, String> labels, long bytes, double usdPerGibMonth, Duration keptFor,
            Instant now) {
        var out = new ArrayList<>(onStorage(jobId, labels, 0, usdPerGibMonth, now));
        if (bytes <= 0 || usdPerGibMonth <= 0) return out;
        double perHour = bytes / (double) (1L << 30) * usdPerGibMonth / HOURS_PER_MONTH;
        boolean forever = keptFor.isZero();
        out.add(new LedgerEntry(LedgerEntry.SCHEMA, storageKey(jobId), now.toString(), NodeMarket.ON_DEMAND, "s3", "", 0, perHour, perHour,
                Allocation.STORAGE, jobId, labels == null ? Map.of() : labels, now.toString(), (forever ? now : now.plus(keptFor)).toString(),
                forever, true));
        return out;
    }

    /** The key of a job's S3 request charges: one closed segment per ledger tick with requests in it. */
    public static String requestsKey(String jobId) {
        return "s3-requests:" + jobId;
    }

    /** Job {@code jobId}'s agents made these S3 requests (reported with its uploads); charged at the next {@link #requestCharges}. */
    public void onRequests(String jobId, Map<String, String> labels, long put, long get) {
        if (put <= 0 && get <= 0) return;
        requests.merge(jobId, new PendingRequests(labels == null ? Map.of() : labels, put, get),
                (a, b) -> new PendingRequests(b.labels(), a.put() + b.put(), a.get() + b.get()));
    }

    /**
     * The S3 requests reported since the last call, one closed segment per job (allocation {@code storage}, no node time)
     * charged at {@code now}: it spans the millisecond from {@code now} and costs exactly the requests' price there. Never
     * backdated to when they were made, so a report of a window that ended before this tick never changes afterwards.
     */
    public List<LedgerEntry> requestCharges(StoragePrices prices, Instant now) {
        var out = new ArrayList<LedgerEntry>();
        Instant to = now.plusMillis(1);
        double hours = 1 / 3_600_000.0;
        for (var e : requests.entrySet()) {
            var p = e.getValue();
            double usd = prices.requests(p.put(), p.get());
            if (usd <= 0) continue;
            out.add(new LedgerEntry(LedgerEntry.SCHEMA, requestsKey(e.getKey()), now.toString(), NodeMarket.ON_DEMAND, "s3-requests", "", 0,
                    usd / hours, usd / hours, Allocation.STORAGE, e.getKey(), p.labels(), now.toString(), to.toString(), false));
        }
        requests.clear();
        return out;
    }

    private record PendingRequests(Map<String, String> labels, long put, long get) {}

    /** The open segments as of {@code now} (written every ledger tick, so a report is never older than a tick). */
    public List<LedgerEntry> refresh(Instant now) {
        var out = new ArrayList<LedgerEntry>();
        for (var e : open.entrySet()) {
            var refreshed = e.getValue().until(now, true);
            e.setValue(refreshed);
            out.add(refreshed);
        }
        return out;
    }

    /** A node's billed time starts at its launch, or where its ledger already ends (an agent that registered again). */
    private Instant billedFrom(NodeInfo info, String node, Instant registered) {
        Instant launched = registered;
        if (info.launchedAt() != null) {
            try {
                launched = Instant.parse(info.launchedAt());
            } catch (DateTimeParseException e) {
                launched = registered; // an agent's bad launch time bills from its registration
            }
        }
        Instant tail = metered.get(node);
        if (tail != null && tail.isAfter(launched)) launched = tail;
        return launched.isAfter(registered) ? registered : launched;
    }

    private LedgerEntry close(LedgerEntry e, Instant at) {
        Instant from = Instant.parse(e.from());
        Instant end = at.isBefore(from) ? from : at;
        metered.merge(e.nodeId(), end, (a, b) -> a.isAfter(b) ? a : b);
        return e.until(end, false);
    }

    private static Map<String, String> labels(String jobId, Function<String, Map<String, String>> labelsOf) {
        if (jobId == null) return Map.of();
        var l = labelsOf.apply(jobId);
        return l == null ? Map.of() : l;
    }

    private static LedgerEntry segment(NodeRecord r, Allocation a, String jobId, Map<String, String> labels, Instant from) {
        var i = r.info();
        return new LedgerEntry(LedgerEntry.SCHEMA, i.nodeId(), r.registeredAt(), i.market(), i.instanceType(), i.zone(), i.gpus(),
                i.pricePerHour(), i.onDemandPricePerHour(), a, jobId, labels, from.toString(), from.toString(), true);
    }
}
