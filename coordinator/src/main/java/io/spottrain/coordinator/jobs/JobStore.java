package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.coordinator.state.StateStore;
import io.spottrain.coordinator.state.Table;
import io.spottrain.protocol.json.Json;
import io.spottrain.protocol.spec.JobSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The job manager's own reads and writes of the store: what it takes over when it starts (on another
 * control node, or after a restart: the jobs not ended yet, with their specs, the worker nodes the
 * store says were alive, and a new epoch; run off its actor), and a new job's first write (its puts
 * made on the actor when the job's number is reserved already, else off it: {@link ManagerSubmits}).
 */
final class JobStore {
    private JobStore() {}

    /** What was read, and this job manager's epoch (it fences every write: a newer one stops this one acting). */
    /** {@code ledger}: what the stored cost ledger holds. */
    /** {@code ended}: the stored node lives that ended (the Spot interruption risk is estimated from them). */
    record Loaded(List<Job> jobs, List<NodeRecord> expected, List<NodeRecord> ended, int stored, long epoch, ManagerLedger.Stored ledger) {}

    static final String EPOCH = JobManager.EPOCH_COUNTER;

    /** A new job and what stores it: its spec, first events and document. */
    record Submitted(Job job, List<StateStore.Put> puts) {}

    /**
     * A new job with its id ({@code <name>-<n>-<incarnation>}; reserving a block of numbers may
     * read the store) and the puts that store it, for the job manager's writer: submits share its
     * batches (fenced by its epoch) instead of each being its own transaction.
     */
    static Submitted submitted(JobIds ids, JobSpec spec, String by, Instant at, String warning) {
        return submitted(ids.next(spec.metadata().name()), spec, by, at, warning);
    }

    /** As above with its id (its number reserved already). */
    static Submitted submitted(String id, JobSpec spec, String by, Instant at, String warning) {
        Job job = Job.submitted(id, spec, at, by);
        if (warning != null) job = job.withEvent(JobEventType.WARNING, null, -1, warning, at);
        var puts = new ArrayList<StateStore.Put>();
        puts.add(new StateStore.Put(Table.SPECS, id, Json.write(spec)));
        job.newEvents().forEach(e -> puts.add(new StateStore.Put(Table.EVENTS, Table.seqKey(id, e.seq()), Json.write(e))));
        puts.add(new StateStore.Put(Table.JOBS, id, JobDocument.of(job).toJson()));
        return new Submitted(job.withoutNewEvents(), List.copyOf(puts));
    }

    static Loaded load(StateStore store) {
        long epoch = store.next(EPOCH); // first: anything an older job manager still writes from now on is refused
        var docs = new ArrayList<JobDocument>();
        int stored = 0;
        for (String json : store.values(Table.JOBS)) {
            stored++;
            JobDocument d = JobDocument.read(json);
            if (!d.state().terminal()) docs.add(d);
        }
        var specs = store.getAll(Table.SPECS, docs.stream().map(JobDocument::id).toList());
        // the newest progress is kept apart from the document (PROGRESS): a job manager that takes over starts from it, not from
        // the step of the document's last write
        var progress = store.getAll(Table.PROGRESS, docs.stream().map(JobDocument::id).toList());
        for (int i = 0; i < docs.size(); i++) {
            String p = progress.get(docs.get(i).id());
            if (p != null) docs.set(i, docs.get(i).withProgress(JobDocument.readValue(p, JobProgress.class)));
        }
        var jobs = new ArrayList<Job>();
        for (JobDocument d : docs) {
            String spec = specs.get(d.id());
            if (spec == null) throw new IllegalStateException("stored job " + d.id() + " has no spec in " + Table.SPECS.cacheName());
            jobs.add(d.toJob(JobDocument.readValue(spec, JobSpec.class)));
        }
        jobs.sort(Comparator.comparing(Job::submittedAt).thenComparing(Job::id));
        var expected = new ArrayList<NodeRecord>();
        var ended = new ArrayList<NodeRecord>();
        for (String json : store.values(Table.NODES)) {
            var n = JobDocument.readValue(json, NodeRecord.class);
            (n.terminatedAt() == null ? expected : ended).add(n);
        }
        return new Loaded(jobs, expected, ended, stored, epoch, ManagerLedger.stored(store));
    }
}
