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
 * matters (state, generation, members, recovery, events) is written at once; progress (steps,
 * checkpoint catalog) waits for the next {@link #flush}. Effects of a change (messages to agents,
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

    JobOutbox(String jobId, ActorRef<StoreWriter.Command> writer, ActorRef<StoreWriter.Result> replyTo) {
        this.jobId = jobId;
        this.writer = writer;
        this.replyTo = replyTo;
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
     * Writes what changed since the last write: the document (with the staged catalog steps) when
     * more than progress changed, else only the small progress record.
     */
    void flush(Job job) {
        if (dirty) {
            write(job);
        } else if (progressed) {
            progressed = false;
            var puts = new ArrayList<>(withProgress);
            withProgress.clear();
            puts.add(new StateStore.Put(Table.PROGRESS, jobId, Json.write(JobProgress.of(job))));
            send(puts);
        }
    }

    boolean idle() {
        return !dirty && !progressed && unacked.isEmpty() && staged.isEmpty() && withProgress.isEmpty();
    }

    boolean hasFailures() {
        return !failed.isEmpty();
    }

    private long write(Job job) {
        var puts = new ArrayList<StateStore.Put>();
        for (JobEvent e : job.newEvents()) puts.add(new StateStore.Put(Table.EVENTS, Table.seqKey(jobId, e.seq()), Json.write(e)));
        puts.addAll(staged.values());
        staged.clear();
        puts.addAll(withProgress);
        withProgress.clear();
        puts.add(new StateStore.Put(Table.JOBS, jobId, JobDocument.of(job).toJson()));
        puts.add(new StateStore.Put(Table.PROGRESS, jobId, Json.write(JobProgress.of(job))));
        dirty = false;
        progressed = false;
        return send(puts);
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
            failed.add(f.token());
            for (var e : waiting.headMap(f.token(), true).values()) e.removeIf(effect -> effect.failed("state store write failed: " + f.error()));
            // effects queued after it may be replies too: they would wait behind it
            for (var e : waiting.tailMap(f.token(), false).values()) e.removeIf(effect -> effect.failed("state store write failed: " + f.error()));
            return true;
        }
        unacked.remove(r.token());
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

    /** Writes again everything the failed writes held, with the job's current document. */
    void retry(Job job) {
        if (failed.isEmpty()) return;
        var puts = new LinkedHashMap<String, StateStore.Put>();
        for (long t : failed) for (var p : unacked.get(t)) puts.put(p.table() + "/" + p.key(), p);
        for (var p : staged.values()) puts.put(p.table() + "/" + p.key(), p);
        staged.clear();
        puts.put(Table.JOBS + "/" + jobId, new StateStore.Put(Table.JOBS, jobId, JobDocument.of(job).toJson()));
        dirty = false;
        long token = send(List.copyOf(puts.values()));
        var merged = new HashSet<>(failed);
        for (long t : failed) {
            var earlier = retriedIn.remove(t);
            if (earlier != null) merged.addAll(earlier);
        }
        retriedIn.put(token, merged);
        // what waited on the failed writes now waits on this one (it is the newest)
        failed.clear();
    }
}
