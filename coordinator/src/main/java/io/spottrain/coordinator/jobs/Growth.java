package io.spottrain.coordinator.jobs;

/**
 * One growth of a running job (free nodes taken at a safe point) as the run summary shows it:
 * from which world size, to which ({@code toWorkers} null until the next generation runs), when it
 * began, how long until every rank ran again ({@code resumeSeconds}) and until the first step
 * trained after it ({@code backToTrainingSeconds}: what the growth cost the job in training time,
 * what {@link GrowthGain} weighs the next growth with), how many ranks re-formed in place, and
 * {@code pausedSeconds}: the training time it cost, measured as for a {@link Preemption}.
 */
public record Growth(long atStep, int fromWorkers, Integer toWorkers, String startedAt, Double resumeSeconds, Integer inPlaceRanks,
        Double backToTrainingSeconds, Double pausedSeconds) {

    public Growth(long atStep, int fromWorkers, Integer toWorkers, String startedAt, Double resumeSeconds, Integer inPlaceRanks,
            Double backToTrainingSeconds) {
        this(atStep, fromWorkers, toWorkers, startedAt, resumeSeconds, inPlaceRanks, backToTrainingSeconds, null);
    }

    static Growth began(long atStep, int fromWorkers, String startedAt) {
        return new Growth(atStep, fromWorkers, null, startedAt, null, null, null);
    }

    Growth resumedAfter(double seconds, int worldSize, int inPlace) {
        return new Growth(atStep, fromWorkers, worldSize, startedAt, seconds, inPlace, null);
    }

    Growth backToTrainingAfter(double seconds, Double paused) {
        return new Growth(atStep, fromWorkers, toWorkers, startedAt, resumeSeconds, inPlaceRanks, seconds, paused);
    }
}
