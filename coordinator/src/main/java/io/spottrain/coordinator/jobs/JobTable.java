package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.state.StateStore;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;

/**
 * The job manager's jobs, written through to the {@link StateStore}. A change of state,
 * generation, members or events is written before {@link #put} returns (so anything the job
 * manager then acknowledges or acts on is durable); a change of progress only (steps, loss,
 * checkpoint and upload records) is written by {@link #flush} within a second. A failed write is
 * logged and retried at the next flush; the job manager keeps serving from memory meanwhile.
 */
final class JobTable {
    private final Map<String, Job> jobs = new LinkedHashMap<>();
    private final Set<String> dirty = new LinkedHashSet<>();
    private final StateStore store;
    private final Logger log;

    JobTable(StateStore store, Logger log) {
        this.store = store;
        this.log = log;
    }

    Job get(String id) {
        return jobs.get(id);
    }

    Collection<Job> values() {
        return jobs.values();
    }

    int size() {
        return jobs.size();
    }

    /** Takes a job read from the store (nothing to write). */
    void load(Job job) {
        jobs.put(job.id(), job);
    }

    void put(String id, Job job) {
        Job old = jobs.put(id, job);
        if (old == job) return;
        boolean significant = old == null || old.state() != job.state() || old.generation() != job.generation()
                || !old.members().equals(job.members()) || old.events().size() != job.events().size()
                || !java.util.Objects.equals(old.elastic().recovery(), job.elastic().recovery());
        if (significant) {
            write(job);
        } else {
            dirty.add(id);
        }
    }

    /** Writes every job changed since the last flush. */
    void flush() {
        for (String id : Set.copyOf(dirty)) {
            Job job = jobs.get(id);
            if (job != null) write(job);
        }
    }

    private void write(Job job) {
        try {
            store.putJob(job);
            dirty.remove(job.id());
        } catch (RuntimeException e) {
            dirty.add(job.id());
            log.error("job {}: writing to the state store failed ({}); kept in memory, retried in 1 s", job.id(), e.toString());
        }
    }
}
