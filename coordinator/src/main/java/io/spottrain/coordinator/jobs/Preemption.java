package io.spottrain.coordinator.jobs;

/**
 * One interruption as the run summary shows it: a preemption (notice, kill) or a restart after a
 * failure (failure, stall). {@code startedAt} is when the recovery began; {@code resumeSeconds} is
 * null until the job runs again (every rank of the next generation started); then
 * {@code inPlaceRanks} says how many of its ranks re-formed in place (contract v2: same process)
 * and {@code inPlace} whether any did; {@code backToTrainingSeconds} (from the start to the first
 * step completed after the resume, by rank 0's progress) is null until that step.
 */
public record Preemption(String node, RecoveryKind kind, long atStep, double detectSeconds, Double resumeSeconds, Long lostSteps,
        String startedAt, Boolean inPlace, Integer inPlaceRanks, Double backToTrainingSeconds) {

    public Preemption(String node, RecoveryKind kind, long atStep, double detectSeconds, Double resumeSeconds, Long lostSteps,
            String startedAt) {
        this(node, kind, atStep, detectSeconds, resumeSeconds, lostSteps, startedAt, null, null, null);
    }

    Preemption resumedAfter(double seconds, int inPlaceRanks) {
        return new Preemption(node, kind, atStep, detectSeconds, seconds, lostSteps, startedAt, inPlaceRanks > 0, inPlaceRanks, null);
    }

    Preemption backToTrainingAfter(double seconds) {
        return new Preemption(node, kind, atStep, detectSeconds, resumeSeconds, lostSteps, startedAt, inPlace, inPlaceRanks, seconds);
    }
}
