package io.spottrain.coordinator.jobs;

import io.spottrain.protocol.wire.AgentProtocol;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;

/**
 * Tells a machine that is gone from a rank that is only slow, sooner than the stall grace: when
 * the other ranks stalled, each silent rank's agent is asked whether it is alive
 * ({@link AgentProtocol.Probe}, once per node and generation). A node whose agent has not answered
 * within {@code stall-suspect-probe} is treated as lost at once; one whose agent answered keeps the
 * whole grace (its rank may still report a stall, or its exit), also once the recovery began
 * ({@link JobRecoveries#onSuspectTimedOutRecovering}). A probe time-out not shorter than the grace
 * turns probing off: agents of builds before 2026-12-03 never answer (a fleet of mixed builds).
 */
final class JobProbes {
    private final JobHandlers h;
    private long generation = -1;
    /** The nodes probed in {@link #generation}, and those whose agent answered. */
    private final Set<String> probed = new HashSet<>();
    private final Set<String> answered = new HashSet<>();

    /** Where agents answer: this job's actor itself. */
    private final ActorRef<AgentProtocol.ProbeAnswered> answers;

    JobProbes(JobHandlers h, ActorRef<AgentProtocol.ProbeAnswered> answers) {
        this.h = h;
        this.answers = answers;
    }

    /** Probes the silent ranks' agents not probed yet in this generation; judged after the probe time-out. */
    void probe(Job job) {
        var settings = h.deps.settings();
        if (settings.stallSuspectProbe().compareTo(settings.stallSuspectGrace()) >= 0) return; // probing off (e.g. a fleet of mixed builds)
        if (generation != job.generation()) {
            generation = job.generation();
            probed.clear();
            answered.clear();
        }
        boolean sent = false;
        for (Member m : ElasticPolicy.suspects(job)) {
            var agent = h.agents.get(m.nodeId());
            if (agent == null || !probed.add(m.nodeId())) continue;
            agent.tell(new AgentProtocol.Probe(job.id(), job.generation(), answers));
            sent = true;
        }
        if (sent) h.timers.startSingleTimer(new JobMaster.ProbeTimedOut(job.generation()), h.deps.settings().stallSuspectProbe());
    }

    Behavior<JobMaster.Command> onAnswered(AgentProtocol.ProbeAnswered a) {
        if (a.generation() == generation) answered.add(a.nodeId());
        return h.unchanged();
    }

    Behavior<JobMaster.Command> onTimedOut(JobMaster.ProbeTimedOut t) {
        Job job = h.job();
        if (t.generation() != job.generation()) return h.unchanged();
        var gone = unanswered(ElasticPolicy.suspects(job), probed, answered);
        if (gone.isEmpty()) return h.unchanged();
        return h.recoveries.suspect(gone, "stayed silent and its agent did not answer a probe within "
                + h.deps.settings().stallSuspectProbe().toMillis() + " ms");
    }

    /** The silent ranks whose agent was probed and did not answer (pure: the order of {@code silent} kept). */
    static List<Member> unanswered(List<Member> silent, Set<String> probed, Set<String> answered) {
        return silent.stream().filter(m -> probed.contains(m.nodeId()) && !answered.contains(m.nodeId())).toList();
    }
}
