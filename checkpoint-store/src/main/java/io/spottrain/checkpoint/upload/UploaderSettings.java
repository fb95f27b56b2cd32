package io.spottrain.checkpoint.upload;

import java.time.Duration;

/**
 * @param queueCapacity     steps that may wait (a full queue refuses new ones; the local tier keeps them)
 * @param initialBackoff    first retry delay; doubles per failed attempt up to {@code maxBackoff}, with jitter
 * @param bytesPerSecond    bandwidth cap (0: none), enforced per transferred part
 */
public record UploaderSettings(int queueCapacity, Duration initialBackoff, Duration maxBackoff, long bytesPerSecond) {
    public UploaderSettings {
        if (queueCapacity < 1) throw new IllegalArgumentException("queueCapacity must be >= 1");
        if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("need 0 <= initialBackoff <= maxBackoff");
        }
        if (bytesPerSecond < 0) throw new IllegalArgumentException("bytesPerSecond must be >= 0");
    }

    public static UploaderSettings defaults() {
        return new UploaderSettings(1024, Duration.ofMillis(200), Duration.ofSeconds(30), 0);
    }

    public UploaderSettings withBackoff(Duration initial, Duration max) {
        return new UploaderSettings(queueCapacity, initial, max, bytesPerSecond);
    }

    public UploaderSettings withBytesPerSecond(long cap) {
        return new UploaderSettings(queueCapacity, initialBackoff, maxBackoff, cap);
    }
}
