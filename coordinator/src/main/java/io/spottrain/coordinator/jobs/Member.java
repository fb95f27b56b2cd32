package io.spottrain.coordinator.jobs;

import io.spottrain.protocol.spec.NodeMarket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * One rank of a generation and the price of its node. {@code pid} is 0 until the agent reports
 * the process started; {@code exitCode} is null while it runs.
 */
public record Member(int rank, String nodeId, NodeMarket market, double pricePerHour, double onDemandPricePerHour, long pid,
        String logFile, Integer exitCode) {

    static Member assigned(int rank, String nodeId, NodeMarket market, double price, double onDemandPrice) {
        return new Member(rank, nodeId, market, price, onDemandPrice, 0, null, null);
    }

    Member started(long p, String log) {
        return new Member(rank, nodeId, market, pricePerHour, onDemandPricePerHour, p, log, exitCode);
    }

    Member exited(int code) {
        return new Member(rank, nodeId, market, pricePerHour, onDemandPricePerHour, pid, logFile, code);
    }

    /** What these members cost from {@code openedAt} (null: nothing is open) to {@code until}: {actual, on-demand} USD. */
    public static double[] cost(List<Member> members, String openedAt, Instant until) {
        if (openedAt == null) return new double[] {0, 0};
        double hours = Duration.between(Instant.parse(openedAt), until).toMillis() / 3_600_000.0;
        double actual = 0;
        double onDemand = 0;
        for (Member m : members) {
            actual += m.pricePerHour() * hours;
            onDemand += m.onDemandPricePerHour() * hours;
        }
        return new double[] {actual, onDemand};
    }

    public boolean running() {
        return pid > 0 && exitCode == null;
    }
}
