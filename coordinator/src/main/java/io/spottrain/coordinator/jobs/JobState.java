package io.spottrain.coordinator.jobs;

/** The life of a job. Allowed changes are in {@link JobStateMachine}, the one transition table. */
public enum JobState {
    /** Accepted, waiting for at least {@code min} workers that fit its placement. */
    PENDING,
    /** A generation is being formed: rendezvous port chosen, ranks being started. */
    STARTING,
    /** Every rank of the current generation runs. */
    RUNNING,
    /**
     * A member is leaving or was lost: the survivors checkpoint a common step, the generation
     * closes, and the next one opens when at least {@code min} workers are available.
     */
    RECOVERING,
    SUCCEEDED,
    FAILED,
    CANCELLED;

    public boolean terminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }
}
