package io.spottrain.coordinator.jobs;

import io.spottrain.protocol.wire.WireMessage;

/**
 * One rank of a generation. {@code pid} is 0 until the agent reports the process started;
 * {@code exitCode} is null while it runs.
 */
public record Member(int rank, String nodeId, long pid, String logFile, Integer exitCode) implements WireMessage {

    static Member assigned(int rank, String nodeId) {
        return new Member(rank, nodeId, 0, null, null);
    }

    Member started(long pid, String logFile) {
        return new Member(rank, nodeId, pid, logFile, exitCode);
    }

    Member exited(int code) {
        return new Member(rank, nodeId, pid, logFile, code);
    }

    public boolean running() {
        return pid > 0 && exitCode == null;
    }
}
