package io.spottrain.coordinator.api;

import io.spottrain.coordinator.jobs.CheckpointEntry;
import io.spottrain.coordinator.cost.BudgetStatus;
import io.spottrain.coordinator.cost.LedgerEntry;
import io.spottrain.coordinator.jobs.JobDocument;
import io.spottrain.coordinator.jobs.JobEvent;
import io.spottrain.coordinator.jobs.JobManager;
import io.spottrain.coordinator.jobs.JobProgress;
import io.spottrain.coordinator.jobs.ProgressSeries;
import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.coordinator.scheduling.PoolRisks;
import io.spottrain.coordinator.state.StateStore;
import io.spottrain.coordinator.state.Table;
import io.spottrain.protocol.spec.JobSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Optional;

/**
 * What the API reads, straight from this control node's copy of the state store (no round trip to
 * the job manager): job documents, specs, pages of events and of the checkpoint catalog, nodes.
 * Pages are bounded: a page is a set of known keys, never a scan of a job's history.
 */
public final class JobReads {
    /** Most events or catalog steps one page returns. */
    public static final int MAX_PAGE = 1000;
    /** Events a job view carries (its newest). */
    public static final int VIEW_EVENTS = 200;

    /** A page of a job's history: {@code items} after {@code after} (exclusive), and how many there are in all. */
    public record Page<T>(List<T> items, long total, Long next) {}

    private final StateStore store;
    private final Clock clock;
    private final Duration riskWindow;
    private final PoolRisks.Priors riskPrior;
    private final ParsedDocuments<JobDocument> documents = new ParsedDocuments<>(JobDocument::read, 16L << 20);
    private final ParsedDocuments<JobProgress> progress = new ParsedDocuments<>(j -> JobDocument.readValue(j, JobProgress.class), 8L << 20);
    private final JobList list = new JobList(16L << 20);
    private final ParsedDocuments<JobSpec> specs = new ParsedDocuments<>(j -> JobDocument.readValue(j, JobSpec.class), 16L << 20);

    public JobReads(StateStore store, Clock clock) {
        this(store, clock, Duration.ofDays(7), PoolRisks.Priors.of(0));
    }

    /** As above; the Spot pools' interruption risks are estimated over {@code riskWindow} with {@code riskPrior} per node-hour. */
    public JobReads(StateStore store, Clock clock, Duration riskWindow, PoolRisks.Priors riskPrior) {
        this.store = store;
        this.clock = clock;
        this.riskWindow = riskWindow;
        this.riskPrior = riskPrior;
    }

    /** The Spot pools' interruption risks now, from the stored node history (as the job manager estimates them). */
    public PoolRisks risks() {
        return risks(workers(true));
    }

    /** As above, from these node lives (every one the history holds). */
    public PoolRisks risks(List<NodeRecord> lives) {
        return PoolRisks.from(lives, clock.instant(), riskWindow, riskPrior);
    }

    /** The job's document with its newest progress. */
    public Optional<JobDocument> document(String id) {
        return store.get(Table.JOBS, id).map(documents::get)
                .map(d -> d.withProgress(store.get(Table.PROGRESS, id).map(progress::get).orElse(null)));
    }

    /**
     * The job's progress over time, points newer than {@code after} (epoch seconds, 0: all): every
     * {@code fineSeconds} for the last 4 hours, every {@code coarseSeconds} before that (48 hours).
     * {@code cursor}: what to send as {@code after} next when it is newer than the newest point
     * (a minute back: a point reaches the store up to a flush after its time), so a poll of a job
     * that reports nothing does not read every slot again.
     */
    public record Series(String id, List<ProgressSeries.Point> points, long fineSeconds, long coarseSeconds, long cursor) {}

    public Optional<Series> series(String id, long after) {
        if (store.get(Table.JOBS, id).isEmpty()) return Optional.empty();
        Instant now = clock.instant();
        return Optional.of(new Series(id, ProgressSeries.read(store, id, after, now), ProgressSeries.Ring.FINE.seconds,
                ProgressSeries.Ring.COARSE.seconds, now.getEpochSecond() - 60));
    }

    /** The job's spec as submitted. */
    public Optional<JobSpec> spec(String id) {
        return store.get(Table.SPECS, id).map(specs::get);
    }

    public Optional<JobView> job(String id) {
        return document(id).map(d -> {
            var spec = spec(id).orElseThrow(() -> new IllegalStateException("job " + id + " has no stored spec"));
            long from = Math.max(0, d.eventCount() - VIEW_EVENTS);
            return JobView.of(d, spec, events(id, from, d.eventCount()), clock.instant());
        });
    }

    /** Every job, in submission order, as summaries. */
    public List<JobSummary> jobs() {
        var now = clock.instant();
        return documents().stream().map(d -> JobSummary.of(d, now)).toList();
    }

    /** {@link #jobs()} as the API's JSON array (ended jobs' rows kept serialized: {@link JobList}). */
    public String jobsJson() {
        return list.json(store.entries(Table.JOBS), store.entries(Table.PROGRESS), documents::get, progress::get, clock.instant());
    }

    /** Every job's document with its progress, in submission order: one read of each table (a scrape needs no second read per job). */
    public List<JobDocument> documents() {
        var progressById = new HashMap<String, JobProgress>();
        for (String json : store.values(Table.PROGRESS)) { // an ended job's progress is the same JSON every time: parsed once
            var p = progress.get(json);
            progressById.put(p.id(), p);
        }
        var docs = new ArrayList<JobDocument>();
        for (String json : store.values(Table.JOBS)) {
            var d = documents.get(json);
            docs.add(d.withProgress(progressById.get(d.id())));
        }
        docs.sort(Comparator.comparing(JobDocument::submittedAt).thenComparing(JobDocument::id));
        return docs;
    }

    /** Events {@code after}+1 .. up to {@code limit} of them ({@code after} -1: from the first). */
    public Optional<Page<JobEvent>> events(String id, long after, int limit) {
        return document(id).map(d -> {
            long from = Math.max(0, after + 1);
            long to = Math.min(d.eventCount(), from + Math.min(limit, MAX_PAGE));
            var items = events(id, from, to);
            return new Page<>(items, d.eventCount(), to < d.eventCount() ? to - 1 : null);
        });
    }

    /** Every event of the job, oldest first (a log request for an earlier generation looks up where its rank ran). */
    public List<JobEvent> allEvents(String id) {
        var d = document(id);
        if (d.isEmpty()) return List.of();
        var out = new ArrayList<JobEvent>();
        for (long from = 0; from < d.get().eventCount(); from += MAX_PAGE) out.addAll(events(id, from, Math.min(d.get().eventCount(), from + MAX_PAGE)));
        out.sort(Comparator.comparingLong(JobEvent::seq));
        return out;
    }

    private List<JobEvent> events(String id, long from, long to) {
        var keys = new ArrayList<String>();
        for (long s = from; s < to; s++) keys.add(Table.seqKey(id, s));
        return store.getAll(Table.EVENTS, keys).values().stream().map(j -> JobDocument.readValue(j, JobEvent.class)).toList();
    }

    /** Catalog steps, newest first: {@code limit} of them before catalog entry {@code before} (null: from the newest). */
    public Optional<Page<CatalogEntry>> catalog(String id, Long before, int limit) {
        return document(id).map(d -> {
            long total = d.training().checkpoints().steps();
            long to = before == null ? total : Math.max(0, Math.min(before, total));
            long from = Math.max(0, to - Math.min(limit, MAX_PAGE));
            var keys = new ArrayList<String>();
            for (long s = to - 1; s >= from; s--) keys.add(Table.seqKey(id, s));
            var entries = store.getAll(Table.CHECKPOINTS, keys).values().stream().map(j -> JobDocument.readValue(j, CheckpointEntry.class))
                    .map(e -> CatalogEntry.of(e, d.training().retention())).toList();
            return new Page<>(entries, total, from > 0 ? from : null);
        });
    }

    /** Worker nodes: the live ones, or ({@code all}) every life of every node, newest registration last. */
    public List<NodeRecord> workers(boolean all) {
        var out = new ArrayList<NodeRecord>();
        for (String json : store.values(Table.NODES)) {
            var n = JobDocument.readValue(json, NodeRecord.class);
            if (all || n.terminatedAt() == null) out.add(n);
        }
        out.sort(Comparator.comparingInt((NodeRecord n) -> n.nodeId().length()).thenComparing(NodeRecord::nodeId)
                .thenComparing(NodeRecord::registeredAt));
        return out;
    }

    /** Every segment of the cost ledger, from this node's copy. */
    public List<LedgerEntry> ledger() {
        return store.values(Table.LEDGER).stream().map(j -> JobDocument.readValue(j, LedgerEntry.class)).toList();
    }

    /** Each budget where the job manager's last check left it (empty: no budgets). */
    public List<BudgetStatus> budgets() {
        return store.get(Table.BUDGETS, "statuses").map(j -> List.of(JobDocument.readValue(j, BudgetStatus[].class))).orElse(List.of())
                .stream().sorted(Comparator.comparing(BudgetStatus::name)).toList();
    }

    public Instant now() {
        return clock.instant();
    }

    public List<ControlNodeRecord> controlNodes() {
        return store.values(Table.CONTROL).stream().map(j -> JobDocument.readValue(j, ControlNodeRecord.class)).toList();
    }

    public StateStore.Stats storeStats() {
        return store.stats();
    }

    /** The epoch of the newest job manager (each one that starts takes the next). */
    public long jobManagerEpoch() {
        return store.current(JobManager.EPOCH_COUNTER);
    }
}
