package io.spottrain.agent;

import io.spottrain.agent.AgentCommands.Beat;
import io.spottrain.agent.AgentCommands.ContractMessage;
import io.spottrain.agent.AgentCommands.ParkTimedOut;
import io.spottrain.agent.AgentCommands.RankProcessExited;
import io.spottrain.agent.AgentCommands.ReformTimedOut;
import io.spottrain.agent.AgentCommands.RestoreFinished;
import io.spottrain.agent.checkpoint.CheckpointAgent;
import io.spottrain.agent.node.InterruptionWatcher;
import io.spottrain.agent.supervision.ProcessSupervisor;
import io.spottrain.agent.supervision.RankLogArchiver;
import io.spottrain.agent.supervision.RankProcess;
import io.spottrain.agent.supervision.Redactor;
import io.spottrain.protocol.contract.Contract;
import io.spottrain.protocol.contract.ControlServer;
import io.spottrain.protocol.wire.AgentProtocol;
import io.spottrain.protocol.wire.NodeInfo;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.japi.function.Function;

/**
 * The worker agent's actor: registers this node with the Receptionist, describes it to the job
 * manager, allocates rendezvous ports, and starts, watches and stops the node's training process.
 */
public final class Agent extends AbstractBehavior<AgentProtocol.Command> implements ContractMessages.Host {

    /** How long a parked rank waits for the next generation's re-form before it is stopped. */
    static final Duration PARK_TIMEOUT = Duration.ofSeconds(60);
    /** How long a rank has to answer {@code reform} before a fresh process replaces it. */
    static final Duration REFORM_TIMEOUT = Duration.ofSeconds(10);

    /** The interruption watcher saw a notice (local only: from the watcher thread or the SIGTERM hook). */
    public record NoticeSeen(InterruptionWatcher.Notice notice) implements AgentProtocol.Command {}

    /**
     * @param gpus           the node's newest GPU sample, sent with every heartbeat
     * @param archiveLogsEvery how often a running rank's grown output is copied to its job's remote tier ({@link RankLogArchiver})
     */
    public static Behavior<AgentProtocol.Command> create(NodeInfo node, ProcessSupervisor supervisor, CheckpointAgent checkpoints,
            Duration stopGrace, Supplier<List<AgentProtocol.GpuSample>> gpus, Duration archiveLogsEvery) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Agent(ctx, timers, node, supervisor, checkpoints, stopGrace, gpus,
                archiveLogsEvery)));
    }

    private final NodeInfo node;
    private final ProcessSupervisor supervisor;
    private final CheckpointAgent checkpoints;
    private final Duration stopGrace;
    private final ManagerLink link;
    /** What each rank this agent started did, newest generations kept (for a job manager that takes over). */
    private final RankStatuses ranks = new RankStatuses();
    /** The rank process of each job on this node (one rank per node), with the generation it serves now. */
    private final Map<String, LiveRank> live = new HashMap<>();
    /** Staged starts still restoring, by job; and the job's real start that came meanwhile (it starts after that restore). */
    private final Map<String, AgentProtocol.StartGeneration> staging = new HashMap<>();
    private final Map<String, AgentProtocol.StartGeneration> afterStaging = new HashMap<>();
    /** The agent's own secrets, masked in everything it passes on from ranks. */
    private final Redactor redactor;
    private final TimerScheduler<AgentProtocol.Command> timers;
    private final ContractMessages contract;
    private final RankLogArchiver logs;
    private final NodeQueries queries;
    private final RequestReports requests;
    private final Reforms reforms;
    private final RendezvousOffer rendezvous;

    private Agent(ActorContext<AgentProtocol.Command> ctx, TimerScheduler<AgentProtocol.Command> timers, NodeInfo node,
            ProcessSupervisor supervisor, CheckpointAgent checkpoints, Duration stopGrace, Supplier<List<AgentProtocol.GpuSample>> gpus,
            Duration archiveLogsEvery) {
        super(ctx);
        this.timers = timers;
        this.node = node;
        this.supervisor = supervisor;
        this.redactor = Redactor.of(System.getenv(), supervisor.secretValues());
        this.checkpoints = checkpoints;
        this.stopGrace = stopGrace;
        this.rendezvous = new RendezvousOffer(node.host(), ctx.getLog());
        this.link = new ManagerLink(node.nodeId(), ctx.getLog(), gpus, () -> this.rendezvous.current());
        this.queries = new NodeQueries(node, supervisor, redactor, ctx.getLog());
        this.requests = new RequestReports(checkpoints, node.nodeId(), this);
        timers.startTimerWithFixedDelay(RequestReports.Tick.INSTANCE, RequestReports.EVERY);
        this.reforms = new Reforms(node.nodeId(), timers, supervisor, live, stopGrace, ctx.getLog(), this::startFresh, this::restore,
                this::report);
        this.contract = new ContractMessages(ctx.getLog(), node.nodeId(), redactor, checkpoints, supervisor, stopGrace, this);
        // masks the secrets as they are at each copy (a job secret added to the node later too)
        this.logs = new RankLogArchiver(node.nodeId(), checkpoints::remoteTier, () -> Redactor.of(System.getenv(), supervisor.secretValues()),
                archiveLogsEvery);
        ctx.getSystem().receptionist().tell(Receptionist.register(AgentProtocol.SERVICE_KEY, ctx.getSelf()));
        ctx.getLog().info("agent {} up {} ms after its JVM started: {} {} {} GPU(s)", node.nodeId(),
                ManagementFactory.getRuntimeMXBean().getUptime(), node.market().label(), node.instanceType(), node.gpus());
    }

    @Override
    public Receive<AgentProtocol.Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(AgentProtocol.DescribeNode.class, this::onDescribe)
                .onMessage(AgentProtocol.AllocatePort.class, answer(m -> {
                    rendezvous.renew();
                    queries.allocatePort(m);
                }))
                .onMessage(AgentProtocol.StartGeneration.class, this::onStart)
                .onMessage(AgentProtocol.StopGeneration.class, this::onStop)
                .onMessage(AgentProtocol.RequestCheckpoint.class, this::onRequestCheckpoint)
                .onMessage(AgentProtocol.Probe.class, answer(queries::probe))
                .onMessage(AgentProtocol.TailRankLog.class, answer(queries::tail))
                .onMessage(ContractMessage.class, this::onContract)
                .onMessage(RestoreFinished.class, this::onRestoreFinished)
                .onMessage(NoticeSeen.class, this::onNotice)
                .onMessage(RankProcessExited.class, this::onExited)
                .onMessage(ParkTimedOut.class, t -> {
                    reforms.onParkTimeout(t);
                    return this;
                })
                .onMessage(ReformTimedOut.class, t -> {
                    reforms.onReformTimeout(t);
                    return this;
                })
                .onMessageEquals(RequestReports.Tick.INSTANCE, () -> {
                    requests.report(live.values());
                    return this;
                })
                .onMessageEquals(Beat.INSTANCE, () -> {
                    link.beat(getContext().getSelf());
                    return this;
                })
                .onSignal(PostStop.class, s -> {
                    logs.close(); // the last copies of what still runs: the agent stops with its machine
                    return this;
                })
                .build();
    }

    private Behavior<AgentProtocol.Command> onDescribe(AgentProtocol.DescribeNode m) {
        link.described(m, getContext().getSelf(), new AgentProtocol.NodeDescribed(node, getContext().getSelf(), ranks.all(),
                rendezvous.current()),
                every -> timers.startTimerWithFixedDelay(Beat.INSTANCE, every));
        return this;
    }

    private Behavior<AgentProtocol.Command> onNotice(NoticeSeen m) {
        var n = m.notice();
        logs.copyAllNow();
        link.unsolicited(new AgentProtocol.NodeInterruptionNotice(node.nodeId(), n.kind(), n.action(),
                n.deadline() == null ? null : n.deadline().toString(), n.seenAt().toString()));
        return this;
    }

    /** A query answered from {@link NodeQueries}: nothing of the agent's state changes. */
    private <M> Function<M, Behavior<AgentProtocol.Command>> answer(Consumer<M> query) {
        return m -> {
            query.accept(m);
            return this;
        };
    }

    /**
     * A rank of the job parked here (a survivor, or a newcomer staged ahead) re-forms in place;
     * otherwise a new process starts, once its resume step is in the local tier, verified
     * (restored off the actor thread). A staged process not yet parked joins once it is.
     */
    private Behavior<AgentProtocol.Command> onStart(AgentProtocol.StartGeneration m) {
        if (m.rank() == 0) rendezvous.started(m.masterPort());
        if (m.standby()) {
            if (live.containsKey(m.jobId())) return this; // the job already has its process here
            staging.put(m.jobId(), m);
            checkpoints.warmPeers(m.jobId(), m.peerUrls()); // its re-form fetches the step it joins at from one of them
            return startFresh(m);
        }
        if (staging.containsKey(m.jobId())) { // a staged start is restoring into the same tier: start fresh once it is done
            afterStaging.put(m.jobId(), m);
            return this;
        }
        var r = live.get(m.jobId());
        if (r != null && !m.standby() && r.process.process().isAlive()
                && (r.generation() < m.generation() || (r.standby && r.generation() == m.generation()))) {
            if (r.state == LiveRank.State.PARKED) return reform(r, m);
            if (r.state == LiveRank.State.STAGING) {
                r.pending = m;
                return this;
            }
        }
        return startFresh(m);
    }

    private Behavior<AgentProtocol.Command> startFresh(AgentProtocol.StartGeneration m) {
        if (m.resumeStep() <= 0) {
            return startRank(m);
        }
        restore(m, null);
        return this;
    }

    private void restore(AgentProtocol.StartGeneration m, LiveRank reforming) {
        ActorRef<AgentProtocol.Command> self = getContext().getSelf();
        CompletableFuture.runAsync(() -> {
            try {
                var r = checkpoints.restore(m.jobId(), m.resumeStep(), m.peerDigests(), m.checkpointRemote(), m.worldSize());
                self.tell(new RestoreFinished(m, r.source(), null, reforming));
            } catch (Exception e) {
                self.tell(new RestoreFinished(m, null, e.getMessage(), reforming));
            }
        });
    }

    private Behavior<AgentProtocol.Command> onRestoreFinished(RestoreFinished r) {
        var m = r.start();
        if (r.reforming() != null) {
            if (r.reforming().state != LiveRank.State.REFORMING || r.reforming().assignment != m) return this; // stopped meanwhile
            if (r.error() != null) {
                reforms.fallback(r.reforming(), "step " + m.resumeStep() + " could not be restored: " + r.error());
                return this;
            }
            getContext().getLog().info("job {} rank {}: step {} restored from {} for the re-form", m.jobId(), m.rank(), m.resumeStep(),
                    r.source());
            reforms.send(r.reforming(), m, false);
            return this;
        }
        if (r.error() != null) {
            getContext().getLog().error("job {} rank {}{}: {}", m.jobId(), m.rank(), m.standby() ? " (staged)" : "", r.error());
            if (m.standby()) { // a staged newcomer that cannot restore is simply not there: its generation starts it fresh
                staging.remove(m.jobId(), m);
                var overtaking = afterStaging.remove(m.jobId());
                return overtaking == null ? this : startFresh(overtaking);
            }
            m.replyTo().tell(new AgentProtocol.RankFailedToStart(m.jobId(), m.generation(), m.rank(), node.nodeId(),
                    redactor.redact(r.error())));
            return this;
        }
        getContext().getLog().info("job {} rank {}: step {} restored from {}", m.jobId(), m.rank(), m.resumeStep(), r.source());
        return startRank(m);
    }

    private Behavior<AgentProtocol.Command> startRank(AgentProtocol.StartGeneration m) {
        if (m.standby() && (staging.remove(m.jobId()) != m || live.containsKey(m.jobId()) || afterStaging.containsKey(m.jobId()))) {
            getContext().getLog().info("job {}: the staged start is not needed any more (the generation started first)", m.jobId());
            var overtaking = afterStaging.remove(m.jobId());
            return overtaking == null ? this : startFresh(overtaking);
        }
        supervisor.stopOlderGenerations(m.jobId(), m.generation(), stopGrace);
        try {
            ActorRef<AgentProtocol.Command> me = getContext().getSelf();
            var slot = new AtomicReference<LiveRank>();
            RankProcess rank = supervisor.start(m, line -> me.tell(new ContractMessage(slot, line)));
            var copies = logs.watch(m.jobId(), m.generation(), m.rank(), rank.pid(), rank.logFile(), m.checkpointRemote());
            var lr = new LiveRank(rank, m);
            slot.set(lr);
            live.put(m.jobId(), lr);
            if (m.standby()) {
                lr.standby = true;
                lr.state = LiveRank.State.STAGING;
                timers.startSingleTimer(new ParkTimedOut(m.jobId(), m.generation()), PARK_TIMEOUT);
                getContext().getLog().info("job {}: staged a process ahead of generation {} (pid {}, step {})", m.jobId(), m.generation(),
                        rank.pid(), m.resumeStep());
            } else {
                getContext().getLog().info("job {} generation {} rank {}/{} started: pid {}, log {}", m.jobId(), m.generation(),
                        m.rank(), m.worldSize(), rank.pid(), rank.logFile());
                report(m.replyTo(), new AgentProtocol.RankStarted(m.jobId(), m.generation(), m.rank(), node.nodeId(), rank.pid(),
                        rank.logFile().toString()));
            }
            rank.process().onExit().thenAcceptAsync(p -> {
                rank.control().awaitDrained(Duration.ofSeconds(2)); // its last messages first, then its exit
                rank.control().close();
                logs.exited(rank.logFile(), copies);
                me.tell(new RankProcessExited(lr, p.exitValue()));
            });
        } catch (IOException e) {
            String why = redactor.redact(e.getMessage());
            getContext().getLog().error("job {} rank {} could not start: {}", m.jobId(), m.rank(), why);
            if (!m.standby()) m.replyTo().tell(new AgentProtocol.RankFailedToStart(m.jobId(), m.generation(), m.rank(), node.nodeId(), why));
        }
        return this;
    }

    /** Stops the rank, or parks it (a survivor whose rank can re-form in place: contract v2). */
    private Behavior<AgentProtocol.Command> onStop(AgentProtocol.StopGeneration m) {
        var r = live.get(m.jobId());
        if (m.park() && r != null && r.generation() == m.generation()
                && (r.state == LiveRank.State.PARKED || r.state == LiveRank.State.PARKING)) {
            if (r.state == LiveRank.State.PARKED) contract.reportParked(r); // asked again (a new job manager): it is parked already
            return this;
        }
        if (m.park() && r != null && r.generation() == m.generation() && r.reformable && r.state == LiveRank.State.RUNNING
                && supervisor.request(m.jobId(), m.generation(), ControlServer.message(Contract.PARK))) {
            getContext().getLog().info("parking job {} generation {} rank {} for an in-place re-form: {}", m.jobId(), m.generation(),
                    r.assignment.rank(), m.reason());
            r.state = LiveRank.State.PARKING;
            timers.startSingleTimer(new ParkTimedOut(m.jobId(), m.generation()), PARK_TIMEOUT);
            return this;
        }
        if (r != null && r.generation() == m.generation() && r.state == LiveRank.State.REFORMING) {
            // its generation restarts (a member left while it formed) or ended: the process stops, no fresh one replaces it
            timers.cancel(new ReformTimedOut(m.jobId(), m.generation()));
            r.state = LiveRank.State.STOPPING;
        }
        var staged = staging.get(m.jobId());
        if (staged != null && staged.generation() == m.generation()) { // not started yet: it never will be
            staging.remove(m.jobId());
            afterStaging.remove(m.jobId());
        }
        getContext().getLog().info("stopping job {} generation {}: {}", m.jobId(), m.generation(), m.reason());
        supervisor.stop(m.jobId(), m.generation(), stopGrace);
        return this;
    }

    /** The parked rank moves to the next generation in place ({@link Reforms#reform}). */
    @Override
    public Behavior<AgentProtocol.Command> reform(LiveRank r, AgentProtocol.StartGeneration m) {
        reforms.reform(r, m);
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

    /** A rank's contract message: a report for the job manager, or a step of an in-place re-form ({@link ContractMessages}). */
    private Behavior<AgentProtocol.Command> onContract(ContractMessage c) {
        var next = contract.on(c.rank().get(), c.message());
        return next == null ? this : next;
    }

    private Behavior<AgentProtocol.Command> onExited(RankProcessExited m) {
        LiveRank r = m.rank();
        var s = r.assignment;
        if (r.state == LiveRank.State.ABANDONED) {
            getContext().getLog().info("job {} rank {}: the replaced process (pid {}) exited with code {}", s.jobId(), s.rank(),
                    r.process.pid(), m.exitCode());
            return this;
        }
        if (r.state == LiveRank.State.REFORMING) {
            reforms.fallback(r, "it exited with code " + m.exitCode() + " instead of re-forming"); // e.g. it did not hold the step
            return this;
        }
        if (r.standby) { // a staged process that was not needed (or could not be staged): nothing to report
            live.remove(s.jobId(), r);
            getContext().getLog().info("job {}: the staged process (pid {}) exited with code {}", s.jobId(), r.process.pid(), m.exitCode());
            return r.pending == null ? this : startFresh(r.pending);
        }
        requests.report(r); // what this rank's node made of S3 requests since the last report: the job's
        live.remove(s.jobId(), r);
        checkpoints.release(s.jobId());
        getContext().getLog().info("job {} generation {} rank {} exited with code {}", s.jobId(), s.generation(), s.rank(), m.exitCode());
        report(s.replyTo(), new AgentProtocol.RankExited(s.jobId(), s.generation(), s.rank(), node.nodeId(), m.exitCode(),
                redactor.redact(ProcessSupervisor.tail(r.process.logFile(), 20))));
        return this;
    }

    /**
     * Sends a rank's report to the job manager that last described this node (after a hand-over
     * that is the new one; {@code fallback}, the generation's starter, otherwise), and keeps the
     * rank's status for the next DescribeNode.
     */
    @Override
    public void report(ActorRef<AgentProtocol.Report> fallback, AgentProtocol.Report r) {
        ranks.track(r);
        send(fallback, r);
    }

    @Override
    public void reformed(LiveRank r) {
        reforms.reformed(r);
    }

    /** Sends only (safe from other threads, e.g. the uploader's callback: the rank table is the actor's). */
    @Override
    public void send(ActorRef<AgentProtocol.Report> fallback, AgentProtocol.Report r) {
        link.send(fallback, r);
    }
}
