package io.spottrain.coordinator.jobs;

import io.spottrain.protocol.wire.WireMessage;

/**
 * One rank of a generation and the price of its node. {@code pid} is 0 until the agent reports
 * the process started; {@code exitCode} is null while it runs.
 */
public record Member(int rank, String nodeId, String market, double pricePerHour, double onDemandPricePerHour, long pid,
        String logFile, Integer exitCode) implements WireMessage {

    static Member assigned(int rank, String nodeId, String market, double price, double onDemandPrice) {
        return new Member(rank, nodeId, market, price, onDemandPrice, 0, null, null);
    }

    Member started(long pid, String logFile) {
        return new Member(rank, nodeId, market, pricePerHour, onDemandPricePerHour, pid, logFile, exitCode);
    }

    Member exited(int code) {
        return new Member(rank, nodeId, market, pricePerHour, onDemandPricePerHour, pid, logFile, code);
    }

    public boolean running() {
        return pid > 0 && exitCode == null;
    }
}
