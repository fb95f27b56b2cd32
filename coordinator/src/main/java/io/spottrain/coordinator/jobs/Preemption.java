package io.spottrain.coordinator.jobs;

/**
 * One interruption as the run summary shows it: a preemption (notice, kill) or a restart after a
 * failure (failure, stall). {@code startedAt} is when the recovery began; {@code resumeSeconds} is
 * null until the job runs again (every rank of the next generation started); then
 * {@code inPlaceRanks} says how many of its ranks re-formed in place (contract v2: same process)
 * and {@code inPlace} whether any did; {@code backToTrainingSeconds} (from the start to the first
 * step completed after the resume, by rank 0's progress) is null until that step; so is
 * {@code pausedSeconds}, the training time it cost ({@link TrainingPause}: from the last step
 * reported before it to the first after the resume, less the new steps trained in between; null
 * when that could not be measured, e.g. after a hand-over).
 */
public record Preemption(String node, RecoveryKind kind, long atStep, double detectSeconds, Double resumeSeconds, Long lostSteps,
        String startedAt, Boolean inPlace, Integer inPlaceRanks, Double backToTrainingSeconds, Double pausedSeconds) {

    public Preemption(String node, RecoveryKind kind, long atStep, double detectSeconds, Double resumeSeconds, Long lostSteps,
            String startedAt, Boolean inPlace, Integer inPlaceRanks, Double backToTrainingSeconds) {
        this(node, kind, atStep, detectSeconds, resumeSeconds, lostSteps, startedAt, inPlace, inPlaceRanks, backToTrainingSeconds, null);
    }

    public Preemption(String node, RecoveryKind kind, long atStep, double detectSeconds, Double resumeSeconds, Long lostSteps,
            String startedAt) {
        this(node, kind, atStep, detectSeconds, resumeSeconds, lostSteps, startedAt, null, null, null);
    }

    Preemption resumedAfter(double seconds, int inPlaceRanks) {
        return new Preemption(node, kind, atStep, detectSeconds, seconds, lostSteps, startedAt, inPlaceRanks > 0, inPlaceRanks, null);
    }

    Preemption backToTrainingAfter(double seconds, Double paused) {
        return new Preemption(node, kind, atStep, detectSeconds, resumeSeconds, lostSteps, startedAt, inPlace, inPlaceRanks, seconds, paused);
    }
}
