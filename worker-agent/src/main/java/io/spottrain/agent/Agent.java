package io.spottrain.agent;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.agent.checkpoint.CheckpointAgent;
import io.spottrain.agent.node.InterruptionWatcher;
import io.spottrain.agent.supervision.ProcessSupervisor;
import io.spottrain.agent.supervision.Redactor;
import io.spottrain.agent.supervision.RankProcess;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import io.spottrain.protocol.checkpoint.CheckpointException;
import io.spottrain.protocol.contract.Contract;
import io.spottrain.protocol.contract.ControlServer;
import io.spottrain.protocol.wire.AgentProtocol;
import io.spottrain.protocol.wire.NodeInfo;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * The worker agent's actor: registers this node with the Receptionist, describes it to the job
 * manager, allocates rendezvous ports, and starts, watches and stops the node's training process.
 */
public final class Agent extends AbstractBehavior<AgentProtocol.Command> {

    /** A rank's process ended (local only). */
    private record RankProcessExited(RankProcess rank, int exitCode, ActorRef<AgentProtocol.Report> replyTo)
            implements AgentProtocol.Command {}

    /** The restore before a resumed rank starts has finished (local only); {@code error} null on success. */
    private record RestoreFinished(AgentProtocol.StartGeneration start, String source, String error) implements AgentProtocol.Command {}

    /** The interruption watcher saw a notice (local only: from the watcher thread or the SIGTERM hook). */
    public record NoticeSeen(InterruptionWatcher.Notice notice) implements AgentProtocol.Command {}

    /** A line the rank sent over SPOTTRAIN_CONTROL (local only). */
    private record ContractMessage(AgentProtocol.StartGeneration start, JsonNode message) implements AgentProtocol.Command {}

    /** Time to send the job manager's directory a heartbeat (local only). */
    private enum Beat implements AgentProtocol.Command { INSTANCE }

    public static Behavior<AgentProtocol.Command> create(NodeInfo node, ProcessSupervisor supervisor, CheckpointAgent checkpoints,
            Duration stopGrace) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Agent(ctx, timers, node, supervisor, checkpoints, stopGrace)));
    }

    private final NodeInfo node;
    private final ProcessSupervisor supervisor;
    private final CheckpointAgent checkpoints;
    private final Duration stopGrace;
    /** Where unsolicited reports go: the job manager that last asked this agent to describe itself. */
    private volatile ActorRef<AgentProtocol.Report> coordinator;
    private final List<AgentProtocol.Report> undelivered = new ArrayList<>();
    /** What each rank this agent started did, newest generations kept (for a job manager that takes over). */
    private final Map<String, AgentProtocol.RankStatus> ranks = new LinkedHashMap<>();
    /** The agent's own secrets, masked in everything it passes on from ranks. */
    private final Redactor redactor;
    private final TimerScheduler<AgentProtocol.Command> timers;
    private ActorRef<AgentProtocol.Heartbeat> heartbeatTo;
    private long beats;

    private Agent(ActorContext<AgentProtocol.Command> ctx, TimerScheduler<AgentProtocol.Command> timers, NodeInfo node,
            ProcessSupervisor supervisor, CheckpointAgent checkpoints, Duration stopGrace) {
        super(ctx);
        this.timers = timers;
        this.node = node;
        this.supervisor = supervisor;
        this.redactor = Redactor.of(System.getenv(), supervisor.secretValues());
        this.checkpoints = checkpoints;
        this.stopGrace = stopGrace;
        ctx.getSystem().receptionist().tell(Receptionist.register(AgentProtocol.SERVICE_KEY, ctx.getSelf()));
        ctx.getLog().info("agent {} up: {} {} {} GPU(s)", node.nodeId(), node.market().label(), node.instanceType(), node.gpus());
    }

    @Override
    public Receive<AgentProtocol.Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(AgentProtocol.DescribeNode.class, this::onDescribe)
                .onMessage(AgentProtocol.AllocatePort.class, this::onAllocatePort)
                .onMessage(AgentProtocol.StartGeneration.class, this::onStart)
                .onMessage(AgentProtocol.StopGeneration.class, this::onStop)
                .onMessage(AgentProtocol.RequestCheckpoint.class, this::onRequestCheckpoint)
                .onMessage(ContractMessage.class, this::onContract)
                .onMessage(RestoreFinished.class, this::onRestoreFinished)
                .onMessage(NoticeSeen.class, this::onNotice)
                .onMessage(RankProcessExited.class, this::onExited)
                .onMessageEquals(Beat.INSTANCE, this::onBeat)
                .build();
    }

    private Behavior<AgentProtocol.Command> onDescribe(AgentProtocol.DescribeNode m) {
        m.replyTo().tell(new AgentProtocol.NodeDescribed(node, getContext().getSelf(), List.copyOf(ranks.values())));
        if (coordinator != null && !coordinator.equals(m.replyTo())) {
            getContext().getLog().info("reporting to a new job manager at {}", m.replyTo().path().address());
        }
        coordinator = m.replyTo();
        undelivered.forEach(coordinator::tell);
        undelivered.clear();
        // heartbeats prove this actor is responsive, not only its machine (a hung agent is found by its silence)
        heartbeatTo = m.heartbeatTo();
        if (heartbeatTo != null && m.heartbeatMillis() > 0) {
            timers.startTimerWithFixedDelay(Beat.INSTANCE, Duration.ofMillis(m.heartbeatMillis()));
            onBeat();
        }
        return this;
    }

    private Behavior<AgentProtocol.Command> onBeat() {
        if (heartbeatTo != null) heartbeatTo.tell(new AgentProtocol.Heartbeat(node.nodeId(), getContext().getSelf(), ++beats));
        return this;
    }

    private Behavior<AgentProtocol.Command> onNotice(NoticeSeen m) {
        var n = m.notice();
        var report = new AgentProtocol.NodeInterruptionNotice(node.nodeId(), n.kind(), n.action(),
                n.deadline() == null ? null : n.deadline().toString(), n.seenAt().toString());
        if (coordinator != null) coordinator.tell(report);
        else undelivered.add(report);
        return this;
    }

    private Behavior<AgentProtocol.Command> onAllocatePort(AgentProtocol.AllocatePort m) {
        try (var socket = new ServerSocket(0, 1, InetAddress.getByName(node.host()))) {
            socket.setReuseAddress(true);
            m.replyTo().tell(new AgentProtocol.PortAllocated(m.jobId(), m.generation(), node.nodeId(), node.host(),
                    socket.getLocalPort()));
        } catch (IOException e) {
            // no reply: the job manager's port time-out fails the generation with this node named
            getContext().getLog().error("cannot allocate a rendezvous port on {}: {}", node.host(), e.toString());
        }
        return this;
    }

    /** A resumed rank starts only once its step is in the local tier, verified (restored off the actor thread). */
    private Behavior<AgentProtocol.Command> onStart(AgentProtocol.StartGeneration m) {
        if (m.resumeStep() <= 0) {
            return startRank(m);
        }
        ActorRef<AgentProtocol.Command> self = getContext().getSelf();
        CompletableFuture.runAsync(() -> {
            try {
                var r = checkpoints.restore(m.jobId(), m.resumeStep(), m.peerDigests(), m.checkpointRemote(), m.worldSize());
                self.tell(new RestoreFinished(m, r.source(), null));
            } catch (Exception e) {
                self.tell(new RestoreFinished(m, null, e.getMessage()));
            }
        });
        return this;
    }

    private Behavior<AgentProtocol.Command> onRestoreFinished(RestoreFinished r) {
        var m = r.start();
        if (r.error() != null) {
            getContext().getLog().error("job {} rank {}: {}", m.jobId(), m.rank(), r.error());
            m.replyTo().tell(new AgentProtocol.RankFailedToStart(m.jobId(), m.generation(), m.rank(), node.nodeId(),
                    redactor.redact(r.error())));
            return this;
        }
        getContext().getLog().info("job {} rank {}: step {} restored from {}", m.jobId(), m.rank(), m.resumeStep(), r.source());
        return startRank(m);
    }

    private Behavior<AgentProtocol.Command> startRank(AgentProtocol.StartGeneration m) {
        supervisor.stopOlderGenerations(m.jobId(), m.generation(), stopGrace);
        try {
            ActorRef<AgentProtocol.Command> me = getContext().getSelf();
            RankProcess rank = supervisor.start(m, line -> me.tell(new ContractMessage(m, line)));
            getContext().getLog().info("job {} generation {} rank {}/{} started: pid {}, log {}", m.jobId(), m.generation(),
                    m.rank(), m.worldSize(), rank.pid(), rank.logFile());
            report(m.replyTo(), new AgentProtocol.RankStarted(m.jobId(), m.generation(), m.rank(), node.nodeId(), rank.pid(),
                    rank.logFile().toString()));
            ActorRef<AgentProtocol.Command> self = getContext().getSelf();
            rank.process().onExit().thenAcceptAsync(p -> {
                rank.control().awaitDrained(Duration.ofSeconds(2)); // its last messages first, then its exit
                rank.control().close();
                self.tell(new RankProcessExited(rank, p.exitValue(), m.replyTo()));
            });
        } catch (IOException e) {
            String why = redactor.redact(e.getMessage());
            getContext().getLog().error("job {} rank {} could not start: {}", m.jobId(), m.rank(), why);
            m.replyTo().tell(new AgentProtocol.RankFailedToStart(m.jobId(), m.generation(), m.rank(), node.nodeId(), why));
        }
        return this;
    }

    private Behavior<AgentProtocol.Command> onStop(AgentProtocol.StopGeneration m) {
        getContext().getLog().info("stopping job {} generation {}: {}", m.jobId(), m.generation(), m.reason());
        supervisor.stop(m.jobId(), m.generation(), stopGrace);
        return this;
    }

    private Behavior<AgentProtocol.Command> onRequestCheckpoint(AgentProtocol.RequestCheckpoint m) {
        var req = ControlServer.message(Contract.CHECKPOINT_NOW);
        if (m.step() >= 0) req.put("step", m.step());
        if (!supervisor.request(m.jobId(), m.generation(), req)) {
            getContext().getLog().warn("job {} generation {}: no connected rank to ask for a checkpoint", m.jobId(), m.generation());
        }
        return this;
    }

    /** Translates the rank's contract messages into reports for the job manager. */
    private Behavior<AgentProtocol.Command> onContract(ContractMessage c) {
        var s = c.start();
        JsonNode n = c.message();
        String id = node.nodeId();
        switch (n.path("type").asText()) {
            case Contract.HELLO -> {
                getContext().getLog().info("job {} rank {} said hello (pid {}, resume step {})", s.jobId(), s.rank(),
                        n.path("pid").asLong(), n.path("resumeStep").asLong());
                report(s.replyTo(), new AgentProtocol.RankAttached(s.jobId(), s.generation(), s.rank(), id, n.path("resumeStep").asLong()));
            }
            case Contract.PROGRESS -> report(s.replyTo(), new AgentProtocol.RankProgress(s.jobId(), s.generation(), s.rank(), id,
                    n.path("step").asLong(), n.path("loss").asDouble(), n.path("samplesPerSec").asDouble()));
            case Contract.CHECKPOINT_WRITTEN -> {
                report(s.replyTo(), new AgentProtocol.CheckpointReported(s.jobId(), s.generation(), s.rank(), id, n.path("step").asLong(),
                        n.path("dir").asText(), n.path("files").asInt(), n.path("bytes").asLong(), n.path("stallMs").asDouble(),
                        n.path("persistMs").asDouble(), n.path("reason").asText(),
                        manifestDigest(supervisor.checkpointDir(s.jobId()), n.path("step").asLong())));
                checkpoints.committed(s.jobId(), s.rank(), n.path("step").asLong(), s.checkpointKeep(), s.checkpointRemote(),
                        (job, step, bytes, millis, attempts, backlog) -> send(s.replyTo(), new AgentProtocol.CheckpointUploaded(job,
                                s.generation(), id, step, bytes, millis, attempts, backlog.steps(), backlog.bytes())));
            }
            case Contract.STALLED -> report(s.replyTo(), new AgentProtocol.RankStalled(s.jobId(), s.generation(), s.rank(), id,
                    n.path("step").asLong(), redactor.redact(n.path("reason").asText())));
            case ControlServer.REFUSED -> getContext().getLog().warn("job {} rank {}: control endpoint refused a connection: {}", s.jobId(),
                    s.rank(), n.path("reason").asText());
            case ControlServer.VIOLATION -> onViolation(s, n.path("reason").asText());
            case Contract.DONE -> report(s.replyTo(), new AgentProtocol.RankDone(s.jobId(), s.generation(), s.rank(), id,
                    n.path("step").asLong(), n.path("loss").asDouble(), n.path("paramsSha256").asText()));
            default -> getContext().getLog().warn("job {} rank {}: unknown contract message {}", s.jobId(), s.rank(), n);
        }
        return this;
    }

    private Behavior<AgentProtocol.Command> onExited(RankProcessExited m) {
        RankProcess r = m.rank();
        checkpoints.release(r.jobId());
        getContext().getLog().info("job {} generation {} rank {} exited with code {}", r.jobId(), r.generation(), r.rank(),
                m.exitCode());
        report(m.replyTo(), new AgentProtocol.RankExited(r.jobId(), r.generation(), r.rank(), node.nodeId(), m.exitCode(),
                redactor.redact(ProcessSupervisor.tail(r.logFile(), 20))));
        return this;
    }

    /**
     * The digest of the manifest the rank committed for {@code step} in the local tier (what peers
     * restoring from this node are checked against), or null when it cannot be read: then no peer
     * will be asked for this node's copy.
     */
    private String manifestDigest(Path tier, long step) {
        try {
            return new CheckpointDir(tier).manifest(step).digest();
        } catch (CheckpointException | RuntimeException e) {
            getContext().getLog().warn("cannot read the manifest of step {} in {}: {}", step, tier, e.getMessage());
            return null;
        }
    }

    /**
     * A rank broke the control channel's limits: it is already disconnected; it is stopped, and the
     * reason is the last line of its log, so its exit report tells the job why. The agent and its
     * other ranks go on.
     */
    private void onViolation(AgentProtocol.StartGeneration s, String reason) {
        getContext().getLog().warn("job {} generation {} rank {}: {}; stopping it", s.jobId(), s.generation(), s.rank(), reason);
        var log = supervisor.logFile(s);
        try {
            Files.writeString(log, "\nspottrain-agent: rank " + s.rank() + " " + reason + "; stopped\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            getContext().getLog().warn("cannot note the violation in {}: {}", log, e.getMessage());
        }
        supervisor.kill(s.jobId(), s.generation());
    }

    /**
     * Sends a rank's report to the job manager that last described this node (after a hand-over
     * that is the new one; {@code fallback}, the generation's starter, otherwise), and keeps the
     * rank's status for the next DescribeNode.
     */
    private void report(ActorRef<AgentProtocol.Report> fallback, AgentProtocol.Report r) {
        track(r);
        send(fallback, r);
    }

    /** Sends only (safe from other threads, e.g. the uploader's callback: the rank table is the actor's). */
    private void send(ActorRef<AgentProtocol.Report> fallback, AgentProtocol.Report r) {
        (coordinator != null ? coordinator : fallback).tell(r);
    }

    private void track(AgentProtocol.Report r) {
        if (!(r instanceof AgentProtocol.JobReport jr)) return;
        String key = jr.jobId() + "/" + jr.generation() + "/";
        if (r instanceof AgentProtocol.RankStarted st) {
            ranks.put(key + st.rank(), AgentProtocol.RankStatus.started(st.jobId(), st.generation(), st.rank(), st.pid()));
            while (ranks.size() > 64) ranks.remove(ranks.keySet().iterator().next());
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
}
