package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.state.StateStore;
import io.spottrain.coordinator.state.StoreWriter;
import io.spottrain.protocol.wire.AgentProtocol;
import io.spottrain.protocol.wire.AgentProtocol.JobReport;
import io.spottrain.protocol.wire.NodeInfo;
import java.util.List;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.BehaviorBuilder;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * One job's actor, a child of the {@link JobManager}: it owns the job's state, its generations,
 * its recoveries and its timers, and stores every change before acting on it ({@link JobOutbox}).
 * It has a behaviour per state — pending, forming, running, recovering, ended — each accepting
 * only what means something then; the decisions are {@link ElasticPolicy}'s pure functions; the
 * handlers live in {@link JobHandlers}. Placement is the manager's: the job asks for nodes
 * ({@link JobManager.WantsNodes}) and gets them ({@link Placed}).
 */
public final class JobMaster {

    public interface Command {}

    /**
     * A node given to the job and its agent: {@code rendezvousPort} the port its agent offered and the manager took for this generation
     * (given to rank 0's node only; 0: none, the job asks rank 0's agent for one).
     */
    public record Assignment(NodeInfo info, ActorRef<AgentProtocol.Command> agent, int rendezvousPort) {
        public Assignment(NodeInfo info, ActorRef<AgentProtocol.Command> agent) {
            this(info, agent, 0);
        }
    }

    /** The manager placed the job's next generation on these nodes (rank order). */
    public record Placed(List<Assignment> nodes) implements Command {}

    /** Nodes reserved for the job's next generation, to stage newcomers on (may be none). */
    public record Reserved(List<Assignment> nodes) implements Command {}

    /** The manager could not place the job yet, and why (sent when the reason changes). */
    public record Waiting(String reason) implements Command {}

    /** A report of one of the job's ranks, routed by the manager. */
    public record Reported(JobReport report) implements Command {}

    /** A node of the job registered (again): with what its ranks did while nobody listened. */
    public record NodeRegistered(NodeInfo node, ActorRef<AgentProtocol.Command> agent, List<AgentProtocol.RankStatus> ranks)
            implements Command {}

    public record NodeLost(String nodeId, String why) implements Command {}

    /** A node of the job gave notice; {@code replaceable}: the manager can launch a replacement for it. */
    public record NodeNotice(AgentProtocol.NodeInterruptionNotice notice, boolean replaceable) implements Command {
        public NodeNotice(AgentProtocol.NodeInterruptionNotice notice) {
            this(notice, false);
        }
    }

    /** The notice window of a deferred notice is up: swap now, with or without a replacement. */
    record NoticeSwapDue(String node, long generation) implements Command {}

    public record NodeUnreachable(String nodeId) implements Command {}

    public record Cancel(String reason, String by, ActorRef<Outcome> replyTo) implements Command {}

    /** Every rank of a RUNNING job checkpoints at their next common step. */
    public record Checkpoint(String by, ActorRef<Outcome> replyTo) implements Command {}

    public record ReplacementLaunched(String departed, String nodeId, String what) implements Command {}

    public record ReplacementFailed(String departed, String error, boolean gaveUp) implements Command {}

    record PortTimedOut(long generation) implements Command {}

    record StartTimedOut(long generation) implements Command {}

    record RecoveryTimedOut(long generation) implements Command {}

    record SuspectTimedOut(long generation) implements Command {}

    /** The agents probed in {@code generation} had their time to answer ({@link JobProbes}). */
    record ProbeTimedOut(long generation) implements Command {}

    record ReattachTimedOut(long generation) implements Command {}

    /** The job waited {@code spec.elastic.capacityTimeout} for its workers in this generation's wait. */
    record CapacityTimedOut(long generation) implements Command {}

    /** {@code nodes} free nodes that fit the job are offered to it (the manager has no job waiting for them). */
    public record CapacityFree(int nodes) implements Command {}

    /** Give these nodes back (a waiting job of a higher priority class needs them): a shrink, when the job can. */
    public record Shrink(List<String> nodeIds, String why) implements Command {}

    /** Step aside: checkpoint, give back every node, wait to resume (a waiting job of a higher priority class needs them). */
    public record Requeue(String why) implements Command {}

    /** An operator's resize to {@code workers} (see {@link ScalingPolicy}); {@code expectedGeneration} may be null. */
    public record Scale(int workers, String message, Long expectedGeneration, String by, ScalingSource source, ActorRef<Outcome> replyTo)
            implements Command {}

    /** A cost budget that selects this job was exceeded: recorded as an event with its numbers. */
    public record BudgetExceeded(String text) implements Command {}

    /** The scale-up cooldown of {@code generation} ended while free nodes fit the job: ask the manager to offer them again. */
    record OfferAgain(long generation) implements Command {}

    /** A growth waited this long for the newcomers staged on {@code stagedFor}'s nodes. */
    record StagingTimedOut(long stagedFor) implements Command {}

    /** Ask the launcher again for a node like {@code departed} (the last launch gave up while the job waits below min). */
    record AskAgain(String departed) implements Command {}

    /** After a node re-registered mid-recovery and its ranks' status was applied: ask it again for what is missing. */
    record ResumeRecoveryOn(String nodeId) implements Command {}

    record Stored(StoreWriter.Result result) implements Command {}

    enum Tick implements Command { FLUSH, RETRY, LINGER_OVER, AUTO_CHECKPOINT }

    /** A job submitted now: the puts that store it (with its first change) and the API's submit waiting for them. */
    record Submit(List<StateStore.Put> puts, ActorRef<Outcome> replyTo) {}

    /**
     * A new job ({@code restored} false: it was stored already) or one a new job manager restored
     * from the store.
     */
    public static Behavior<Command> create(Job job, boolean restored, JobHandlers.Deps deps) {
        return create(job, restored, null, deps);
    }

    /** A job submitted now, stored with its first change ({@link JobOutbox#unstored}); {@code submit} hears when it is. */
    static Behavior<Command> create(Job job, Submit submit, JobHandlers.Deps deps) {
        return create(job, false, submit, deps);
    }

    private static Behavior<Command> create(Job job, boolean restored, Submit submit, JobHandlers.Deps deps) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            var h = new JobHandlers(ctx, timers, deps, job);
            var master = new JobMaster(h);
            return h.start(restored, submit, master::behaviour);
        }));
    }

    private final JobHandlers h;
    private final Behavior<Command> pending;
    private final Behavior<Command> forming;
    private final Behavior<Command> running;
    private final Behavior<Command> recovering;
    private final Behavior<Command> ended;

    private JobMaster(JobHandlers h) {
        this.h = h;
        this.pending = common(Behaviors.receive(Command.class)
                .onMessage(Placed.class, h.forming::onPlaced)
                .onMessage(Waiting.class, h::onWaiting)
                .onMessage(CapacityTimedOut.class, h.capacity::onTimedOut));
        this.forming = common(report(report(report(report(Behaviors.receive(Command.class),
                AgentProtocol.PortAllocated.class, h.forming::onPortAllocated),
                AgentProtocol.RankStarted.class, h.forming::onRankStarted),
                AgentProtocol.RankExited.class, h::onRankExited),
                AgentProtocol.RankFailedToStart.class, h.forming::onRankFailedToStart)
                .onMessage(Placed.class, h.forming::onPlacedTooLate)
                .onMessage(NodeLost.class, l -> h.recoveries.onNodeLost(l.nodeId(), l.why()))
                .onMessage(NodeNotice.class, h.notices::onNotice)
                .onMessage(PortTimedOut.class, h.forming::onPortTimeout)
                .onMessage(StartTimedOut.class, h.forming::onStartTimeout));
        this.running = common(report(report(report(report(Behaviors.receive(Command.class),
                AgentProtocol.ProbeAnswered.class, h.probes::onAnswered),
                AgentProtocol.RankStarted.class, h.forming::onRankStarted),
                AgentProtocol.RankExited.class, h::onRankExited),
                AgentProtocol.RankFailedToStart.class, h.forming::onRankFailedToStart)
                .onMessage(Placed.class, h.forming::onPlacedTooLate)
                .onMessage(NodeLost.class, l -> h.recoveries.onNodeLost(l.nodeId(), l.why()))
                .onMessage(NodeNotice.class, h.notices::onNotice)
                .onMessage(SuspectTimedOut.class, h.recoveries::onSuspectTimedOut)
                .onMessage(ProbeTimedOut.class, h.probes::onTimedOut)
                .onMessage(NoticeSwapDue.class, h.notices::onNoticeSwapDue)
                .onMessage(CapacityFree.class, h.capacity::onCapacityFree)
                .onMessage(OfferAgain.class, h.capacity::onOfferAgain));
        this.recovering = common(report(report(Behaviors.receive(Command.class),
                AgentProtocol.RankStarted.class, h.forming::onRankStarted),
                AgentProtocol.RankExited.class, h.recoveries::onExitReport)
                .onMessage(NodeLost.class, l -> h.recoveries.onNodeLost(l.nodeId(), l.why()))
                .onMessage(NodeNotice.class, h.notices::onNotice)
                .onMessage(RecoveryTimedOut.class, h.recoveries::onRecoveryTimedOut)
                .onMessage(SuspectTimedOut.class, h.recoveries::onSuspectTimedOutRecovering)
                .onMessage(Placed.class, h.forming::onPlaced)
                .onMessage(Waiting.class, h::onWaiting)
                .onMessage(CapacityTimedOut.class, h.capacity::onTimedOut)
                .onMessage(AskAgain.class, h.capacity::onAskAgain));
        this.ended = report(report(report(Behaviors.receive(Command.class), AgentProtocol.CheckpointUploaded.class, h.training::onUploaded),
                AgentProtocol.CheckpointsRetained.class, h.training::onRetained), AgentProtocol.S3Requests.class, h.training::onRequests)
                .onMessage(Placed.class, h.forming::onPlacedTooLate)
                .onMessage(Reserved.class, h.staging::onReserved)
                .onMessage(Cancel.class, h.requests::onCancel)
                .onMessage(Checkpoint.class, h.requests::onCheckpoint)
                .onMessage(Scale.class, h.scaling::onScale)
                .onMessage(Stored.class, h::onStored)
                .onMessageEquals(Tick.FLUSH, h::onFlush)
                .onMessageEquals(Tick.RETRY, h::onRetry)
                .onMessageEquals(Tick.LINGER_OVER, h::onLingerOver)
                .onSignal(PostStop.class, stop -> onPostStop())
                .build();
    }

    /** The behaviour of the job's current state. */
    Behavior<Command> behaviour() {
        return switch (h.job().state()) {
            case PENDING -> pending;
            case STARTING -> forming;
            case RUNNING -> running;
            case RECOVERING -> recovering;
            case SUCCEEDED, FAILED, CANCELLED -> h.stopped() ? Behaviors.stopped() : ended;
        };
    }

    /** What every live state accepts: progress, checkpoints, attachments, registration, the API, the store. */
    private Behavior<Command> common(BehaviorBuilder<Command> b) {
        return report(report(report(report(report(report(report(report(report(report(b,
                AgentProtocol.RankProgress.class, h.training::onProgress),
                AgentProtocol.S3Requests.class, h.training::onRequests),
                AgentProtocol.CheckpointsRetained.class, h.training::onRetained),
                AgentProtocol.RankAttached.class, h.training::onAttached),
                AgentProtocol.RankStalled.class, h.training::onStalled),
                AgentProtocol.CheckpointReported.class, h.training::onCheckpointReported),
                AgentProtocol.CheckpointUploaded.class, h.training::onUploaded),
                AgentProtocol.RankDone.class, h.training::onDone),
                AgentProtocol.RankStarted.class, h.forming::onRankStarted),
                AgentProtocol.RankStaged.class, h.staging::onStaged)
                .onMessage(NodeRegistered.class, h.nodes::onNodeRegistered)
                .onMessage(NodeUnreachable.class, h.nodes::onNodeUnreachable)
                .onMessage(NodeLost.class, l -> h.recoveries.onNodeLost(l.nodeId(), l.why()))
                .onMessage(NodeNotice.class, h.notices::onNotice)
                .onMessage(Cancel.class, h.requests::onCancel)
                .onMessage(Checkpoint.class, h.requests::onCheckpoint)
                .onMessage(Scale.class, h.scaling::onScale)
                .onMessage(Reserved.class, h.staging::onReserved)
                .onMessage(StagingTimedOut.class, h.staging::onTimedOut)
                .onMessage(Shrink.class, m -> h.giveBacks.shrink(m.nodeIds(), m.why())) // refused (logged) unless RUNNING
                .onMessage(Requeue.class, m -> h.giveBacks.requeue(m.why())) // the same
                .onMessage(BudgetExceeded.class, e -> h.done(h.job().withEvent(JobEventType.BUDGET_EXCEEDED, null, -1, e.text(), h.now())))
                .onMessage(ReplacementLaunched.class, h.nodes::onReplacementLaunched)
                .onMessage(ReplacementFailed.class, h.nodes::onReplacementFailed)
                .onMessage(ReattachTimedOut.class, h.nodes::onReattachTimeout)
                .onMessage(ResumeRecoveryOn.class, h.nodes::onResumeRecoveryOn)
                .onMessage(Stored.class, h::onStored)
                .onMessageEquals(Tick.FLUSH, h::onFlush)
                .onMessageEquals(Tick.RETRY, h::onRetry)
                .onMessageEquals(Tick.AUTO_CHECKPOINT, h.autoCheckpoint::onTick)
                .onSignal(PostStop.class, stop -> onPostStop())
                .build();
    }

    private Behavior<Command> onPostStop() {
        h.onPostStop();
        return Behaviors.same();
    }

    /** Accepts a routed report of this type (the report types are the agent protocol's own records). */
    private static <R extends JobReport> BehaviorBuilder<Command> report(BehaviorBuilder<Command> b, Class<R> type,
            Function<R, Behavior<Command>> handler) {
        return b.onMessage(Reported.class, m -> type.isInstance(m.report()), m -> handler.apply(type.cast(m.report())));
    }
}
