package io.spottrain.protocol.wire;

import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * What the coordinator tells a worker agent, and what the agent reports back. Agents register
 * under {@link #SERVICE_KEY} with the Receptionist; the job manager finds them through it.
 */
public final class AgentProtocol {

    public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "spottrain-agent");

    private AgentProtocol() {}

    /** Commands an agent accepts. */
    public interface Command extends WireMessage {}

    /** Asks the agent for its {@link NodeInfo}; it answers {@link NodeDescribed} and from then on reports to {@code replyTo}. */
    public record DescribeNode(ActorRef<Report> replyTo) implements Command {}

    /** Asks the rank-0 agent of a new generation for a free port for the rendezvous (MASTER_PORT). */
    public record AllocatePort(String jobId, long generation, ActorRef<Report> replyTo) implements Command {}

    /**
     * Starts one rank of a job generation. {@code argv} may use {@code ${VAR}} references to the
     * rank's environment; {@code workingDir} null means the agent's own working directory;
     * {@code checkpointInterval} is steps between checkpoints, 0 for none or auto; {@code checkpointKeep}
     * the newest complete checkpoints kept per tier; {@code checkpointRemote} the job's s3:// URI
     * (null: the agent's default remote tier, if any); {@code peerUrls} the local-tier servers of
     * the other members, for a restore before the process starts.
     */
    public record StartGeneration(
            String jobId,
            long generation,
            int rank,
            int worldSize,
            String masterAddr,
            int masterPort,
            long resumeStep,
            long checkpointInterval,
            int checkpointKeep,
            String checkpointRemote,
            List<String> peerUrls,
            List<String> argv,
            Map<String, String> env,
            String workingDir,
            ActorRef<Report> replyTo) implements Command {}

    /**
     * Stops the job's rank on this node: the contract's {@code stop} first, then SIGTERM, then
     * SIGKILL after the agent's grace period.
     */
    public record StopGeneration(String jobId, long generation, String reason) implements Command {}

    /** Asks the rank to checkpoint when it has completed {@code step} (-1: at the next step boundary). */
    public record RequestCheckpoint(String jobId, long generation, long step) implements Command {}

    /** Reports an agent sends to the job manager. */
    public interface Report extends WireMessage {}

    /**
     * The agent's answer to DescribeNode, with what its ranks did (so a job manager that took over
     * from another learns exits and results it was not there to receive).
     */
    public record NodeDescribed(NodeInfo node, ActorRef<Command> agent, java.util.List<RankStatus> ranks) implements Report {
        public NodeDescribed {
            ranks = ranks == null ? java.util.List.of() : java.util.List.copyOf(ranks);
        }
    }

    /**
     * One rank this agent started: {@code exitCode} null while it runs; {@code doneStep} -1 and
     * {@code paramsSha256} null until it reported done.
     */
    public record RankStatus(String jobId, long generation, int rank, long pid, boolean attached, Integer exitCode, String logTail,
            long doneStep, double doneLoss, String paramsSha256) implements WireMessage {}

    public record PortAllocated(String jobId, long generation, String nodeId, String host, int port) implements Report {}

    public record RankStarted(String jobId, long generation, int rank, String nodeId, long pid, String logFile)
            implements Report {}

    /** {@code logTail} is the last lines of the rank's output, to explain a failure. */
    public record RankExited(String jobId, long generation, int rank, String nodeId, int exitCode, String logTail)
            implements Report {}

    /** The rank said hello over the contract: it can be asked to checkpoint and stop (recoverable). */
    public record RankAttached(String jobId, long generation, int rank, String nodeId, long resumeStep) implements Report {}

    /** The rank's training progress (contract {@code progress}). */
    public record RankProgress(String jobId, long generation, int rank, String nodeId, long step, double loss,
            double samplesPerSec) implements Report {}

    /** The rank committed a checkpoint to this node's local tier (contract {@code checkpoint}). */
    public record CheckpointReported(String jobId, long generation, int rank, String nodeId, long step, String dir, int files,
            long bytes, double stallMs, double persistMs, String reason) implements Report {}

    /** A collective failed: the rank holds the state of {@code step} (contract {@code stalled}). */
    public record RankStalled(String jobId, long generation, int rank, String nodeId, long step, String reason)
            implements Report {}

    /** The agent's uploader committed a step to the remote tier; with the backlog left behind it. */
    public record CheckpointUploaded(String jobId, long generation, String nodeId, long step, long bytes, long millis, int attempts,
            int backlogSteps, long backlogBytes) implements Report {}

    /**
     * This node is going away: a Spot interruption notice ({@code kind} spot-interruption, with
     * the {@code deadline} IMDS gave), a rebalance recommendation (no deadline), or SIGTERM.
     */
    public record NodeInterruptionNotice(String nodeId, String kind, String action, String deadline, String seenAt)
            implements Report {}

    /** The rank finished training (contract {@code done}). */
    public record RankDone(String jobId, long generation, int rank, String nodeId, long step, double loss, String paramsSha256)
            implements Report {}

    /** The agent could not start the rank at all (no such program, bad working directory). */
    public record RankFailedToStart(String jobId, long generation, int rank, String nodeId, String reason)
            implements Report {}
}
