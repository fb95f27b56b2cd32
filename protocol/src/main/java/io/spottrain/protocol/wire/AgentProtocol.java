package io.spottrain.protocol.wire;

import io.spottrain.protocol.checkpoint.CheckpointTier;
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

    /** Longest rank log tail a report carries (characters, the end kept): wire messages stay small. */
    public static final int MAX_LOG_TAIL = 4096;

    /**
     * Asks the agent for its {@link NodeInfo}; it answers {@link NodeDescribed}, from then on
     * reports to {@code replyTo}, and sends a {@link Heartbeat} to {@code heartbeatTo} every
     * {@code heartbeatMillis} (a hung agent is found by its silence, not only by its machine's).
     */
    public record DescribeNode(ActorRef<Report> replyTo, ActorRef<Heartbeat> heartbeatTo, long heartbeatMillis) implements Command {}

    /**
     * An agent is alive and its actor is responsive. {@code seq} counts up from 1 per agent start. {@code rendezvousPort}: a
     * port free on the node that a generation whose rank 0 is here may use as MASTER_PORT without asking (0: none offered;
     * each offered port is for one generation, then another is offered).
     */
    public record Heartbeat(String nodeId, ActorRef<Command> agent, long seq, List<GpuSample> gpus, int rendezvousPort) implements WireMessage {

        public Heartbeat {
            gpus = gpus == null ? List.of() : List.copyOf(gpus);
        }

        public Heartbeat(String nodeId, ActorRef<Command> agent, long seq, List<GpuSample> gpus) {
            this(nodeId, agent, seq, gpus, 0);
        }

        public Heartbeat(String nodeId, ActorRef<Command> agent, long seq) {
            this(nodeId, agent, seq, List.of(), 0);
        }
    }

    /** One GPU of a node as {@code nvidia-smi} saw it last (a heartbeat carries the newest sample of each). */
    public record GpuSample(int index, double utilizationPct, long memoryUsedMiB, long memoryTotalMiB) implements WireMessage {}

    /** The last {@link #MAX_LOG_TAIL} characters of a log tail (null stays null). */
    public static String boundTail(String tail) {
        if (tail == null || tail.length() <= MAX_LOG_TAIL) return tail;
        return "..." + tail.substring(tail.length() - MAX_LOG_TAIL + 3);
    }

    /** Asks the rank-0 agent of a new generation for a free port for the rendezvous (MASTER_PORT). */
    public record AllocatePort(String jobId, long generation, ActorRef<Report> replyTo) implements Command {}

    /**
     * Starts one rank of a job generation. {@code argv} may use {@code ${VAR}} references to the
     * rank's environment; {@code workingDir} null means the agent's own working directory;
     * {@code checkpointInterval} is steps between checkpoints, 0 for none or auto; {@code checkpointKeep}
     * the newest complete checkpoints kept per tier; {@code checkpointRemote} the job's s3:// URI
     * (null: the agent's default remote tier, if any); {@code peerUrls} the local-tier servers of
     * the other members, for a restore before the process starts; {@code peerDigests} the manifest
     * digest the coordinator recorded for {@code resumeStep} on each of them (by URL): a peer's copy
     * is taken only with its recorded digest, a peer without one is not asked. {@code secrets} names
     * the secrets the rank gets from the node (the spec's {@code secrets}; values never travel).
     * {@code standby} (contract v2): stage a newcomer ahead of {@code generation}: restore
     * {@code resumeStep}, start the process with {@code SPOTTRAIN_STANDBY=1} and keep it parked
     * (nothing reported) until this generation's real {@code StartGeneration} for the job on this
     * node re-forms it; a process that does not speak v2 is stopped.
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
            Map<String, String> peerDigests,
            List<String> argv,
            Map<String, String> env,
            List<String> secrets,
            String workingDir,
            ActorRef<Report> replyTo,
            boolean standby) implements Command {

        public StartGeneration(String jobId, long generation, int rank, int worldSize, String masterAddr, int masterPort, long resumeStep,
                long checkpointInterval, int checkpointKeep, String checkpointRemote, List<String> peerUrls,
                Map<String, String> peerDigests, List<String> argv, Map<String, String> env, List<String> secrets, String workingDir,
                ActorRef<Report> replyTo) {
            this(jobId, generation, rank, worldSize, masterAddr, masterPort, resumeStep, checkpointInterval, checkpointKeep,
                    checkpointRemote, peerUrls, peerDigests, argv, env, secrets, workingDir, replyTo, false);
        }
    }

    /**
     * Stops the job's rank on this node: the contract's {@code stop} first, then SIGTERM, then
     * SIGKILL after the agent's grace period. With {@code park} (a survivor of a recovery) a rank
     * that can re-form in place (contract v2) is parked instead: it keeps its process and state,
     * is reported exited with {@code parked}, and the next generation's {@link StartGeneration} for
     * the job on this node re-forms it (a fresh process if it cannot).
     */
    public record StopGeneration(String jobId, long generation, String reason, boolean park) implements Command {
        public StopGeneration(String jobId, long generation, String reason) {
            this(jobId, generation, reason, false);
        }
    }

    /** Asks the rank to checkpoint when it has completed {@code step} (-1: at the next step boundary). */
    public record RequestCheckpoint(String jobId, long generation, long step) implements Command {}

    /**
     * Is this agent alive? Sent by a job whose other ranks stalled while this node's rank stayed
     * silent: the agent answers {@code replyTo} with {@link ProbeAnswered} at once, so a machine that
     * is gone (no answer within the coordinator's probe time-out) is told from a rank that is only slow.
     * {@code replyTo} is the job's own actor (not the job manager's shared mailbox: a busy manager does
     * not delay the answer past the time-out).
     */
    public record Probe(String jobId, long generation, ActorRef<ProbeAnswered> replyTo) implements Command {}

    /** Most bytes of a rank's output one {@link TailRankLog} returns. */
    public static final int MAX_LOG_BYTES = 64 * 1024;

    /**
     * Asks for the end of a rank's output on this node (at most {@code maxBytes}, capped at
     * {@link #MAX_LOG_BYTES}); the agent answers {@code replyTo} with {@link RankLog}. Ranks that
     * ended too, while the node lives (their logs stay in its work directory). {@code file} is the
     * log the rank reported (a rank re-formed in place keeps its first generation's file; null: the
     * generation's own name); the agent reads it only inside its own log directory. {@code from}
     * (null: the end) asks for the output from that offset instead: whole lines only, for following
     * a log ({@link RankLog#next} is where the next ask starts).
     */
    public record TailRankLog(String jobId, long generation, int rank, String file, int maxBytes, Long from, ActorRef<RankLog> replyTo)
            implements Command {
        public TailRankLog(String jobId, long generation, int rank, String file, int maxBytes, ActorRef<RankLog> replyTo) {
            this(jobId, generation, rank, file, maxBytes, null, replyTo);
        }
    }

    /**
     * The end of a rank's output (or, asked {@code from} an offset, what follows it), starting at a
     * line boundary, with the agent's and the job's secrets masked; {@code size} is the whole file's
     * length; {@code next} the offset to follow on from (null from an agent that predates it: use
     * {@code size}). {@code error} says why there is none (text empty).
     */
    public record RankLog(String jobId, long generation, int rank, String nodeId, String file, long size, String text, String error, Long next)
            implements WireMessage {
        public RankLog(String jobId, long generation, int rank, String nodeId, String file, long size, String text, String error) {
            this(jobId, generation, rank, nodeId, file, size, text, error, null);
        }
    }

    /** Reports an agent sends to the job manager. */
    public interface Report extends WireMessage {}

    /** A report about one job's generation on one node: the job manager routes it to that job. */
    public interface JobReport extends Report {
        String jobId();

        long generation();

        String nodeId();
    }

    /**
     * The agent's answer to DescribeNode, with what its ranks did (so a job manager that took over
     * from another learns exits and results it was not there to receive), and the rendezvous port it
     * offers as its heartbeats do (0: none), so that a node placed as soon as it registers needs no
     * round trip either.
     */
    public record NodeDescribed(NodeInfo node, ActorRef<Command> agent, List<RankStatus> ranks, int rendezvousPort) implements Report {
        public NodeDescribed {
            ranks = ranks == null ? List.of() : List.copyOf(ranks);
        }

        public NodeDescribed(NodeInfo node, ActorRef<Command> agent, List<RankStatus> ranks) {
            this(node, agent, ranks, 0);
        }

        public NodeDescribed withNode(NodeInfo n) {
            return new NodeDescribed(n, agent, ranks, rendezvousPort);
        }
    }

    /**
     * One rank this agent started: {@code exitCode} null while it runs; {@code doneStep} -1 and
     * {@code paramsSha256} null until it reported done; {@code checkpointStep} the newest step it
     * committed in this generation and {@code stalledStep} the step it stalled at (-1: none), so a
     * job manager that takes over in the middle of a recovery learns what the ranks already did.
     */
    public record RankStatus(String jobId, long generation, int rank, long pid, boolean attached, Integer exitCode, String logTail,
            long doneStep, double doneLoss, String paramsSha256, long checkpointStep, long stalledStep) implements WireMessage {

        public static RankStatus started(String jobId, long generation, int rank, long pid) {
            return new RankStatus(jobId, generation, rank, pid, false, null, null, -1, 0, null, -1, -1);
        }

        public RankStatus withAttached() {
            return new RankStatus(jobId, generation, rank, pid, true, exitCode, logTail, doneStep, doneLoss, paramsSha256, checkpointStep,
                    stalledStep);
        }

        public RankStatus withDone(long step, double loss, String sha) {
            return new RankStatus(jobId, generation, rank, pid, attached, exitCode, logTail, step, loss, sha, checkpointStep, stalledStep);
        }

        public RankStatus withExit(int code, String tail) {
            return new RankStatus(jobId, generation, rank, pid, attached, code, tail, doneStep, doneLoss, paramsSha256, checkpointStep,
                    stalledStep);
        }

        public RankStatus withCheckpoint(long step) {
            return new RankStatus(jobId, generation, rank, pid, attached, exitCode, logTail, doneStep, doneLoss, paramsSha256,
                    Math.max(checkpointStep, step), stalledStep);
        }

        public RankStatus withStall(long step) {
            return new RankStatus(jobId, generation, rank, pid, attached, exitCode, logTail, doneStep, doneLoss, paramsSha256, checkpointStep,
                    step);
        }
    }

    public record PortAllocated(String jobId, long generation, String nodeId, String host, int port) implements JobReport {}

    /** {@code inPlace}: a parked process of the previous generation re-formed (same pid), not a new process. */
    public record RankStarted(String jobId, long generation, int rank, String nodeId, long pid, String logFile, boolean inPlace)
            implements JobReport {
        public RankStarted(String jobId, long generation, int rank, String nodeId, long pid, String logFile) {
            this(jobId, generation, rank, nodeId, pid, logFile, false);
        }
    }

    /**
     * {@code logTail} is the last lines of the rank's output, to explain a failure (at most
     * {@link #MAX_LOG_TAIL}). {@code parked}: the process lives on, parked for an in-place re-form
     * (exit code 75: for the generation it is over).
     */
    public record RankExited(String jobId, long generation, int rank, String nodeId, int exitCode, String logTail, boolean parked)
            implements JobReport {
        public RankExited {
            logTail = boundTail(logTail);
        }

        public RankExited(String jobId, long generation, int rank, String nodeId, int exitCode, String logTail) {
            this(jobId, generation, rank, nodeId, exitCode, logTail, false);
        }
    }

    /** The rank said hello over the contract: it can be asked to checkpoint and stop (recoverable). */
    /** A staged newcomer (StartGeneration {@code standby}) is ready on {@code nodeId}: parked at {@code step} (0 unless it restored one). */
    public record RankStaged(String jobId, long generation, int rank, String nodeId, long step) implements JobReport {}

    /** The rank said hello (or re-formed); {@code reformable}: it speaks contract v2 (in-place re-form). */
    public record RankAttached(String jobId, long generation, int rank, String nodeId, long resumeStep, boolean reformable)
            implements JobReport {
        public RankAttached(String jobId, long generation, int rank, String nodeId, long resumeStep) {
            this(jobId, generation, rank, nodeId, resumeStep, false);
        }
    }

    /**
     * The rank's training progress (contract {@code progress}); {@code totalSteps} 0 when the trainer did not say;
     * {@code samples} the samples the job has trained up to {@code step} as the trainer counts them (0: not said).
     */
    public record RankProgress(String jobId, long generation, int rank, String nodeId, long step, double loss,
            double samplesPerSec, long totalSteps, long samples) implements JobReport {

        public RankProgress(String jobId, long generation, int rank, String nodeId, long step, double loss, double samplesPerSec) {
            this(jobId, generation, rank, nodeId, step, loss, samplesPerSec, 0, 0);
        }

        public RankProgress(String jobId, long generation, int rank, String nodeId, long step, double loss, double samplesPerSec,
                long totalSteps) {
            this(jobId, generation, rank, nodeId, step, loss, samplesPerSec, totalSteps, 0);
        }
    }

    /**
     * The rank committed a checkpoint to this node's local tier (contract {@code checkpoint});
     * {@code manifestDigest} is the committed manifest's {@code CheckpointManifest.digest()} (null
     * when the agent could not read it), what a peer restoring from this node will check.
     */
    public record CheckpointReported(String jobId, long generation, int rank, String nodeId, long step, String dir, int files,
            long bytes, double stallMs, double persistMs, String reason, String manifestDigest) implements JobReport {}

    /** A collective failed: the rank holds the state of {@code step} (contract {@code stalled}). */
    public record RankStalled(String jobId, long generation, int rank, String nodeId, long step, String reason)
            implements JobReport {}

    /**
     * The agent's uploader committed a step to the remote tier; with the backlog left behind it, and the S3 requests the node
     * made to that tier since its last such report, by pricing class ({@code putRequests}: PUT, COPY, POST, LIST;
     * {@code getRequests}: GET, HEAD and the rest but DELETE), for the cost ledger.
     */
    public record CheckpointUploaded(String jobId, long generation, String nodeId, long step, long bytes, long millis, int attempts,
            int backlogSteps, long backlogBytes, long putRequests, long getRequests) implements JobReport {
        public CheckpointUploaded(String jobId, long generation, String nodeId, long step, long bytes, long millis, int attempts,
                int backlogSteps, long backlogBytes) {
            this(jobId, generation, nodeId, step, bytes, millis, attempts, backlogSteps, backlogBytes, 0, 0);
        }
    }

    /**
     * S3 requests this node made to the remote tier since it last said so (with an upload or in this report), by pricing
     * class, charged to the job it runs: sent every half minute while there are any, and when its rank exits, so a node that
     * never uploads (not rank 0) still reports its restores' reads and its rank-log copies.
     */
    public record S3Requests(String jobId, long generation, String nodeId, long putRequests, long getRequests) implements JobReport {}

    /**
     * What a tier of this node still holds of the job after retention ran ({@code kept}, newest
     * first; for {@link CheckpointTier#REMOTE} the whole remote tier as this node's uploader sees it),
     * so the catalog stops listing what retention removed.
     */
    public record CheckpointsRetained(String jobId, long generation, String nodeId, CheckpointTier tier, List<Long> kept)
            implements JobReport {
        public CheckpointsRetained {
            kept = List.copyOf(kept);
        }
    }

    /**
     * This node is going away: a Spot interruption notice (with the {@code deadline} IMDS gave), a
     * rebalance recommendation (no deadline), or SIGTERM.
     */
    public record NodeInterruptionNotice(String nodeId, InterruptionKind kind, String action, String deadline, String seenAt)
            implements Report {}

    /** The answer to a {@link Probe}: the agent on {@code nodeId} is alive. */
    public record ProbeAnswered(String jobId, long generation, String nodeId) implements JobReport {}

    /** The rank finished training (contract {@code done}). */
    public record RankDone(String jobId, long generation, int rank, String nodeId, long step, double loss, String paramsSha256)
            implements JobReport {}

    /** The agent could not start the rank at all (no such program, bad working directory). */
    public record RankFailedToStart(String jobId, long generation, int rank, String nodeId, String reason)
            implements JobReport {}
}
