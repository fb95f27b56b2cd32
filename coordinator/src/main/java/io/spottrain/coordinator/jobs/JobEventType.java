package io.spottrain.coordinator.jobs;

/** What a {@link JobEvent} records. A change of {@link JobState} is recorded under the state's own name. */
public enum JobEventType {
    SUBMITTED,
    PENDING,
    STARTING,
    RUNNING,
    RECOVERING,
    SUCCEEDED,
    FAILED,
    CANCELLED,
    GENERATION_OPENED,
    RENDEZVOUS,
    RANK_STARTED,
    RANK_EXITED,
    RANK_STALLED,
    RANK_DONE,
    RANK_REATTACHED,
    NODE_NOTICE,
    NODE_LOST,
    NODE_UNREACHABLE,
    NODE_SUSPECTED,
    CANCEL_REQUESTED,
    CHECKPOINT_REQUESTED,
    /** A resize request (accepted, unchanged or refused; its {@link ScalingEvent} has the numbers). */
    SCALE_REQUESTED,
    /** A cost budget that selects the job was exceeded (the message has the budget, spend, limit, period and action). */
    BUDGET_EXCEEDED,
    CHECKPOINT_INTERVAL,
    RECOVERY_STEP,
    RECOVERY_CHECKPOINTED,
    RECOVERY_WIDENED,
    REPLACEMENT_REQUESTED,
    REPLACEMENT_LAUNCHED,
    REPLACEMENT_FAILED,
    NEWCOMER_STAGED,
    /** Free nodes fit a running job below its target, but growing would cost more training time than it saves. */
    GROWTH_SKIPPED,
    WAITING,
    CONTROL_HANDOVER,
    /** Something about the spec that will likely keep the job waiting, said at submit time (it is accepted all the same). */
    WARNING;

    /** The event that records a change to {@code state}. */
    public static JobEventType of(JobState state) {
        return valueOf(state.name());
    }
}
