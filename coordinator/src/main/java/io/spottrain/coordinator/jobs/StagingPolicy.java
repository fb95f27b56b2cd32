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

    /**
     * A recovery closes while some staged newcomers are still starting: the next generation opens
     * with the nodes that stay and the ready newcomers, and the others join by an in-place growth
     * once they are up, when that is enough for the job's min (and it may grow at all); otherwise
     * the next generation waits for them as any placement does. (A newcomer that never comes up is
     * carried from growth to growth, a re-form every staging time-out: known, docs/elastic.md; placing
     * it instead would hold a generation that a hung staged process then fails.)
     */
    public static boolean carryStaged(Job job, int staying, int readyStaged, int notReadyStaged) {
        if (notReadyStaged <= 0 || staying <= 0) return false;
        if (job.spec().spec().elastic().scaleUp() == ScaleUp.NEVER) return false;
        return staying + readyStaged >= job.spec().spec().workers().min();
    }
}
