package io.spottrain.coordinator.jobs;

import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * Whether a growth pays: the training time it saves on the steps left (at the rate measured at the
 * larger size over at least {@link #TRUSTED_SECONDS}, or, until the job ran there that long, the
 * current size's rate scaled by the sizes: the optimistic bound a data-parallel job with a fixed
 * global batch approaches) must exceed what a growth costs
 * the job (the time from a growth's start to its first trained step: the median of the job's own
 * newest growths, or {@link #PRIOR_COST_SECONDS} until it grew once). A job whose trainer does not
 * say where it ends ({@code totalSteps}), or with no rate measured yet at its current size, grows as
 * before: there is nothing to weigh. Pure: table-tested in {@code GrowthGainTest}.
 */
public final class GrowthGain {

    /** A growth's cost before the job measured one: a re-form with a restart of every rank on this hardware (3-6 s measured). */
    public static final double PRIOR_COST_SECONDS = 5.0;
    /** A rate measured at the larger size counts once measured this long (a short window, a cold newcomer, must not rule a size out). */
    static final double TRUSTED_SECONDS = 30;
    /** How many of the newest growths the cost is the median of. */
    static final int COST_SAMPLES = 3;

    private GrowthGain() {}

    /** {@code grow}: the growth pays (or cannot be weighed); {@code why} says with which numbers. */
    public record Verdict(boolean grow, String why) {}

    public static Verdict judge(long step, Pace pace, int worldSize, int grownSize, List<Growth> growths) {
        if (grownSize <= worldSize || worldSize <= 0) return new Verdict(false, "no larger world size to grow to");
        if (pace.totalSteps() <= 0) {
            return new Verdict(true, "the trainer does not report totalSteps, so the steps left are unknown: not weighed");
        }
        long left = pace.totalSteps() - step;
        if (left <= 0) return new Verdict(false, "no steps left (step " + step + " of " + pace.totalSteps() + ")");
        OptionalDouble measured = pace.at(worldSize);
        if (measured.isEmpty()) return new Verdict(true, "no step rate measured at world size " + worldSize + " yet: not weighed");
        double now = measured.getAsDouble();
        OptionalDouble there = pace.at(grownSize, TRUSTED_SECONDS);
        double grown = there.orElse(now * grownSize / worldSize);
        double saves = left / now - left / grown;
        double cost = cost(growths);
        String why = String.format(Locale.ROOT, "%d steps left: %.1f s at %d workers (%.2f steps/s) vs %.1f s at %d (%.2f steps/s, %s); "
                + "saves %.1f s %s a growth's cost of %.1f s (%s)", left, left / now, worldSize, now, left / grown, grownSize, grown,
                there.isPresent() ? "measured" : "assumed to scale with the workers", saves, saves > cost ? ">" : "<=", cost,
                costBasis(growths));
        return new Verdict(saves > cost, why);
    }

    /** The median time to training of the job's newest measured growths, else the prior. */
    static double cost(List<Growth> growths) {
        var measured = measured(growths);
        if (measured.isEmpty()) return PRIOR_COST_SECONDS;
        var sorted = measured.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static String costBasis(List<Growth> growths) {
        int n = measured(growths).size();
        return n == 0 ? "assumed until the job grew once" : "median of its last " + n + " growth(s)";
    }

    private static List<Double> measured(List<Growth> growths) {
        var all = growths.stream().map(Growth::backToTrainingSeconds).filter(s -> s != null && s >= 0).toList();
        return all.size() <= COST_SAMPLES ? all : all.subList(all.size() - COST_SAMPLES, all.size());
    }
}
