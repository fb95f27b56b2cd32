package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.state.StateStore;
import io.spottrain.coordinator.state.StoreWriter;
import io.spottrain.coordinator.state.Table;
import io.spottrain.protocol.json.Json;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What a {@link JobMaster} has to store, and what it may do only once that is stored. A change that
 * matters (state, generation, members, recovery, events) is written at once, unless it is held
 * ({@link #hold}: it goes with the job's next write); progress (steps, checkpoint catalog) waits
 * for the next {@link #flush}. Effects of a change (messages to agents,
 * the manager, API replies) run once every write up to it is acknowledged: a job never acts on a
 * change the store does not have, and a failed write is retried (with everything it held) before
 * anything after it runs; an API reply waiting on a failed write fails at once with the reason.
 * Not thread-safe: owned by its actor.
 */
final class JobOutbox {

    /** Something to do once the change that caused it is stored. */
    interface Effect {
        void run();

        /** The write failed: an API reply says so at once (true); anything else waits for the retry (false). */
        default boolean failed(String why) {
            return false;
        }
    }

    private final String jobId;
    private final ActorRef<StoreWriter.Command> writer;
    private final ActorRef<StoreWriter.Result> replyTo;
    private long nextToken = 1;
    private final TreeMap<Long, List<StateStore.Put>> unacked = new TreeMap<>();
    private final Set<Long> failed = new HashSet<>();
    private final Map<Long, Set<Long>> retriedIn = new LinkedHashMap<>();
    private final TreeMap<Long, List<Effect>> waiting = new TreeMap<>();
    private final Map<String, StateStore.Put> staged = new LinkedHashMap<>();
    private final List<Effect> queued = new ArrayList<>();
    /** Small puts that go with the next progress write (series points): they do not make the document dirty. */
    private final List<StateStore.Put> withProgress = new ArrayList<>();
    private boolean dirty;
    private boolean progressed;
    /** A change was held ({@link #hold}): it goes with the next write, or the next flush at the latest. */
    private boolean holding;
    private int heldEvents;
    /** Effects of held changes: they wait for the write that stores them. */
    private final List<Effect> heldEffects = new ArrayList<>();
    /**
     * A new job's first puts (its spec and first events), written with its first write ({@link #unstored}); null once that
     * write is stored.
     */
    private List<StateStore.Put> submit;
    /** The write that carries {@link #submit} (0: not sent yet). */
    private long submitToken;
    /** Why the write that carries {@link #submit} failed (null: it did not): the job was never stored and must not act. */
    private String submitRefused;
    /** A change was held only because the submit's write was in flight: it is written once that one is stored. */
    private boolean flushDue;

    JobOutbox(String jobId, ActorRef<StoreWriter.Command> writer, ActorRef<StoreWriter.Result> replyTo) {
        this.jobId = jobId;
        this.writer = writer;
        this.replyTo = replyTo;
    }

    /**
     * A new job not stored yet: {@code puts} (its spec, first events and document) go with its first write, which the job's
     * first change makes at once (its placement, or why it waits; the next flush at the latest), so a job placed at once is
     * stored in one write with its generation instead of two in a row. {@code ack} runs once that write is stored. Until then
     * no other write is sent ({@link #submitInFlight}): were the first to fail, no later one may store the job without its
     * spec, and the job must not act ({@link #submitRefused}).
     */
    void unstored(List<StateStore.Put> puts, Effect ack) {
        submit = puts.stream().filter(p -> p.table() != Table.JOBS).toList(); // the document: the job's own, when written
        holding = true;
        heldEvents = 0;
        heldEffects.add(ack);
    }

    /** The new job's first write is not sent yet: a change that may wait is written at once instead (it stores the job). */
    boolean submitUnsent() {
        return submit != null && submitToken == 0;
    }

    /** The job is in the store (its first write acknowledged, or it was stored before this actor started). */
    boolean stored() {
        return submit == null;
    }

    /** The new job's first write is sent and not yet stored: every change waits for it ({@link #hold}). */
    boolean submitInFlight() {
        return submit != null && submitToken != 0;
    }

    /** Why the new job's first write failed (null: it did not): the job does not exist in the store, and nothing of it may run. */
    String submitRefused() {
        return submitRefused;
    }

    /** True once after the new job's first write was stored while a change waited for it: write it now ({@link #flush}). */
    boolean takeFlushDue() {
        boolean due = flushDue;
        flushDue = false;
        return due;
    }

    /** Runs {@code effect} once the change being made now is stored. */
    void after(Effect effect) {
        queued.add(effect);
    }

    /** A small put to store with the next write of the job's progress (or of its document), whichever comes first. */
    void stageWithProgress(StateStore.Put put) {
        withProgress.add(put);
        progressed = true;
    }

    /** A catalog step (or any other put) to store with the next write of the document. */
    void stage(StateStore.Put put) {
        staged.put(put.table() + "/" + put.key(), put);
        dirty = true;
    }

    /**
     * Ends the handling of one message: {@code next} is the job now. Writes its new events, what
     * is staged and its document at once when {@code significant}, else marks it for the next
     * flush. Returns the job with its events handed over.
     */
    Job commit(Job next, boolean significant, boolean changed, boolean stepped) {
        if (significant) {
            write(next);
        } else if (changed) {
            dirty = true;
        } else if (stepped) {
            progressed = true;
        }
        var effects = List.copyOf(queued);
        queued.clear();
        if (holding) { // not written yet: what follows a held change waits for the write that stores it, and its events stay
            heldEffects.addAll(effects);
            return next;
        }
        if (!effects.isEmpty()) {
            if (unacked.isEmpty()) {
                effects.forEach(Effect::run);
            } else {
                waiting.computeIfAbsent(unacked.lastKey(), t -> new ArrayList<>()).addAll(effects);
            }
        }
        return next.withoutNewEvents();
    }

    /**
     * Ends the handling of a significant change that may wait: it is not written now but with the
     * next write (any significant change, a flush at the latest, so never more than one flush
     * interval), and its effects run once that write is stored. For changes that act on nothing
     * outside the coordinator until a later change does (a generation's placement before its
     * rendezvous, each rank's start before the last one): a chain of writes becomes one. Returns
     * {@code next} with its events kept (they go with that write).
     */
    Job hold(Job next) {
        holding = true;
        heldEvents = next.newEvents().size();
        heldEffects.addAll(queued);
        queued.clear();
        return next;
    }

    /** How many of the job's new events are held (0 when nothing is): they alone do not make a change significant. */
    int heldEvents() {
        return holding ? heldEvents : 0;
    }

    /**
     * Writes what changed since the last write: the document (with the staged catalog steps) when
     * more than progress changed or a change is held, else only the small progress record. True when
     * the document was written (the job's new events with it).
     */
    boolean flush(Job job) {
        if (submitInFlight() || submitRefused != null) return false; // nothing may be written before the job itself is
        if (dirty || holding) {
            write(job);
            return true;
        } else if (progressed) {
            progressed = false;
            var puts = new ArrayList<>(withProgress);
            withProgress.clear();
            puts.add(new StateStore.Put(Table.PROGRESS, jobId, Json.write(JobProgress.of(job))));
            send(puts);
        }
        return false;
    }

    boolean idle() {
        return !dirty && !progressed && !holding && unacked.isEmpty() && staged.isEmpty() && withProgress.isEmpty();
    }

    boolean hasFailures() {
        return !failed.isEmpty();
    }

    private long write(Job job) {
        var puts = new ArrayList<StateStore.Put>();
        boolean first = submitUnsent();
        if (first) puts.addAll(submit);
        for (JobEvent e : job.newEvents()) puts.add(new StateStore.Put(Table.EVENTS, Table.seqKey(jobId, e.seq()), Json.write(e)));
        puts.addAll(staged.values());
        staged.clear();
        puts.addAll(withProgress);
        withProgress.clear();
        puts.add(new StateStore.Put(Table.JOBS, jobId, JobDocument.of(job).toJson()));
        puts.add(new StateStore.Put(Table.PROGRESS, jobId, Json.write(JobProgress.of(job))));
        dirty = false;
        progressed = false;
        long token = send(puts);
        if (first) submitToken = token;
        if (holding) heldStoredBy(token);
        return token;
    }

    /** The held change goes with write {@code token}: its effects wait for that one. */
    private void heldStoredBy(long token) {
        holding = false;
        heldEvents = 0;
        if (!heldEffects.isEmpty()) waiting.computeIfAbsent(token, t -> new ArrayList<>()).addAll(heldEffects);
        heldEffects.clear();
    }

    private long send(List<StateStore.Put> puts) {
        long token = nextToken++;
        unacked.put(token, puts);
        writer.tell(new StoreWriter.Write(puts, replyTo, token));
        return token;
    }

    /** The writer's answer. Returns true when a failed write needs a retry. */
    boolean onResult(StoreWriter.Result r) {
        if (r instanceof StoreWriter.WriteFailed f) {
            if (f.token() == submitToken && submit != null) submitRefused = f.error();
            failed.add(f.token());
            for (var e : waiting.headMap(f.token(), true).values()) e.removeIf(effect -> effect.failed("state store write failed: " + f.error()));
            // effects queued after it may be replies too: they would wait behind it
            for (var e : waiting.tailMap(f.token(), false).values()) e.removeIf(effect -> effect.failed("state store write failed: " + f.error()));
            return true;
        }
        unacked.remove(r.token());
        if (r.token() == submitToken && submit != null) {
            submit = null;
            flushDue = holding;
        }
        var merged = retriedIn.remove(r.token());
        if (merged != null) {
            merged.forEach(unacked::remove);
            failed.removeAll(merged);
        }
        long upTo = unacked.isEmpty() ? Long.MAX_VALUE : unacked.firstKey() - 1;
        var ready = waiting.headMap(upTo, true);
        var run = new ArrayList<Effect>();
        ready.values().forEach(run::addAll);
        ready.clear();
        run.forEach(Effect::run);
        return false;
    }

    /**
     * Writes again everything the failed writes held, with the job's current document (and, when
     * a change is held, its events: the document counts them, so it is the held write). True when
     * the job's new events were written with it.
     */
    boolean retry(Job job) {
        if (failed.isEmpty()) return false;
        var puts = new LinkedHashMap<String, StateStore.Put>();
        for (long t : failed) for (var p : unacked.get(t)) puts.put(p.table() + "/" + p.key(), p);
        for (var p : staged.values()) puts.put(p.table() + "/" + p.key(), p);
        staged.clear();
        boolean withEvents = holding;
        if (withEvents) {
            for (JobEvent e : job.newEvents()) puts.put(Table.EVENTS + "/" + Table.seqKey(jobId, e.seq()),
                    new StateStore.Put(Table.EVENTS, Table.seqKey(jobId, e.seq()), Json.write(e)));
        }
        puts.put(Table.JOBS + "/" + jobId, new StateStore.Put(Table.JOBS, jobId, JobDocument.of(job).toJson()));
        dirty = false;
        long token = send(List.copyOf(puts.values()));
        if (withEvents) heldStoredBy(token);
        var merged = new HashSet<>(failed);
        for (long t : failed) {
            var earlier = retriedIn.remove(t);
            if (earlier != null) merged.addAll(earlier);
        }
        retriedIn.put(token, merged);
        // what waited on the failed writes now waits on this one (it is the newest)
        failed.clear();
        return withEvents;
    }
}
