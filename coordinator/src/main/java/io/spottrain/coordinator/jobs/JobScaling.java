package io.spottrain.coordinator.jobs;

import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;

/**
 * A {@link JobMaster}'s live resize: every request to a job in progress is decided by
 * {@link ScalingPolicy}, recorded as a {@link ScalingEvent} (refusals too) and answered with it once
 * stored. An accepted one sets the job's desired worker count and acts at the next safe point
 * through the elastic path: a shrink gives the dearest nodes back after a collective checkpoint; a
 * growth takes free nodes that fit (no growth cooldown: the operator asked) and asks the launcher
 * for the rest. A request to an ended job is refused and not recorded (its history is closed).
 */
final class JobScaling {
    private final JobHandlers h;
    /**
     * Nodes asked for a growth, by the member they are like, not launched yet (an upper bound: free nodes may have covered
     * some; kept by this job master only, so a new job manager starts from none and may ask again).
     */
    private final Map<String, Integer> launching = new HashMap<>();

    JobScaling(JobHandlers h) {
        this.h = h;
    }

    Behavior<JobMaster.Command> onScale(JobMaster.Scale s) {
        Job job = h.job();
        if (job.worldSize() >= job.targetWorkers()) launching.clear(); // reached: whatever was counted as coming came, or is not needed
        int inFlight = launching.values().stream().mapToInt(Integer::intValue).sum();
        var verdict = ScalingPolicy.decide(job, s.workers(), s.expectedGeneration(), busy(), inFlight);
        if (job.state().terminal()) {
            s.replyTo().tell(new Outcome.Refused(Outcome.Refusal.CONFLICT, ((ScalingPolicy.Refuse) verdict).why()));
            return h.unchanged();
        }
        var outcome = verdict instanceof ScalingPolicy.Refuse ? ScalingOutcome.REFUSED
                : verdict instanceof ScalingPolicy.Unchanged ? ScalingOutcome.UNCHANGED : ScalingOutcome.ACCEPTED;
        String reason = verdict instanceof ScalingPolicy.Refuse r ? r.why() : null;
        Outcome.Refusal refusal = verdict instanceof ScalingPolicy.Refuse r ? r.refusal() : null;
        Integer desired = outcome == ScalingOutcome.ACCEPTED ? Integer.valueOf(s.workers()) : job.scaling().desired();
        int from = job.targetWorkers();
        var event = new ScalingEvent(h.now().toString(), job.generation(), from, s.workers(), job.worldSize(), s.message(), s.by(),
                s.source(), outcome, reason);
        String text = outcome.label() + ": " + from + " -> " + s.workers() + " workers (running " + job.worldSize() + ", from "
                + s.source().label() + ")" + (s.message() == null ? "" : " \"" + s.message() + "\"") + (reason == null ? "" : ": " + reason);
        Job next = job.withScaling(event, desired).withEvent(JobEventType.SCALE_REQUESTED, null, -1, text, h.now(), s.by());
        h.log.info("job {}: resize {}", job.id(), text);
        if (verdict instanceof ScalingPolicy.Shrink shrink) {
            h.done(next);
            answer(s.replyTo(), event, desired, refusal); // with the shrink's recovery stored: the answer shows it under way
            return h.giveBacks.shrink(shrink.nodeIds(), "resized to " + s.workers() + " workers by " + s.by());
        }
        answer(s.replyTo(), event, desired, refusal);
        if (verdict instanceof ScalingPolicy.Grow grow) {
            var manager = h.deps.manager();
            String id = job.id();
            String like = ScalingPolicy.template(job.members());
            launching.merge(like, grow.more(), Integer::sum);
            h.after(() -> manager.tell(new JobManager.ScaleUp(id, grow.more(), like)));
        }
        return h.done(next);
    }

    /**
     * With the next stored change: the answer (the request's own scaling event; a refusal with its
     * status; 503 when the write failed), and the manager hears of a new desired count (it caps the
     * job's queued placement and capacity offers there).
     */
    private void answer(ActorRef<Outcome> to, ScalingEvent event, Integer desired, Outcome.Refusal refusal) {
        String id = h.job().id();
        h.after(new JobOutbox.Effect() {
            @Override
            public void run() {
                if (refusal != null) {
                    to.tell(new Outcome.Refused(refusal, event.reason()));
                } else {
                    to.tell(new Outcome.Scaled(id, event));
                }
            }

            @Override
            public boolean failed(String why) {
                to.tell(new Outcome.Refused(Outcome.Refusal.UNAVAILABLE, why));
                return true;
            }
        });
        var manager = h.deps.manager();
        if (event.outcome() == ScalingOutcome.ACCEPTED) h.after(() -> manager.tell(new JobManager.Resized(id, desired)));
    }

    /** A node was launched like {@code like}: true when it was asked for by a resize (not to replace a departing node). */
    boolean launchedForResize(String like) {
        Integer n = launching.get(like);
        if (n == null) return false;
        if (n <= 1) launching.remove(like);
        else launching.put(like, n - 1);
        return true;
    }

    /** Why the running generation cannot change now (null: it can). */
    private String busy() {
        if (h.staging.busy()) return "newcomers are being staged to join generation " + h.job().generation();
        String noticed = h.notices.noticedNodes();
        return noticed == null ? null : noticed + " of the job gave an interruption notice that is still being handled";
    }
}
