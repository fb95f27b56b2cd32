package io.spottrain.coordinator.jobs;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;

/**
 * How fast a job trains, as its rank 0 reports it: the step the run ends at ({@code totalSteps},
 * 0 when the trainer did not say), the rate of the current generation (steps per second; 0 until
 * measured, or the rate measured before at the same world size), and the rate measured at each
 * world size the job ran at (what a growth is weighed with, {@link GrowthGain}). A rate is measured
 * over a generation: from its first progress report to its newest, once that spans
 * {@link #MIN_WINDOW} (checkpoint stalls included: what training really gets); a later window at
 * the same size replaces an earlier one once it is as long, or a minute long.
 *
 * @param windowGeneration the generation the open window measures (-1: none open)
 * @param windowStartedAt  when the window's first report came
 * @param windowStep       the step of that report
 */
public record Pace(long totalSteps, double stepsPerSec, Map<Integer, Rate> byWorldSize, long windowGeneration, String windowStartedAt,
        long windowStep) {

    /** A rate needs reports this far apart: shorter windows are mostly the report's own jitter. */
    public static final Duration MIN_WINDOW = Duration.ofSeconds(2);
    /** A window this long replaces any earlier one at the same size (conditions change). */
    static final double REPLACES_AFTER_SECONDS = 60;

    public static final Pace NONE = new Pace(0, 0, Map.of(), -1, null, 0);

    /** Steps per second at one world size, measured over {@code seconds}. */
    public record Rate(double stepsPerSec, double seconds) {}

    public Pace {
        byWorldSize = byWorldSize == null ? Map.of() : Map.copyOf(byWorldSize);
    }

    /** Rank 0 reported {@code step} in {@code generation} at world size {@code worldSize}. */
    public Pace observe(long generation, int worldSize, long step, long total, Instant now) {
        long t = total > 0 ? total : totalSteps;
        if (generation != windowGeneration || windowStartedAt == null || step < windowStep) {
            // a new window: until it is measured, the rate known for this size (or none)
            return new Pace(t, at(worldSize).orElse(0), byWorldSize, generation, now.toString(), step);
        }
        double secs = Duration.between(Instant.parse(windowStartedAt), now).toMillis() / 1000.0;
        if (secs < MIN_WINDOW.toMillis() / 1000.0 || step == windowStep) {
            return t == totalSteps ? this : new Pace(t, stepsPerSec, byWorldSize, windowGeneration, windowStartedAt, windowStep);
        }
        double rate = (step - windowStep) / secs;
        var by = new TreeMap<>(byWorldSize);
        Rate before = by.get(worldSize);
        if (before == null || secs >= Math.min(before.seconds(), REPLACES_AFTER_SECONDS)) by.put(worldSize, new Rate(rate, secs));
        return new Pace(t, rate, by, windowGeneration, windowStartedAt, windowStep);
    }

    /** The same with the length and newest rate a newer progress record holds. */
    Pace withNewest(long total, double rate) {
        return new Pace(total > 0 ? total : totalSteps, rate, byWorldSize, windowGeneration, windowStartedAt, windowStep);
    }

    /** The rate measured at {@code worldSize}, if the job ran there long enough. */
    public OptionalDouble at(int worldSize) {
        return at(worldSize, 0);
    }

    /** The rate measured at {@code worldSize} over at least {@code minSeconds}. */
    public OptionalDouble at(int worldSize, double minSeconds) {
        Rate r = byWorldSize.get(worldSize);
        return r == null || r.stepsPerSec() <= 0 || r.seconds() < minSeconds ? OptionalDouble.empty() : OptionalDouble.of(r.stepsPerSec());
    }

    /** Seconds until {@code totalSteps} at the current rate from {@code step}; empty when either is not known. */
    public OptionalDouble etaSeconds(long step) {
        if (totalSteps <= 0 || stepsPerSec <= 0) return OptionalDouble.empty();
        return OptionalDouble.of(Math.max(0, totalSteps - step) / stepsPerSec);
    }
}
