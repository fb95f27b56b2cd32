package io.spottrain.coordinator.jobs;

/** A state change that the transition table does not allow; carries both ends. */
public final class IllegalJobTransitionException extends IllegalStateException {
    private final String jobId;
    private final JobState from;
    private final JobState to;

    public IllegalJobTransitionException(String jobId, JobState from, JobState to) {
        super("job " + jobId + " cannot go from " + from + " to " + to);
        this.jobId = jobId;
        this.from = from;
        this.to = to;
    }

    public String jobId() {
        return jobId;
    }

    public JobState from() {
        return from;
    }

    public JobState to() {
        return to;
    }
}
