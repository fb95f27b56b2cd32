package io.spottrain.coordinator.jobs;

import io.spottrain.protocol.spec.ScaleUp;

/**
 * The decisions about newcomers staged ahead of a generation (a process started and parked on a
 * reserved node before the job re-forms with it, {@link JobStaging}): when they make a running job
 * grow, and when a closing generation opens without those still starting. Pure; table-tested in
 * {@code ElasticPolicyTest}.
 */
public final class StagingPolicy {
    private StagingPolicy() {}

    /**
     * Newcomers staged ahead of a growth are up (started, parked), or the wait for them timed out:
     * a running job, no recovery under way, below its max, every rank attached and able to
     * re-form in place ({@code reformable}) grows now. No cooldown: the newcomers' start is already
     * paid, so the growth costs one in-place re-form. {@code scaleUp: never} never grows.
     */
    public static ElasticPolicy.Decision onStagedReady(Job job, boolean reformable) {
        if (job.state() != JobState.RUNNING || job.elastic().recovery() != null || !ElasticPolicy.recoverable(job) || !reformable) {
            return new ElasticPolicy.Ignore();
        }
        if (job.spec().spec().elastic().scaleUp() == ScaleUp.NEVER) return new ElasticPolicy.Ignore();
        if (job.worldSize() >= job.targetWorkers()) return new ElasticPolicy.Ignore();
        return new ElasticPolicy.BeginRecovery(RecoveryKind.GROW, null, 0);
    }

    /** What a growth's staging time-out does ({@link #onStagingTimedOut}). */
    public enum TimedOut {
        /** Grow now with the newcomers that are up; those still starting are carried (they join by a later growth). */
        GROW,
        /** None is up yet: wait one more time-out, no re-form (it would add nobody). */
        WAIT,
        /** Let the newcomers still starting go: their processes stop, their nodes are free again. */
        LET_GO
    }

    /** How many staging time-outs a newcomer may take to come up before it is let go. */
    public static final int STAGING_TIMEOUTS = 2;

    /**
     * A growth's newcomers were not all up within the staging time-out (the {@code timeouts}-th for them). With some up, the
     * job grows with those now (when it may grow at all); with none up, it waits one more time-out, and after
     * {@link #STAGING_TIMEOUTS} lets them go: a staged process that hangs or never starts must neither hold its node nor make
     * the job re-form for nothing at every time-out. Newcomers not up after {@link #STAGING_TIMEOUTS} time-outs are let go
     * whatever this says ({@link #outOfTime}).
     */
    public static TimedOut onStagingTimedOut(Job job, boolean reformable, int readyStaged, int timeouts) {
        boolean mayGrow = onStagedReady(job, reformable) instanceof ElasticPolicy.BeginRecovery;
        if (mayGrow && readyStaged > 0) return TimedOut.GROW;
        if (mayGrow && !outOfTime(timeouts)) return TimedOut.WAIT;
        return TimedOut.LET_GO;
    }

    /** Whether newcomers still starting after {@code timeouts} staging time-outs are let go. */
    public static boolean outOfTime(int timeouts) {
        return timeouts >= STAGING_TIMEOUTS;
    }

    /**
     * A recovery closes while some staged newcomers are still starting: the next generation opens
     * with the nodes that stay and the ready newcomers, and the others join by an in-place growth
     * once they are up, when that is enough for the job's min (and it may grow at all); otherwise
     * the next generation waits for them as any placement does. (A carried newcomer that never comes
     * up is let go after {@link #STAGING_TIMEOUTS} staging time-outs; placing it instead would hold a
     * generation that a hung staged process then fails.)
     */
    public static boolean carryStaged(Job job, int staying, int readyStaged, int notReadyStaged) {
        if (notReadyStaged <= 0 || staying <= 0) return false;
        if (job.spec().spec().elastic().scaleUp() == ScaleUp.NEVER) return false;
        return staying + readyStaged >= job.spec().spec().workers().min();
    }
}
