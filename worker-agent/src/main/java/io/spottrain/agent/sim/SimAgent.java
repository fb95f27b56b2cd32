package io.spottrain.agent.sim;

import io.spottrain.protocol.contract.Contract;
import io.spottrain.protocol.wire.AgentProtocol;
import io.spottrain.protocol.wire.NodeInfo;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * A simulated worker agent for scale tests: it speaks the real agent protocol (registers with the
 * Receptionist, describes itself, heartbeats, allocates a port, starts, checkpoints, stalls, stops
 * and reports like the real one) and simulates its one rank: a step every {@code 1/stepsPerSecond}
 * seconds, progress every step, a checkpoint every interval, done at {@code STEPS}. When a peer's
 * machine becomes unreachable its all-reduce breaks: it stalls at its step, as a real rank does.
 * Many of them share one JVM (a sim host), so losing the host loses them through membership.
 */
public final class SimAgent extends AbstractBehavior<AgentProtocol.Command> {

    /** The host saw a cluster member become unreachable (its agents' ranks with a peer there stall). */
    public record PeerUnreachable(String address) implements AgentProtocol.Command {}

    /** Stop answering anything, heartbeats included, if idle (a hung agent); replies whether it did. */
    public record HangIfIdle(ActorRef<Boolean> replyTo) implements AgentProtocol.Command {}

    /**
     * Heartbeats an agent sends after it last described itself before it may hang: a hang is meant to be of a node its
     * coordinator knows. Asked to describe itself, an agent is not registered until the coordinator has read its answer, which
     * took 0.4-1.3 s while 250 agents joined at once in the scale bench; one that hung before it was registered was timed from
     * before the coordinator knew it (4.4-5.5 s "to detect", docs/benchmarks.md "2026-12-05 b"). Three beats are two
     * heartbeat intervals after its answer: margin over the lag measured, not a guarantee on a slower box.
     */
    static final long HANG_AFTER_BEATS = 3;

    private enum Tick implements AgentProtocol.Command { INSTANCE }

    private enum Beat implements AgentProtocol.Command { INSTANCE }

    /** The one rank this agent runs. */
    private static final class Rank {
        final AgentProtocol.StartGeneration start;
        final long total;
        final long interval;
        long step;
        boolean stalled;

        Rank(AgentProtocol.StartGeneration start, long total) {
            this.start = start;
            this.total = total;
            this.interval = start.checkpointInterval() > 0 ? start.checkpointInterval() : 50;
            this.step = start.resumeStep();
        }
    }

    public static Behavior<AgentProtocol.Command> create(NodeInfo node, double stepsPerSecond) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new SimAgent(ctx, timers, node, stepsPerSecond)));
    }

    private final TimerScheduler<AgentProtocol.Command> timers;
    private final NodeInfo node;
    private final Duration stepTime;
    private ActorRef<AgentProtocol.Report> coordinator;
    private ActorRef<AgentProtocol.Heartbeat> heartbeatTo;
    private long beats;
    /** Heartbeats since it last described itself (a coordinator that took over asks again). */
    private long beatsSinceDescribed;
    private Rank rank;
    /** The rendezvous port offered with the heartbeats (nothing binds it here): another once a rank 0 starts on it. */
    private int offeredPort;

    private SimAgent(ActorContext<AgentProtocol.Command> ctx, TimerScheduler<AgentProtocol.Command> timers, NodeInfo node,
            double stepsPerSecond) {
        super(ctx);
        this.timers = timers;
        this.node = node;
        this.stepTime = Duration.ofNanos((long) (1e9 / stepsPerSecond));
        this.offeredPort = 20_000; // a machine of its own (SimHost): no other agent offers from its ports
        ctx.getSystem().receptionist().tell(Receptionist.register(AgentProtocol.SERVICE_KEY, ctx.getSelf()));
    }

    @Override
    public Receive<AgentProtocol.Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(AgentProtocol.DescribeNode.class, this::onDescribe)
                .onMessageEquals(Beat.INSTANCE, this::onBeat)
                .onMessage(AgentProtocol.AllocatePort.class, this::onAllocatePort)
                .onMessage(AgentProtocol.StartGeneration.class, this::onStart)
                .onMessageEquals(Tick.INSTANCE, this::onTick)
                .onMessage(AgentProtocol.RequestCheckpoint.class, this::onRequestCheckpoint)
                .onMessage(AgentProtocol.StopGeneration.class, this::onStop)
                .onMessage(PeerUnreachable.class, this::onPeerUnreachable)
                .onMessage(HangIfIdle.class, this::onHang)
                .onMessage(AgentProtocol.Probe.class, m -> { // alive: a job whose other ranks stalled asks
                    m.replyTo().tell(new AgentProtocol.ProbeAnswered(m.jobId(), m.generation(), node.nodeId()));
                    return this;
                })
                .onMessage(AgentProtocol.TailRankLog.class, m -> {
                    m.replyTo().tell(new AgentProtocol.RankLog(m.jobId(), m.generation(), m.rank(), node.nodeId(), null, 0, "",
                            "node " + node.nodeId() + " is simulated: its ranks write no output"));
                    return this;
                })
                .build();
    }

    private Behavior<AgentProtocol.Command> onDescribe(AgentProtocol.DescribeNode d) {
        coordinator = d.replyTo();
        d.replyTo().tell(new AgentProtocol.NodeDescribed(node, getContext().getSelf(), List.of(), offeredPort));
        heartbeatTo = d.heartbeatTo();
        beatsSinceDescribed = 0;
        if (heartbeatTo != null && d.heartbeatMillis() > 0) {
            timers.startTimerWithFixedDelay(Beat.INSTANCE, Duration.ofMillis(d.heartbeatMillis()));
            onBeat();
        }
        return this;
    }

    private Behavior<AgentProtocol.Command> onBeat() {
        if (heartbeatTo != null) {
            heartbeatTo.tell(new AgentProtocol.Heartbeat(node.nodeId(), getContext().getSelf(), ++beats, List.of(), offeredPort));
            beatsSinceDescribed++;
        }
        return this;
    }

    private Behavior<AgentProtocol.Command> onAllocatePort(AgentProtocol.AllocatePort a) {
        offeredPort = 20_000 + (offeredPort - 20_000 + 1) % 20_000; // asked instead: offer another, as the real agent does
        a.replyTo().tell(new AgentProtocol.PortAllocated(a.jobId(), a.generation(), node.nodeId(), node.host(),
                20_000 + (int) (Math.abs(a.jobId().hashCode() + a.generation()) % 20_000)));
        return this;
    }

    private Behavior<AgentProtocol.Command> onStart(AgentProtocol.StartGeneration s) {
        if (s.rank() == 0 && s.masterPort() == offeredPort) offeredPort = 20_000 + (offeredPort - 20_000 + 1) % 20_000;
        if (rank != null) exit(Contract.EXIT_RESUMABLE); // an older generation's rank makes way, as the real agent stops it
        long total = Long.parseLong(s.env().getOrDefault("STEPS", "100"));
        rank = new Rank(s, total);
        report(new AgentProtocol.RankStarted(s.jobId(), s.generation(), s.rank(), node.nodeId(), node.pid(), "sim"));
        report(new AgentProtocol.RankAttached(s.jobId(), s.generation(), s.rank(), node.nodeId(), s.resumeStep()));
        timers.startTimerWithFixedDelay(Tick.INSTANCE, stepTime);
        return this;
    }

    private Behavior<AgentProtocol.Command> onTick() {
        if (rank == null || rank.stalled) return this;
        var s = rank.start;
        rank.step++;
        if (s.rank() == 0) { // as the real agent: only rank 0's progress goes to the coordinator
            report(new AgentProtocol.RankProgress(s.jobId(), s.generation(), s.rank(), node.nodeId(), rank.step, 1.0 / rank.step,
                    1e9 / stepTime.toNanos(), rank.total));
        }
        if (rank.step % rank.interval == 0) checkpoint(rank.step, "interval");
        if (rank.step >= rank.total) {
            report(new AgentProtocol.RankDone(s.jobId(), s.generation(), s.rank(), node.nodeId(), rank.step, 1.0 / rank.step,
                    "sim-" + rank.total));
            exit(0);
        }
        return this;
    }

    private void checkpoint(long step, String reason) {
        var s = rank.start;
        report(new AgentProtocol.CheckpointReported(s.jobId(), s.generation(), s.rank(), node.nodeId(), step, "sim/" + step, 1, 1024, 0.1,
                1.0, reason, null));
        if (s.rank() == 0) {
            report(new AgentProtocol.CheckpointUploaded(s.jobId(), s.generation(), node.nodeId(), step, 1024, 5, 1, 0, 0));
        }
    }

    private Behavior<AgentProtocol.Command> onRequestCheckpoint(AgentProtocol.RequestCheckpoint r) {
        if (rank == null || !rank.start.jobId().equals(r.jobId()) || rank.start.generation() != r.generation()) return this;
        checkpoint(r.step() >= 0 ? r.step() : rank.step, "requested");
        return this;
    }

    private Behavior<AgentProtocol.Command> onStop(AgentProtocol.StopGeneration s) {
        if (rank != null && rank.start.jobId().equals(s.jobId()) && rank.start.generation() == s.generation()) exit(Contract.EXIT_RESUMABLE);
        return this;
    }

    private Behavior<AgentProtocol.Command> onPeerUnreachable(PeerUnreachable p) {
        if (rank == null || rank.stalled) return this;
        boolean peerThere = rank.start.peerUrls().stream().anyMatch(u -> u.startsWith("sim://" + p.address() + "/"));
        if (peerThere) {
            rank.stalled = true;
            var s = rank.start;
            report(new AgentProtocol.RankStalled(s.jobId(), s.generation(), s.rank(), node.nodeId(), rank.step, "peer " + p.address()
                    + " unreachable"));
        }
        return this;
    }

    private Behavior<AgentProtocol.Command> onHang(HangIfIdle h) {
        if (rank != null || beatsSinceDescribed < HANG_AFTER_BEATS) { // busy, or not known to its coordinator a while yet
            h.replyTo().tell(false);
            return this;
        }
        h.replyTo().tell(true);
        timers.cancelAll();
        return Behaviors.ignore(); // hung: no heartbeat, no answer, but its JVM stays in the cluster
    }

    private void exit(int code) {
        var s = rank.start;
        timers.cancel(Tick.INSTANCE);
        report(new AgentProtocol.RankExited(s.jobId(), s.generation(), s.rank(), node.nodeId(), code, ""));
        rank = null;
    }

    private void report(AgentProtocol.Report r) {
        (coordinator != null ? coordinator : rank.start.replyTo()).tell(r);
    }
}
