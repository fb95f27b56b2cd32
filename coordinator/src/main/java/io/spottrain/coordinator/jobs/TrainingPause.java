package io.spottrain.coordinator.jobs;

import java.time.Duration;
import java.time.Instant;

/**
 * What an interruption (or a growth) cost the job in training time, as rank 0's progress shows it:
 * from the last step reported before it ({@code lastStep} at {@code lastAt}) to the first step
 * reported after its resume ({@code step} at {@code now}), less the time the new steps in between
 * took: those up to {@code resumeStep} at the rate before ({@code rateBefore}), those after it at the
 * rate after ({@code rateAfter}; the world size may have changed). Steps trained again after a
 * roll-back are not new: their time counts as paused. A swap in the notice window, where the job
 * trains until the park step, costs only the re-form; a loss costs its detection too. One recovery
 * that handled several interruptions gives each the same pause. Pure; null when it cannot be
 * measured: no report before it (e.g. after a hand-over), or new steps in between and no rate.
 */
final class TrainingPause {
    private TrainingPause() {}

    static Double seconds(Instant lastAt, long lastStep, double rateBefore, long resumeStep, Instant now, long step, double rateAfter) {
        if (lastAt == null || now == null || now.isBefore(lastAt)) return null;
        double gap = Duration.between(lastAt, now).toNanos() / 1e9;
        long before = Math.max(0, Math.min(resumeStep, step) - lastStep); // trained in the old generation after its last report
        long after = Math.max(0, step - Math.max(resumeStep, lastStep)); // trained after the resume
        double rb = rateBefore > 0 ? rateBefore : rateAfter;
        double ra = rateAfter > 0 ? rateAfter : rateBefore;
        if ((before > 0 && rb <= 0) || (after > 0 && ra <= 0)) return null;
        double trained = (before > 0 ? before / rb : 0) + (after > 0 ? after / ra : 0);
        return Math.max(0, gap - trained);
    }
}
