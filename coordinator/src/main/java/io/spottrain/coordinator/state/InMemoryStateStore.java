package io.spottrain.coordinator.state;

import io.spottrain.coordinator.jobs.Job;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * State in this JVM's memory: lost with the process. Jobs are kept as their JSON, like the Ignite
 * store keeps them, so a job that does not survive serialization fails here too.
 */
public final class InMemoryStateStore implements StateStore {
    private final Map<String, String> jobs = new ConcurrentHashMap<>();
    private final Map<String, Long> counters = new ConcurrentHashMap<>();

    @Override
    public void putJob(Job job) {
        jobs.put(job.id(), JobCodec.write(job));
    }

    @Override
    public Optional<Job> job(String id) {
        return Optional.ofNullable(jobs.get(id)).map(JobCodec::read);
    }

    @Override
    public List<Job> jobs() {
        return jobs.values().stream().map(JobCodec::read).sorted(JobCodec.SUBMISSION_ORDER).toList();
    }

    @Override
    public long next(String counter) {
        return counters.merge(counter, 1L, Long::sum);
    }

    @Override
    public String describe() {
        return "in memory (lost when this process ends)";
    }

    @Override
    public void close() {
        // nothing to release
    }
}
