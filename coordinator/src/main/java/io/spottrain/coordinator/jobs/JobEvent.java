package io.spottrain.coordinator.jobs;

/**
 * One thing that happened to a job, with when (ISO-8601 UTC), which generation and which node.
 * {@code node} is null and {@code rank} is -1 where they do not apply; {@code seq} is its place in
 * the job's history (0, 1, ...), the key of its page in the store. {@code by} names who asked for
 * a change through the API (the token's name, role and id); null for what the system did itself.
 */
public record JobEvent(long seq, String at, JobEventType type, long generation, String node, int rank, String message, String by) {}
