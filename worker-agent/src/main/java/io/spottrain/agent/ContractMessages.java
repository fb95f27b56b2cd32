package io.spottrain.agent;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.agent.checkpoint.CheckpointAgent;
import io.spottrain.agent.supervision.ProcessSupervisor;
import io.spottrain.agent.supervision.Redactor;
import io.spottrain.checkpoint.remote.RequestCounts;
import io.spottrain.checkpoint.upload.AsyncUploader;
import io.spottrain.protocol.checkpoint.CheckpointTier;
import io.spottrain.protocol.contract.Contract;
import io.spottrain.protocol.contract.ControlServer;
import io.spottrain.protocol.wire.AgentProtocol;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.slf4j.Logger;

/**
 * The agent's side of the training contract: each line a rank sends becomes a report for the job
 * manager (progress, checkpoints, stalls, done; masked), or a step of an in-place re-form (hello's
 * capabilities, parked, reformed; staged processes report nothing). Owned by the agent's actor.
 */
final class ContractMessages {

    /** What the agent does for it. */
    interface Host {
        void report(ActorRef<AgentProtocol.Report> fallback, AgentProtocol.Report r);

        void send(ActorRef<AgentProtocol.Report> fallback, AgentProtocol.Report r);

        Behavior<AgentProtocol.Command> reform(LiveRank r, AgentProtocol.StartGeneration m);

        void reformed(LiveRank r);
    }

    private final Logger log;
    private final String nodeId;
    private final Redactor redactor;
    private final CheckpointAgent checkpoints;
    private final ProcessSupervisor supervisor;
    private final Duration stopGrace;
    private final Host host;

    ContractMessages(Logger log, String nodeId, Redactor redactor, CheckpointAgent checkpoints, ProcessSupervisor supervisor,
            Duration stopGrace, Host host) {
        this.log = log;
        this.nodeId = nodeId;
        this.redactor = redactor;
        this.checkpoints = checkpoints;
        this.supervisor = supervisor;
        this.stopGrace = stopGrace;
        this.host = host;
    }

    /** Handles one message of {@code r}'s process; returns the agent's next behaviour, or null to keep it. */
    Behavior<AgentProtocol.Command> on(LiveRank r, JsonNode n) {
        var s = r.assignment;
        String id = nodeId;
        String type = n.path("type").asText();
        if (r.standby && !type.equals(Contract.HELLO) && !type.equals(Contract.PARKED)) {
            if (!type.equals(Contract.PROGRESS)) log.warn("job {}: a staged process said {}; ignored", s.jobId(), type);
            return null;
        }
        switch (type) {
            case Contract.HELLO -> {
                n.path("capabilities").forEach(cap -> {
                    r.reformable |= cap.asText().equals(Contract.CAPABILITY_REFORM);
                    r.ringState |= cap.asText().equals(Contract.CAPABILITY_RING_STATE);
                });
                log.info("job {} rank {} said hello (pid {}, resume step {}{})", s.jobId(), s.rank(),
                        n.path("pid").asLong(), n.path("resumeStep").asLong(), r.reformable ? ", can re-form in place" : "");
                if (r.standby && !r.reformable) supervisor.stop(s.jobId(), s.generation(), stopGrace); // v1: cannot be staged
                if (!r.standby) {
                    host.report(s.replyTo(), new AgentProtocol.RankAttached(s.jobId(), s.generation(), s.rank(), id, n.path("resumeStep").asLong(),
                            r.reformable));
                }
            }
            case Contract.PARKED -> {
                if (r.state == LiveRank.State.STAGING) {
                    r.state = LiveRank.State.PARKED;
                    r.parkedStep = n.path("step").asLong();
                    log.info("job {}: the staged process is ready at step {}", s.jobId(), r.parkedStep);
                    host.send(s.replyTo(), new AgentProtocol.RankStaged(s.jobId(), s.generation(), s.rank(), nodeId, r.parkedStep));
                    var join = r.pending;
                    r.pending = null;
                    return join == null ? null : host.reform(r, join);
                }
                if (r.state != LiveRank.State.PARKING) break;
                r.state = LiveRank.State.PARKED;
                r.parkedStep = n.path("step").asLong();
                log.info("job {} generation {} rank {} parked at step {}", s.jobId(), s.generation(), s.rank(), r.parkedStep);
                reportParked(r);
            }
            case Contract.REFORMED -> {
                if (r.state != LiveRank.State.REFORMING || n.path("generation").asLong() != s.generation()) break;
                r.state = LiveRank.State.RUNNING;
                host.reformed(r);
                log.info("job {} generation {} rank {} re-formed in place at step {}", s.jobId(), s.generation(), s.rank(),
                        n.path("step").asLong());
                host.report(s.replyTo(), new AgentProtocol.RankAttached(s.jobId(), s.generation(), s.rank(), id, n.path("step").asLong(), true));
            }
            case Contract.PROGRESS -> {
                // the job's step, loss and pace are rank 0's (the coordinator reads no other rank's; a rank that stalls says so
                // itself, one that dies exits): the others' progress stays here, where at 1,000 ranks it was most of the
                // coordinator's inbox
                if (s.rank() != 0) break;
                host.report(s.replyTo(), new AgentProtocol.RankProgress(s.jobId(), s.generation(), s.rank(), id, n.path("step").asLong(),
                        n.path("loss").asDouble(), n.path("samplesPerSec").asDouble(), Math.max(0, n.path("totalSteps").asLong()),
                        Math.max(0, n.path("samples").asLong())));
            }
            case Contract.CHECKPOINT_WRITTEN -> {
                host.report(s.replyTo(), new AgentProtocol.CheckpointReported(s.jobId(), s.generation(), s.rank(), id, n.path("step").asLong(),
                        n.path("dir").asText(), n.path("files").asInt(), n.path("bytes").asLong(), n.path("stallMs").asDouble(),
                        n.path("persistMs").asDouble(), n.path("reason").asText(),
                        checkpoints.manifestDigest(supervisor.checkpointDir(s.jobId()), n.path("step").asLong())));
                checkpoints.committed(s.jobId(), s.rank(), n.path("step").asLong(), s.checkpointKeep(), s.checkpointRemote(),
                        new CheckpointAgent.Reports() { // from the uploader's threads: send only
                            @Override
                            public void uploaded(String job, long step, long bytes, long millis, int attempts, AsyncUploader.Backlog b,
                                    RequestCounts requests) {
                                host.send(s.replyTo(), new AgentProtocol.CheckpointUploaded(job, s.generation(), id, step, bytes, millis,
                                        attempts, b.steps(), b.bytes(), requests.put(), requests.get()));
                            }

                            @Override
                            public void retained(String job, CheckpointTier tier, List<Long> kept) {
                                host.send(s.replyTo(), new AgentProtocol.CheckpointsRetained(job, s.generation(), id, tier, kept));
                            }
                        });
            }
            case Contract.STALLED -> host.report(s.replyTo(), new AgentProtocol.RankStalled(s.jobId(), s.generation(), s.rank(), id,
                    n.path("step").asLong(), redactor.redact(n.path("reason").asText())));
            case ControlServer.REFUSED -> log.warn("job {} rank {}: control endpoint refused a connection: {}", s.jobId(),
                    s.rank(), n.path("reason").asText());
            case ControlServer.VIOLATION -> {
                // it broke the channel's limits: already disconnected; stopped with the reason as its log's last line
                log.warn("job {} generation {} rank {}: {}; stopping it", s.jobId(), s.generation(), s.rank(),
                        n.path("reason").asText());
                supervisor.killForViolation(s, n.path("reason").asText());
            }
            case Contract.DONE -> host.report(s.replyTo(), new AgentProtocol.RankDone(s.jobId(), s.generation(), s.rank(), id,
                    n.path("step").asLong(), n.path("loss").asDouble(), n.path("paramsSha256").asText()));
            default -> log.warn("job {} rank {}: unknown contract message {}", s.jobId(), s.rank(), n);
        }
        return null;
    }

    /** The rank parked (its generation is over for it, exit 75 with {@code parked}). */
    void reportParked(LiveRank r) {
        var s = r.assignment;
        host.report(s.replyTo(), new AgentProtocol.RankExited(s.jobId(), s.generation(), s.rank(), nodeId, Contract.EXIT_RESUMABLE,
                "parked at step " + r.parkedStep + " for an in-place re-form (pid " + r.process.pid() + ")", true));
    }
}
