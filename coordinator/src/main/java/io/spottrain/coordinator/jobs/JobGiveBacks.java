package io.spottrain.coordinator.jobs;

import io.spottrain.protocol.wire.AgentProtocol;
import java.util.List;
import org.apache.pekko.actor.typed.Behavior;

/**
 * The recoveries a {@link JobMaster} chooses rather than suffers: giving some nodes back (a shrink,
 * asked by a resize or the autoscaler) or all of them (a requeue, for a job of a higher priority).
 * Both checkpoint the next common step on every member first; from there {@link JobRecoveries}
 * closes the generation as for any recovery.
 */
final class JobGiveBacks {
    private final JobHandlers h;

    JobGiveBacks(JobHandlers h) {
        this.h = h;
    }

    /**
     * Give {@code nodeIds} back ({@link RecoveryKind#SHRINK}): every member checkpoints the next
     * common step, the given-back ranks stop, the others re-form without them and the job asks for
     * no more nodes than stay (it may grow again later, when capacity is offered). Refused (logged,
     * nothing changes) unless {@link ElasticPolicy#shrinkRefusal} allows it.
     */
    Behavior<JobMaster.Command> shrink(List<String> nodeIds, String why) {
        Job job = h.job();
        String refusal = ElasticPolicy.shrinkRefusal(job, nodeIds);
        if (refusal != null) {
            h.log.info("job {}: not giving back {} ({}): {}", job.id(), nodeIds, why, refusal);
            return h.unchanged();
        }
        var members = job.members().stream().map(Member::rank).toList();
        var rec = Recovery.shrink(nodeIds, members, h.now().toString(), job.training().step());
        String what = "shrinking from world size " + job.worldSize() + " to " + (job.worldSize() - nodeIds.size()) + ", giving back "
                + nodeIds + ": " + why + "; checkpointing all ranks";
        return giveBack(job, rec, what);
    }

    /**
     * Step aside for a job of a higher priority ({@link RecoveryKind#REQUEUE}): every member
     * checkpoints the next common step, every rank stops, every node is given back and the job
     * waits in the queue to resume from that step. Refused (logged, nothing changes) unless
     * {@link ElasticPolicy#requeueRefusal} allows it.
     */
    Behavior<JobMaster.Command> requeue(String why) {
        Job job = h.job();
        String refusal = ElasticPolicy.requeueRefusal(job);
        if (refusal != null) {
            h.log.info("job {}: not requeued ({}): {}", job.id(), why, refusal);
            return h.unchanged();
        }
        var nodes = job.members().stream().map(Member::nodeId).toList();
        var members = job.members().stream().map(Member::rank).toList();
        var rec = Recovery.requeue(nodes, members, h.now().toString(), job.training().step());
        String what = "requeued: " + why + "; checkpointing all " + members.size() + " ranks, then giving back every node and waiting"
                + " to resume from that step";
        return giveBack(job, rec, what);
    }

    /** A shrink or a requeue begins: every member checkpoints the next common step (their collective request). */
    private Behavior<JobMaster.Command> giveBack(Job job, Recovery rec, String what) {
        Job recovering = job.withElastic(e -> e.withRecovery(rec)).transition(JobState.RECOVERING, what, h.now());
        h.log.warn("job {} recovering: {}", job.id(), what);
        h.notices.recoveryBegun(rec.kind(), null);
        h.staging.recoveryBegun(recovering);
        h.timers.startSingleTimer(new JobMaster.RecoveryTimedOut(job.generation()), h.deps.settings().generationStartTimeout());
        h.recoveries.tell(recovering, rec.survivors(), m -> new AgentProtocol.RequestCheckpoint(job.id(), job.generation(), -1));
        return h.done(recovering);
    }
}
