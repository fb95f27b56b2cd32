package io.spottrain.launchers.ec2;

import io.spottrain.launchers.ec2.FleetRequests.Pool;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which capacity pools (instance type x subnet) said they have none, and until when: a pool that
 * answered a capacity error ({@link Ec2Errors.Kind#CAPACITY}) is left out of launches for the
 * config's pool cooldown, so the next launch goes to the pools that may have some. Time is passed
 * in (no clock here); thread-safe (launches run off the job manager's actor, one at a time or not).
 */
public final class PoolBook {
    /** Why a pool is left out, and until when. */
    public record Cooling(Instant until, String code, String message) {}

    private final Duration cooldown;
    private final Map<Pool, Cooling> cooling = new LinkedHashMap<>();

    public PoolBook(Duration cooldown) {
        this.cooldown = cooldown;
    }

    /** {@code pool} answered a capacity error at {@code now}: left out until the cooldown has passed. */
    public synchronized void noCapacity(Pool pool, Instant now, String code, String message) {
        cooling.put(pool, new Cooling(now.plus(cooldown), code, message));
    }

    /** The pools of {@code all} that may be asked at {@code now}, in their order. */
    public synchronized List<Pool> open(List<Pool> all, Instant now) {
        cooling.values().removeIf(c -> !c.until().isAfter(now));
        return all.stream().filter(p -> !cooling.containsKey(p)).toList();
    }

    /** The pools left out at {@code now}, with why (for the operator). */
    public synchronized Map<Pool, Cooling> cooling(Instant now) {
        cooling.values().removeIf(c -> !c.until().isAfter(now));
        return Map.copyOf(cooling);
    }
}
