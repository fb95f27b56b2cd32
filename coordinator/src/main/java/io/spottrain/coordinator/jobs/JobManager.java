package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.autoscale.Autoscaler;
import io.spottrain.coordinator.cost.StoragePrices;
import io.spottrain.coordinator.launch.NodeLauncher;
import io.spottrain.coordinator.membership.AgentDirectory;
import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.coordinator.settings.CoordinatorSettings;
import io.spottrain.coordinator.state.StateStore;
import io.spottrain.coordinator.state.StoreWriter;
import io.spottrain.protocol.spec.JobSpec;
import io.spottrain.protocol.wire.AgentProtocol;
import io.spottrain.protocol.wire.WireMessage;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * The control plane's job manager, a cluster singleton on role {@code control}, kept thin: it
 * admits jobs (each becomes a {@link JobMaster} child that owns it), routes agents' reports to
 * them by job id, places waiting jobs on free nodes ({@link PlacementQueue}), keeps the live node
 * registry and the node history (membership itself is the {@link AgentDirectory}'s), launches
 * replacements, and restores every job from the store when it starts on another control node. A
 * job master that crashes fails its own job with the reason; the manager goes on.
 */
public final class JobManager extends AbstractBehavior<JobManager.Command> {

    public interface Command {}

    /** The store counter of job manager epochs: each job manager that starts takes the next and fences its writes with it. */
    public static final String EPOCH_COUNTER = "job-manager-epoch";

    /** {@code by}: who asked (see {@link JobEvent#by}); recorded in the job's events. */
    public record SubmitJob(JobSpec spec, String by, ActorRef<Outcome> replyTo) implements Command, WireMessage {}

    public record CancelJob(String jobId, String reason, String by, ActorRef<Outcome> replyTo) implements Command, WireMessage {}

    public record CheckpointJob(String jobId, String by, ActorRef<Outcome> replyTo) implements Command, WireMessage {}

    /** An operator's resize (see {@link ScalingPolicy}); {@code expectedGeneration} may be null. */
    public record ScaleJob(String jobId, int workers, String message, Long expectedGeneration, String by, ScalingSource source,
            ActorRef<Outcome> replyTo) implements Command, WireMessage {}

    /** A job's desired worker count changed (capacity offers stop there). */
    public record Resized(String jobId, Integer desired) implements Command {}

    /** A resize asks for {@code more} workers: free nodes that fit are offered, the rest launched like {@code like}. */
    public record ScaleUp(String jobId, int more, String like) implements Command {}

    /**
     * A job master wants nodes: for its first generation ({@code resumeStep} -1) or to resume after a recovery;
     * {@code requeued}: it gave every node back for another job and waits its turn like a new one.
     */
    public record WantsNodes(String jobId, JobSpec spec, List<String> preferred, long resumeStep, String submittedAt, int atMost,
            boolean requeued) implements Command {}

    /** {@code then} (may be null): the job's next request, queued before the freed nodes are placed (a survivor keeps its node). */
    public record ReleaseNodes(String jobId, List<String> nodeIds, WantsNodes then) implements Command {
        public ReleaseNodes(String jobId, List<String> nodeIds) {
            this(jobId, nodeIds, null);
        }
    }

    /** The job's other ranks stalled while these stayed silent: no new work for them until they report. */
    public record SuspectNodes(String jobId, List<String> nodeIds) implements Command {}

    public record RequestReplacement(String jobId, String departed) implements Command {}

    /** A job began recovering, or trains again (or ended): its nodes' time is metered as recovery meanwhile. */
    public record JobPhase(String jobId, boolean recovering) implements Command {}

    /** S3 requests a job's agents made to its remote tier (by pricing class), for the cost ledger. */
    public record JobRequests(String jobId, long put, long get) implements Command {}

    /** What a job's checkpoints occupy in the remote tier now; {@code ended}: the job ended and they stay there. */
    public record JobStorage(String jobId, long bytes, boolean ended) implements Command {
        public JobStorage(String jobId, long bytes) {
            this(jobId, bytes, false);
        }
    }

    /**
     * {@code dropped}: the job was never stored (its first write failed) and its actor stops: a placement made for it before
     * this message is released here (its {@code Placed} reached no one).
     */
    public record JobEnded(String jobId, List<String> nodeIds, boolean dropped) implements Command {}

    /**
     * Offer free nodes again (waiting jobs first): a job's scale-up cooldown ended while free nodes
     * fitted it, or {@code declinedBy} judged a growth not worth it (left out of offers for a while).
     */
    public record OfferCapacity(String declinedBy) implements Command {}

    /** The autoscaler's state for {@code autoscaler status} ({@link Autoscaler.Status#disabled} without a policy). */
    public record AutoscalerStatus(ActorRef<Autoscaler.Status> replyTo) implements Command, WireMessage {}

    /** The API's request for a rank's output, for the node's agent (which answers the request's {@code replyTo}). */
    public record TailRankLog(String nodeId, AgentProtocol.TailRankLog request) implements Command, WireMessage {}

    /** Reserve up to {@code count} free nodes that fit the job for its next generation (staged newcomers); none while a job waits. */
    public record Reserve(String jobId, JobSpec spec, int count) implements Command {}

    private record Reported(AgentProtocol.Report report) implements Command {}

    private record Membership(AgentDirectory.Event event) implements Command {}

    private record Restored(JobStore.Loaded loaded, Throwable error) implements Command {}

    private record ExpectedNodesTimedOut() implements Command {}

    /**
     * {@code launcher} may be set after start (a local cluster creates it once the cluster endpoint
     * is known); empty: no replacements, no fleet to admit against. {@code prices}: the launcher whose shapes price
     * registering nodes (the same one, also where replacements are off).
     */
    public static Behavior<Command> create(CoordinatorSettings settings, Clock clock, AtomicReference<NodeLauncher> launcher,
            AtomicReference<NodeLauncher> prices, StateStore store) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> Behaviors.withStash(10_000, stash -> {
            var m = new JobManager(ctx, timers, stash, settings, clock, launcher, prices, store);
            return m.loading();
        })));
    }

    private final TimerScheduler<Command> timers;
    private final StashBuffer<Command> stash;
    private final CoordinatorSettings settings;
    private final Clock clock;
    private final StateStore store;
    private final Executor blocking;
    private ActorRef<StoreWriter.Command> writer;
    private ActorRef<StoreWriter.Command> historyWriter;
    private StateStore.Fence fence;
    private MasterFailure failures;
    private final ActorRef<AgentProtocol.Report> reports;
    private final ManagerSubmits submits;
    /** Every change of a node's record is stored (the node history) and metered, through the ledger's writer. */
    private final WorkerNodes nodes = new WorkerNodes(this::onNodeChanged);
    private final Map<String, ActorRef<JobMaster.Command>> masters = new HashMap<>();
    /** The specs of the jobs in progress (for growth offers). */
    private final Map<String, Job> jobs = new HashMap<>();
    private final ManagerLedger ledger;
    private final PlacementQueue queue = new PlacementQueue();
    private final Replacements replacements;
    private final LauncherUpkeep upkeep;
    private final ManagerFleet fleet;
    private final ManagerPreemption preemption = new ManagerPreemption(getContext().getLog());
    private final ManagerCapacity capacity = new ManagerCapacity(nodes, queue, jobs, masters, this::now);
    private final String self;
    private final ManagerAgents agents;

    private JobManager(ActorContext<Command> ctx, TimerScheduler<Command> timers, StashBuffer<Command> stash, CoordinatorSettings settings,
            Clock clock, AtomicReference<NodeLauncher> launcher, AtomicReference<NodeLauncher> prices, StateStore store) {
        super(ctx);
        this.timers = timers;
        this.stash = stash;
        this.settings = settings;
        this.clock = clock;
        this.store = store;
        this.blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
        this.reports = ctx.messageAdapter(AgentProtocol.Report.class, Reported::new);
        this.submits = new ManagerSubmits(ctx, new JobIds(store), blocking, settings.allowedRemotes(), this::spawnSubmitted);
        this.replacements = new Replacements(ctx, timers, launcher, blocking, settings.replacementAttempts(),
                id -> Optional.ofNullable(jobs.get(id)).map(Job::spec));
        this.upkeep = new LauncherUpkeep(ctx, timers, launcher, blocking, clock, settings.launcherUpkeepInterval());
        this.ledger = new ManagerLedger(ctx, id -> Optional.ofNullable(jobs.get(id)).map(Job::spec), () -> capacity.liveMasters(),
                preemption::requeueable, store, blocking, settings.budgetsFile(), settings.ledgerTick(),
                new StoragePrices(settings.storageUsdPerGibMonth(), settings.s3PutUsdPer1000(), settings.s3GetUsdPer1000(),
                        settings.keptCheckpointsFor()));
        capacity.holdBy(ledger::holdReason, settings.quotasFile(), ctx.getLog());
        this.fleet = new ManagerFleet(ctx, settings, nodes, queue, launcher, prices, blocking, clock, ledger::scaleUpBlocked, capacity::quotaHeld,
                store);
        this.self = Cluster.get(ctx.getSystem()).selfMember().address().toString();
        var directory = ctx.spawn(AgentDirectory.create(reports, ctx.messageAdapter(AgentDirectory.Event.class, Membership::new),
                new AgentDirectory.Settings(settings.heartbeatInterval(), settings.heartbeatTimeout())), "agent-directory");
        this.agents = new ManagerAgents(this, ctx.getLog(), nodes, masters, directory, fleet::priced);
        ctx.pipeToSelf(CompletableFuture.supplyAsync(() -> JobStore.load(store), blocking), Restored::new);
    }

    /** Until the jobs are read from the store, everything else waits. */
    private Behavior<Command> loading() {
        return Behaviors.receive(Command.class).onMessage(Restored.class, this::onRestored).onAnyMessage(m -> {
            stash.stash(m);
            return Behaviors.same();
        }).build();
    }

    private Behavior<Command> onRestored(Restored r) {
        if (r.error() != null) {
            // a store we cannot read must not be overwritten by a job manager that thinks it is empty
            getContext().getLog().error("cannot read the control-plane state; the job manager stops: {}", r.error().toString());
            throw new IllegalStateException("cannot read the control-plane state", r.error());
        }
        var loaded = r.loaded();
        fence = new StateStore.Fence(JobStore.EPOCH, loaded.epoch());
        writer = getContext().spawn(StoreWriter.create(store, fence), "store-writer", StoreWriter.props());
        getContext().watch(writer);
        failures = new MasterFailure(getContext(), store, writer, clock);
        historyWriter = ledger.open(fence);
        fleet.open(historyWriter);
        for (Job job : loaded.jobs()) {
            if (job.inProgress()) job.members().forEach(m -> nodes.claim(m.nodeId(), job.id()));
            if (job.state() == JobState.RECOVERING) ledger.onJobPhase(new JobPhase(job.id(), true), now(), this); // restored mid-recovery
            spawn(job, JobMaster.create(job, true, deps()));
        }
        ledger.resume(loaded.ledger());
        timers.startTimerWithFixedDelay(ManagerLedger.Tick.INSTANCE, settings.ledgerTick());
        nodes.expect(loaded.expected());
        nodes.riskModel(settings.interruptionRiskWindow(), fleet.priors(settings.preemptionPrior()), loaded.ended());
        if (nodes.expecting()) timers.startSingleTimer(new ExpectedNodesTimedOut(), settings.reattachGrace());
        getContext().getLog().info("job manager (epoch {}) started on {} with {} job(s) in progress ({} stored) from {}", loaded.epoch(), self,
                loaded.jobs().size(), loaded.stored(), store.describe());
        return stash.unstashAll(this);
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(SubmitJob.class, m -> submits.admit(m, replacements.launcher(), nodes::risks, now(), this))
                .onMessage(ManagerSubmits.Prepared.class, p -> submits.onPrepared(p, this))
                .onMessage(CancelJob.class, m -> route(m.jobId(), m.replyTo(), new JobMaster.Cancel(m.reason(), m.by(), m.replyTo())))
                .onMessage(CheckpointJob.class, m -> route(m.jobId(), m.replyTo(), new JobMaster.Checkpoint(m.by(), m.replyTo())))
                .onMessage(ScaleJob.class, m -> route(m.jobId(), m.replyTo(), new JobMaster.Scale(m.workers(), m.message(),
                        m.expectedGeneration(), m.by(), m.source(), m.replyTo())))
                .onMessage(Resized.class, r -> capacity.onResized(r, this))
                .onMessage(ScaleUp.class, u -> {
                    capacity.launchesFor(u, canReplace()).forEach(r -> replacements.request(r, nodes::lastKnown, this));
                    return scheduled();
                })
                .onMessage(Reported.class, m -> agents.onReport(m.report()))
                .onMessage(Membership.class, m -> agents.onMembership(m.event()))
                .onMessage(TailRankLog.class, agents::onTailRankLog)
                .onMessage(WantsNodes.class, this::onWantsNodes)
                .onMessage(ReleaseNodes.class, r -> {
                    if (r.then() != null) queue.add(r.then()); // ahead of the release's placement round
                    release(r.jobId(), r.nodeIds());
                    return this;
                })
                .onMessage(SuspectNodes.class, agents::onSuspect)
                .onMessage(RequestReplacement.class, r -> replacements.request(r, nodes::lastKnown, this))
                .onMessage(Replacements.Launched.class, l -> replacements.onLaunched(l, masters::get, this))
                .onMessage(Replacements.Retry.class, r -> replacements.retry(r))
                .onMessage(LauncherUpkeep.Tick.class, t -> upkeep.onTick(nodes::knownNames, this))
                .onMessage(LauncherUpkeep.Done.class, d -> upkeep.onDone(d, this))
                .onMessage(ManagerFleet.Asked.class, a -> fleet.onAsked(a, this))
                .onMessage(AutoscalerStatus.class, s -> fleet.status(s, this))
                .onMessage(JobEnded.class, this::onJobEnded)
                .onMessage(OfferCapacity.class, m -> {
                    if (m.declinedBy() != null) capacity.declined(m.declinedBy(), now());
                    return scheduled();
                })
                .onMessage(Reserve.class, r -> capacity.onReserve(r, this))
                .onMessage(ExpectedNodesTimedOut.class, t -> agents.onExpectedGone(settings.reattachGrace(), now()))
                .onMessage(JobPhase.class, p -> ledger.onJobPhase(p, now(), this))
                .onMessage(JobStorage.class, st -> ledger.onStorage(st, now(), this))
                .onMessage(JobRequests.class, r -> ledger.onRequests(r, this))
                .onMessage(ManagerPreemption.Requeueable.class, r -> preemption.onRequeueable(r, () -> schedule(false), this))
                .onMessage(ManagerLedger.BudgetsChecked.class, c -> ledger.onChecked(c, now(), this))
                .onMessage(ManagerLedger.Tick.class, this::onLedgerTick)
                .onMessage(MasterFailure.Drained.class, d -> failures.onDrained(d, nodes.agents(), this))
                .onSignal(ChildFailed.class, this::onMasterFailed)
                .onSignal(Terminated.class, this::onMasterStopped)
                .onSignal(PostStop.class, s -> ledger.flush(fence, now(), this))
                .build();
    }

    // ---- jobs ----

    /** A job submitted now: its master stores it with its first change and answers {@code submit} then. */
    private void spawnSubmitted(Job job, JobMaster.Submit submit) {
        spawn(job, JobMaster.create(job, submit, deps()));
    }

    private JobHandlers.Deps deps() {
        return new JobHandlers.Deps(getContext().getSelf(), writer, reports, settings, clock, self, getContext().getSelf());
    }

    private void spawn(Job job, Behavior<JobMaster.Command> master) {
        var ref = getContext().spawn(Behaviors.supervise(master).onFailure(SupervisorStrategy.stop()),
                "job-" + job.id().replaceAll("[^A-Za-z0-9_-]", "_"));
        getContext().watch(ref);
        masters.put(job.id(), ref);
        jobs.put(job.id(), job);
    }

    private Behavior<Command> route(String jobId, ActorRef<Outcome> replyTo, JobMaster.Command command) {
        var master = masters.get(jobId);
        if (master == null) {
            replyTo.tell(new Outcome.Refused(Outcome.Refusal.NOT_FOUND, "no job named " + jobId + " is in progress"));
        } else {
            master.tell(command);
        }
        return this;
    }

    private Behavior<Command> onJobEnded(JobEnded e) {
        queue.remove(e.jobId());
        jobs.remove(e.jobId()); // its actor lingers for late uploads, but an ended job is offered nothing and outranks no one
        preemption.onRequeueable(new ManagerPreemption.Requeueable(e.jobId(), false), () -> {}, this);
        if (e.dropped()) nodes.releaseAll(e.jobId()); // nothing is placed for it after this: it left the queue above
        release(e.jobId(), e.nodeIds());
        return this;
    }

    private Behavior<Command> onMasterFailed(ChildFailed f) {
        String jobId = jobOf(f.getRef());
        if (jobId != null) {
            masters.remove(jobId);
            jobs.remove(jobId);
            queue.remove(jobId);
            failures.fail(jobId, f.getCause(), nodes.agents());
            ledger.onJobPhase(new JobPhase(jobId, false), now(), this);
            ledger.onStorage(new JobStorage(jobId, 0), now(), this); // the master that would have said so is gone
            nodes.releaseAll(jobId);
            schedule();
        }
        return this;
    }

    private Behavior<Command> onMasterStopped(Terminated t) {
        if (t.getRef().equals(writer) || t.getRef().equals(historyWriter)) {
            // fenced off: a newer job manager owns the state; this one must not act on anything any more
            getContext().getLog().error("a store writer stopped (a newer job manager took over); this job manager stops");
            return Behaviors.stopped();
        }
        String jobId = jobOf(t.getRef());
        if (jobId != null) {
            masters.remove(jobId);
            jobs.remove(jobId);
        }
        return this;
    }

    private String jobOf(ActorRef<?> ref) {
        return masters.entrySet().stream().filter(e -> e.getValue().equals(ref)).map(Map.Entry::getKey).findFirst().orElse(null);
    }

    // ---- placement ----

    private Behavior<Command> onWantsNodes(WantsNodes w) {
        queue.add(w);
        return scheduled();
    }

    void schedule() {
        schedule(true);
    }

    private Behavior<Command> scheduled() {
        schedule(true);
        return this;
    }

    /** Every ledger tick: the ledger's (open segments, budgets), and the quotas file read again if it changed. */
    private Behavior<Command> onLedgerTick(ManagerLedger.Tick t) {
        if (capacity.pollQuotas()) schedule();
        return ledger.onTick(now(), this);
    }

    /** {@link ManagerCapacity#schedule}: places waiting jobs; with {@code offer} the rest is offered to running jobs. */
    void schedule(boolean offer) {
        capacity.schedule(offer, now(), preemption);
    }

    private void release(String jobId, List<String> nodeIds) {
        for (String n : nodeIds) nodes.release(n, jobId);
        schedule();
    }

    /** Whether lost or noticed nodes can be replaced (a launcher is set and replacements are on). */
    boolean canReplace() {
        return replacements.launcher() != null;
    }

    private void onNodeChanged(NodeRecord n) {
        ledger.onChange(n, now());
    }

    Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }
}
