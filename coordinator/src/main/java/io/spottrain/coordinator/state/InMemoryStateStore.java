package io.spottrain.coordinator.state;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * State in this JVM's memory: lost with the process. Jobs are kept as their JSON, like the Ignite
 * store keeps them, so a job that does not survive serialization fails here too.
 */
public final class InMemoryStateStore extends JsonJobStore {
    private final Map<String, String> jobs = new ConcurrentHashMap<>();
    private final Map<String, Long> counters = new ConcurrentHashMap<>();

    @Override
    void putDocument(String id, String json) {
        jobs.put(id, json);
    }

    @Override
    String document(String id) {
        return jobs.get(id);
    }

    @Override
    Iterable<String> documents() {
        return jobs.values();
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
