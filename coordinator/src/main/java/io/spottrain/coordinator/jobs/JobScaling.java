package io.spottrain.coordinator.jobs;

import org.apache.pekko.actor.typed.Behavior;

/**
 * A {@link JobMaster}'s live resize: every request is decided by {@link ScalingPolicy}, recorded
 * as a {@link ScalingEvent} (refusals too) and answered once stored. An accepted one sets the job's
 * desired worker count and acts at the next safe point through the elastic path: a shrink gives the
 * dearest nodes back after a collective checkpoint; a growth takes free nodes that fit (no growth
 * cooldown: the operator asked) and asks the launcher for the rest.
 */
final class JobScaling {
    private final JobHandlers h;

    JobScaling(JobHandlers h) {
        this.h = h;
    }

    Behavior<JobMaster.Command> onScale(JobMaster.Scale s) {
        Job job = h.job();
        var verdict = ScalingPolicy.decide(job, s.workers(), s.expectedGeneration(), busy());
        var outcome = verdict instanceof ScalingPolicy.Refuse ? ScalingOutcome.REFUSED
                : verdict instanceof ScalingPolicy.Unchanged ? ScalingOutcome.UNCHANGED : ScalingOutcome.ACCEPTED;
        String reason = verdict instanceof ScalingPolicy.Refuse r ? r.why() : null;
        Integer desired = outcome == ScalingOutcome.ACCEPTED ? Integer.valueOf(s.workers()) : job.scaling().desired();
        int from = job.targetWorkers();
        var event = new ScalingEvent(h.now().toString(), job.generation(), from, s.workers(), job.worldSize(), s.message(), s.by(),
                s.source(), outcome, reason);
        String text = outcome.label() + ": " + from + " -> " + s.workers() + " workers (running " + job.worldSize() + ", from "
                + s.source().label() + ")" + (s.message() == null ? "" : " \"" + s.message() + "\"") + (reason == null ? "" : ": " + reason);
        Job next = job.withScaling(event, desired).withEvent(JobEventType.SCALE_REQUESTED, null, -1, text, h.now(), s.by());
        if (verdict instanceof ScalingPolicy.Refuse r) {
            h.log.info("job {}: resize to {} refused: {}", job.id(), s.workers(), r.why());
            var replyTo = s.replyTo();
            h.after(() -> replyTo.tell(new Outcome.Refused(r.refusal(), r.why())));
            return h.done(next);
        }
        var manager = h.deps.manager();
        String id = job.id();
        h.log.info("job {}: resize {}", id, text);
        if (verdict instanceof ScalingPolicy.Shrink shrink) {
            h.done(next);
            answer(s, outcome, desired); // once the shrink's recovery is stored: the reply shows it under way
            return h.recoveries.shrink(shrink.nodeIds(), "resized to " + s.workers() + " workers by " + s.by());
        }
        answer(s, outcome, desired);
        if (verdict instanceof ScalingPolicy.Grow grow) {
            String like = job.members().get(0).nodeId();
            h.after(() -> manager.tell(new JobManager.ScaleUp(id, grow.more(), like)));
        }
        if (job.state() != JobState.PENDING || outcome != ScalingOutcome.ACCEPTED) return h.done(next);
        h.done(next);
        h.askForNodes(); // queued again, for at most the desired count (read from the job as now stored)
        return h.done(h.job());
    }

    /** With the next stored change: the API's answer, and the manager hears of a new desired count. */
    private void answer(JobMaster.Scale s, ScalingOutcome outcome, Integer desired) {
        h.after(h.reply(s.replyTo()));
        var manager = h.deps.manager();
        String id = h.job().id();
        if (outcome == ScalingOutcome.ACCEPTED) h.after(() -> manager.tell(new JobManager.Resized(id, desired)));
    }

    /** Why the running generation cannot change now (null: it can). */
    private String busy() {
        if (h.staging.busy()) return "newcomers are being staged to join generation " + h.job().generation();
        String noticed = h.recoveries.noticedNodes();
        return noticed == null ? null : noticed + " of the job gave an interruption notice that is still being handled";
    }
}
