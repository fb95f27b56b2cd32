package io.spottrain.agent;

import io.spottrain.protocol.wire.AgentProtocol;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What each rank this agent ran did, from the reports it sent (newest 64 kept): a job manager that
 * takes over learns it from {@code NodeDescribed}. Owned by the agent's actor.
 */
final class RankStatuses {
    private static final int KEEP = 64;
    private final Map<String, AgentProtocol.RankStatus> ranks = new LinkedHashMap<>();

    void track(AgentProtocol.Report r) {
        if (!(r instanceof AgentProtocol.JobReport jr)) return;
        String key = jr.jobId() + "/" + jr.generation() + "/";
        if (r instanceof AgentProtocol.RankStarted st) {
            ranks.put(key + st.rank(), AgentProtocol.RankStatus.started(st.jobId(), st.generation(), st.rank(), st.pid()));
            while (ranks.size() > KEEP) ranks.remove(ranks.keySet().iterator().next());
        } else if (r instanceof AgentProtocol.RankAttached a) {
            ranks.computeIfPresent(key + a.rank(), (k, v) -> v.withAttached());
        } else if (r instanceof AgentProtocol.RankDone d) {
            ranks.computeIfPresent(key + d.rank(), (k, v) -> v.withDone(d.step(), d.loss(), d.paramsSha256()));
        } else if (r instanceof AgentProtocol.RankExited e) {
            ranks.computeIfPresent(key + e.rank(), (k, v) -> v.withExit(e.exitCode(), e.logTail()));
        } else if (r instanceof AgentProtocol.CheckpointReported c) {
            ranks.computeIfPresent(key + c.rank(), (k, v) -> v.withCheckpoint(c.step()));
        } else if (r instanceof AgentProtocol.RankStalled st) {
            ranks.computeIfPresent(key + st.rank(), (k, v) -> v.withStall(st.step()));
        }
    }

    List<AgentProtocol.RankStatus> all() {
        return List.copyOf(ranks.values());
    }
}
