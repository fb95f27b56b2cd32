package io.spottrain.coordinator.jobs;

import io.spottrain.protocol.wire.WireMessage;

/**
 * What a request from the API to the job manager gets back: {@link JobAck} once the change is
 * stored, or {@link Refused} with why and the HTTP status it maps to. Small whatever the job.
 */
public sealed interface Outcome extends WireMessage permits Outcome.JobAck, Outcome.Scaled, Outcome.Refused {

    record JobAck(String jobId, JobState state) implements Outcome {}

    /** A resize request was answered (accepted or unchanged), with its own scaling event. */
    record Scaled(String jobId, ScalingEvent event) implements Outcome {}

    record Refused(Refusal refusal, String message) implements Outcome {}

    /** Why a request was refused, with the HTTP status the API answers. */
    enum Refusal {
        NOT_FOUND(404), CONFLICT(409), UNFIT(422), UNAVAILABLE(503);

        public final int status;

        Refusal(int status) {
            this.status = status;
        }
    }
}
