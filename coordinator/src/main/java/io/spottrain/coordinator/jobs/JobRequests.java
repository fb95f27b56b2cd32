package io.spottrain.coordinator.jobs;

import io.spottrain.protocol.wire.AgentProtocol;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;

/** A {@link JobMaster}'s API requests: cancel and checkpoint (resizes are {@link JobScaling}'s), each answered once stored. */
final class JobRequests {
    private final JobHandlers h;

    JobRequests(JobHandlers h) {
        this.h = h;
    }

    Behavior<JobMaster.Command> onCancel(JobMaster.Cancel m) {
        if (h.job().state().terminal()) {
            m.replyTo().tell(new Outcome.Refused(Outcome.Refusal.CONFLICT, "job " + h.job().id() + " already ended " + h.job().state()));
            return h.unchanged();
        }
        String why = m.reason() == null || m.reason().isBlank() ? "cancelled by " + (m.by() == null ? "user" : m.by()) : m.reason();
        h.after(reply(m.replyTo())); // once CANCELLED is stored
        return h.end(h.job().withEvent(JobEventType.CANCEL_REQUESTED, null, -1, why, h.now(), m.by()), JobState.CANCELLED, why);
    }

    Behavior<JobMaster.Command> onCheckpoint(JobMaster.Checkpoint m) {
        if (h.job().state() != JobState.RUNNING) {
            m.replyTo().tell(new Outcome.Refused(Outcome.Refusal.CONFLICT, "job " + h.job().id() + " is " + h.job().state()
                    + "; only a RUNNING job can checkpoint"));
            return h.unchanged();
        }
        for (Member member : h.job().members()) {
            var agent = h.agents.get(member.nodeId());
            var ask = new AgentProtocol.RequestCheckpoint(h.job().id(), h.job().generation(), -1);
            if (agent != null) h.after(() -> agent.tell(ask));
        }
        h.after(reply(m.replyTo()));
        return h.done(h.job().withEvent(JobEventType.CHECKPOINT_REQUESTED, null, -1, "all " + h.job().worldSize()
                + " ranks, next common step", h.now(), m.by()));
    }

    /** An API reply sent once the change is stored, or failed with the store's reason. */
    JobOutbox.Effect reply(ActorRef<Outcome> to) {
        String id = h.job().id();
        return new JobOutbox.Effect() {
            @Override
            public void run() {
                to.tell(new Outcome.JobAck(id, h.job().state()));
            }

            @Override
            public boolean failed(String why) {
                to.tell(new Outcome.Refused(Outcome.Refusal.UNAVAILABLE, why));
                return true;
            }
        };
    }
}
