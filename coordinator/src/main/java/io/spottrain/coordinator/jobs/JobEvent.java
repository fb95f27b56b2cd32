package io.spottrain.coordinator.jobs;

import io.spottrain.protocol.wire.WireMessage;

/**
 * One thing that happened to a job, with when (ISO-8601 UTC), which generation and which node.
 * {@code node} is null and {@code rank} is -1 where they do not apply.
 */
public record JobEvent(String at, String type, long generation, String node, int rank, String message)
        implements WireMessage {}
