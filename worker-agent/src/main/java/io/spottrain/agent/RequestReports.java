package io.spottrain.agent;

import io.spottrain.agent.checkpoint.CheckpointAgent;
import io.spottrain.protocol.wire.AgentProtocol;
import java.time.Duration;
import java.util.Collection;

/**
 * Tells the job this node runs the S3 requests the node made to its remote tiers ({@link AgentProtocol.S3Requests}): every
 * {@link #EVERY} while there are any, and when its rank exits. Rank 0 also tells them with each upload; whichever reports
 * first takes them ({@link CheckpointAgent#takeRequests}), so nothing is counted twice. Owned by the agent's actor.
 */
final class RequestReports {
    static final Duration EVERY = Duration.ofSeconds(30);

    /** Time to report the S3 requests made since the last report (local only). */
    enum Tick implements AgentProtocol.Command { INSTANCE }

    private final CheckpointAgent checkpoints;
    private final String nodeId;
    private final ContractMessages.Host host;

    RequestReports(CheckpointAgent checkpoints, String nodeId, ContractMessages.Host host) {
        this.checkpoints = checkpoints;
        this.nodeId = nodeId;
        this.host = host;
    }

    /** To the job of a running rank of this node; with none, the requests wait for the next rank's report. */
    void report(Collection<LiveRank> live) {
        live.stream().filter(r -> !r.standby && r.state != LiveRank.State.ABANDONED).findFirst().ifPresent(this::report);
    }

    void report(LiveRank r) {
        var since = checkpoints.takeRequests();
        if (since.isEmpty()) return;
        var s = r.assignment;
        host.send(s.replyTo(), new AgentProtocol.S3Requests(s.jobId(), s.generation(), nodeId, since.put(), since.get()));
    }
}
