package io.spottrain.coordinator.jobs;

/**
 * A job's newest training progress as the store keeps it apart from the job's document (table
 * {@code PROGRESS}): what changes every step is written as this small record, so what the store
 * takes per job and second does not grow with the document.
 */
public record JobProgress(String id, long step, double loss, double samplesPerSec, long totalSteps, double stepsPerSec, long samples) {

    static JobProgress of(Job j) {
        var t = j.training();
        return new JobProgress(j.id(), t.step(), t.loss(), t.samplesPerSec(), t.pace().totalSteps(), t.pace().stepsPerSec(),
                t.samples());
    }
}
