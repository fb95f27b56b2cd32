package io.spottrain.coordinator.jobs;

import static io.spottrain.coordinator.jobs.JobState.CANCELLED;
import static io.spottrain.coordinator.jobs.JobState.FAILED;
import static io.spottrain.coordinator.jobs.JobState.PENDING;
import static io.spottrain.coordinator.jobs.JobState.RECOVERING;
import static io.spottrain.coordinator.jobs.JobState.RUNNING;
import static io.spottrain.coordinator.jobs.JobState.STARTING;
import static io.spottrain.coordinator.jobs.JobState.SUCCEEDED;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The one table of allowed job state changes. Every change in the system goes through
 * {@link #check}; anything else is a bug and fails loudly with both ends named.
 */
public final class JobStateMachine {

    private static final Map<JobState, Set<JobState>> ALLOWED = new EnumMap<>(JobState.class);

    static {
        ALLOWED.put(PENDING, EnumSet.of(STARTING, CANCELLED, FAILED));
        ALLOWED.put(STARTING, EnumSet.of(RUNNING, RECOVERING, FAILED, CANCELLED));
        ALLOWED.put(RUNNING, EnumSet.of(SUCCEEDED, RECOVERING, FAILED, CANCELLED));
        ALLOWED.put(RECOVERING, EnumSet.of(STARTING, FAILED, CANCELLED));
        ALLOWED.put(SUCCEEDED, EnumSet.noneOf(JobState.class));
        ALLOWED.put(FAILED, EnumSet.noneOf(JobState.class));
        ALLOWED.put(CANCELLED, EnumSet.noneOf(JobState.class));
    }

    private JobStateMachine() {}

    public static boolean allowed(JobState from, JobState to) {
        return ALLOWED.get(from).contains(to);
    }

    /** Returns {@code to} when the change is allowed, else throws with from and to. */
    public static JobState check(String jobId, JobState from, JobState to) {
        if (!allowed(from, to)) {
            throw new IllegalJobTransitionException(jobId, from, to);
        }
        return to;
    }

    public static Set<JobState> next(JobState from) {
        return Set.copyOf(ALLOWED.get(from));
    }
}
