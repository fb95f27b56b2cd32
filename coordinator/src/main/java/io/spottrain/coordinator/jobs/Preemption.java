package io.spottrain.coordinator.jobs;

/**
 * One interruption as the run summary shows it: a preemption (notice, kill) or a restart after a
 * failure (failure, stall). {@code startedAt} is when the recovery began; {@code resumeSeconds} is
 * null until the job runs again.
 */
public record Preemption(String node, RecoveryKind kind, long atStep, double detectSeconds, Double resumeSeconds, Long lostSteps,
        String startedAt) {

    Preemption resumedAfter(double seconds) {
        return new Preemption(node, kind, atStep, detectSeconds, seconds, lostSteps, startedAt);
    }
}
