package io.spottrain.coordinator.cost;

import java.time.Duration;

/**
 * What the remote tier costs: {@code usdPerGibMonth} for the bytes of checkpoints (0: storage not metered), per 1,000 S3
 * requests of each pricing class ({@code putPer1000}: PUT, COPY, POST, LIST; {@code getPer1000}: GET and the rest but
 * DELETE), and how long an ended job's checkpoints stay ({@code keptFor}; zero: until deleted).
 */
public record StoragePrices(double usdPerGibMonth, double putPer1000, double getPer1000, Duration keptFor) {

    /** The requests' cost in USD. */
    public double requests(long put, long get) {
        return put / 1000.0 * putPer1000 + get / 1000.0 * getPer1000;
    }
}
