package io.spottrain.coordinator.jobs;

import io.spottrain.protocol.wire.AgentProtocol;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A node of a job in progress registered with a job manager that did not hear what its rank did
 * (it took over from another, or the node reconnected). What the agent says its rank did is turned
 * into the reports the job would have received, to be applied in order, and what a recovery
 * still needs from it is asked again. Pure.
 */
final class JobReattach {
    private JobReattach() {}

    static List<AgentProtocol.JobReport> replay(Job job, Member m, List<AgentProtocol.RankStatus> statuses) {
        String node = m.nodeId();
        var status = statuses.stream().filter(st -> st.jobId().equals(job.id()) && st.generation() == job.generation()
                && st.rank() == m.rank()).findFirst();
        var replay = new ArrayList<AgentProtocol.JobReport>();
        if (status.isEmpty()) {
            if (m.pid() > 0 && m.exitCode() == null) {
                replay.add(new AgentProtocol.RankExited(job.id(), job.generation(), m.rank(), node, 137,
                        "the agent on " + node + " no longer runs this rank (it restarted)"));
            }
            return replay;
        }
        var st = status.get();
        if (m.pid() == 0) replay.add(new AgentProtocol.RankStarted(job.id(), job.generation(), m.rank(), node, st.pid(), m.logFile()));
        if (st.attached() && !job.elastic().attached().contains(m.rank())) {
            replay.add(new AgentProtocol.RankAttached(job.id(), job.generation(), m.rank(), node, job.elastic().resumeStep()));
        }
        Recovery rec = job.elastic().recovery();
        if (rec != null && rec.agreedStep() >= 0 && st.checkpointStep() == rec.agreedStep() && !rec.checkpointed().contains(m.rank())) {
            // the step the recovery waits for (anything else is asked for again once the node is back)
            replay.add(new AgentProtocol.CheckpointReported(job.id(), job.generation(), m.rank(), node, st.checkpointStep(), null, 0, 0,
                    0, 0, "recovery", null));
        }
        // the stall after the checkpoint: a rank that wrote the agreed step is counted before its stall is weighed
        if (st.stalledStep() >= 0 && !job.elastic().stalls().containsKey(m.rank())) {
            replay.add(new AgentProtocol.RankStalled(job.id(), job.generation(), m.rank(), node, st.stalledStep(),
                    "reported while no job manager listened"));
        }
        if (st.paramsSha256() != null && !job.training().paramsSha256ByRank().containsKey(Integer.toString(m.rank()))) {
            replay.add(new AgentProtocol.RankDone(job.id(), job.generation(), m.rank(), node, st.doneStep(), st.doneLoss(), st.paramsSha256()));
        }
        if (st.exitCode() != null && m.exitCode() == null) {
            replay.add(new AgentProtocol.RankExited(job.id(), job.generation(), m.rank(), node, st.exitCode(), st.logTail()));
        }
        return replay;
    }

    /**
     * What a recovery still needs from a member whose node came back to a job manager that took
     * over mid-recovery (a checkpoint, a stop), to ask again; empty when nothing. Trainers never
     * rewrite a committed step, so asking twice is harmless.
     */
    static Optional<AgentProtocol.Command> stillNeeded(Job job, Member m) {
        var rec = job.elastic().recovery();
        if (job.state() != JobState.RECOVERING || rec == null || m.exitCode() != null) return Optional.empty();
        if (rec.allCheckpointed()) return Optional.of(JobRecoveries.closeFor(job, m));
        boolean owes = rec.survivors().contains(m.rank()) && !rec.checkpointed().contains(m.rank());
        if (owes && (rec.agreedStep() >= 0 || rec.kind().collective())) {
            return Optional.of(new AgentProtocol.RequestCheckpoint(job.id(), job.generation(), rec.agreedStep()));
        }
        return Optional.empty();
    }
}
