package io.spottrain.coordinator.jobs;

import io.spottrain.protocol.wire.AgentProtocol;
import java.time.Duration;
import java.time.Instant;
import org.apache.pekko.actor.typed.Behavior;

/**
 * {@code checkpoint.interval: auto}: while the job runs with every rank attached, every rank is
 * asked for a checkpoint at the next common step each time the interval {@link CheckpointInterval}
 * chooses has passed; the choice is re-made on every tick from the newest measurements (the
 * ranks' stall, the upload time, the preemptions so far), stored with the job when it changes and
 * recorded as an event then.
 */
final class JobAutoCheckpoint {
    private final JobHandlers h;
    private Instant last;

    JobAutoCheckpoint(JobHandlers h) {
        this.h = h;
    }

    /** How often the job looks at the clock: a fraction of the floor, at most a second. */
    static Duration tick(Duration floor) {
        Duration half = floor.dividedBy(2);
        return half.compareTo(Duration.ofSeconds(1)) < 0 ? half : Duration.ofSeconds(1);
    }

    Behavior<JobMaster.Command> onTick() {
        Job job = h.job();
        if (job.state() != JobState.RUNNING || job.elastic().recovery() != null
                || job.elastic().attached().size() < job.worldSize()) {
            last = null; // a new generation starts its own count
            return h.unchanged();
        }
        Instant now = h.now();
        if (last == null) last = now;
        var choice = CheckpointInterval.choose(inputs(job, now));
        Job next = job;
        var stored = job.training().checkpoints();
        // stored again when the interval moves, or when the first measurement replaces the safe default
        // (not on every tick: the reason's numbers change all the time)
        boolean measuredBefore = stored.autoIntervalWhy() != null && !stored.autoIntervalWhy().startsWith(CheckpointInterval.UNMEASURED);
        boolean measuredNow = !choice.why().startsWith(CheckpointInterval.UNMEASURED);
        if (stored.autoIntervalSeconds() == null || stored.autoIntervalSeconds() != choice.seconds() || measuredBefore != measuredNow) {
            next = next.withTraining(t -> t.withAutoInterval(choice)).withEvent(JobEventType.CHECKPOINT_INTERVAL, null, -1,
                    "auto: every " + choice.seconds() + " s: " + choice.why(), now);
        }
        if (Duration.between(last, now).compareTo(choice.interval()) >= 0) {
            last = now;
            for (Member m : job.members()) {
                var agent = h.agents.get(m.nodeId());
                var ask = new AgentProtocol.RequestCheckpoint(job.id(), job.generation(), -1);
                if (agent != null) h.after(() -> agent.tell(ask));
            }
        }
        return next == job ? h.unchanged() : h.done(next);
    }

    private CheckpointInterval.Inputs inputs(Job job, Instant now) {
        var s = h.deps.settings();
        var c = job.training().checkpoints();
        double hours = job.startedAt() == null ? 0 : Duration.between(Instant.parse(job.startedAt()), now).toMillis() / 3_600_000.0;
        // a requeue is the scheduler's choice, not an interruption the market causes: it does not shorten the interval
        int interruptions = (int) job.elastic().preemptions().stream().filter(p -> p.kind() != RecoveryKind.REQUEUE).count();
        return new CheckpointInterval.Inputs(c.stallMsP50(), c.uploadMsP50(), job.worldSize(), interruptions,
                hours * job.worldSize(), s.preemptionPrior(), s.autoCheckpointFloor(), s.autoCheckpointCeiling());
    }
}
