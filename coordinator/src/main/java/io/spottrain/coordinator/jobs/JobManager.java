package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.CoordinatorSettings;
import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.coordinator.membership.NodeRegistry;
import io.spottrain.coordinator.membership.NodeState;
import io.spottrain.coordinator.scheduling.GangScheduler;
import io.spottrain.coordinator.scheduling.Placement;
import io.spottrain.protocol.spec.JobSpec;
import io.spottrain.protocol.wire.AgentProtocol;
import io.spottrain.protocol.wire.WireMessage;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.pattern.StatusReply;

/**
 * The control plane's job manager, a cluster singleton on role {@code control}. It learns worker
 * agents through the Receptionist, keeps the node registry, places pending jobs (gang, one rank per
 * node), forms generations (rendezvous port from the rank-0 agent, then every rank started), and
 * ends jobs: SUCCEEDED when every rank exits 0, FAILED naming the rank and node otherwise.
 */
public final class JobManager extends AbstractBehavior<JobManager.Command> {

    /** Everything the job manager accepts. Messages from other nodes also implement {@link WireMessage}. */
    public interface Command {}

    public record SubmitJob(JobSpec spec, ActorRef<StatusReply<Job>> replyTo) implements Command, WireMessage {}

    public record GetJob(String jobId, ActorRef<StatusReply<Job>> replyTo) implements Command, WireMessage {}

    public record ListJobs(ActorRef<JobList> replyTo) implements Command, WireMessage {}

    public record JobList(List<Job> jobs) implements WireMessage {}

    public record CancelJob(String jobId, String reason, ActorRef<StatusReply<Job>> replyTo)
            implements Command, WireMessage {}

    public record ListNodes(ActorRef<NodeList> replyTo) implements Command, WireMessage {}

    /** Asks every rank of a RUNNING job to checkpoint at their next common step. */
    public record CheckpointJob(String jobId, ActorRef<StatusReply<Job>> replyTo) implements Command, WireMessage {}

    public record NodeList(List<NodeRecord> nodes) implements WireMessage {}

    private record AgentsListed(Receptionist.Listing listing) implements Command {}

    private record AgentReported(AgentProtocol.Report report) implements Command {}

    private record AgentTerminated(String nodeId, ActorRef<AgentProtocol.Command> agent) implements Command {}

    private record ReachabilityChanged(ClusterEvent.ReachabilityEvent event) implements Command {}

    private record PortAllocationTimedOut(String jobId, long generation) implements Command {}

    private record GenerationStartTimedOut(String jobId, long generation) implements Command {}

    private record RecoveryTimedOut(String jobId, long generation) implements Command {}

    /** Every other rank stalled and this node's rank stayed silent for the grace: it is treated as lost. */
    private record SuspectTimedOut(String jobId, long generation, String nodeId) implements Command {}

    public static Behavior<Command> create(CoordinatorSettings settings) {
        return create(settings, Clock.systemUTC(), new java.util.concurrent.atomic.AtomicReference<>(),
                new io.spottrain.coordinator.state.InMemoryStateStore());
    }

    /**
     * {@code launcher} may be set after start (a local cluster creates it once the cluster endpoint
     * is known); empty: no replacements. Jobs are restored from {@code store} when the singleton
     * starts (on this node after another control node hosted it, or after a restart).
     */
    public static Behavior<Command> create(CoordinatorSettings settings, Clock clock,
            java.util.concurrent.atomic.AtomicReference<io.spottrain.coordinator.launch.NodeLauncher> launcher,
            io.spottrain.coordinator.state.StateStore store) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new JobManager(ctx, timers, settings, clock, launcher, store)));
    }

    /** Writes progress-only changes to the store (state changes and events are written at once). */
    private record FlushStore() implements Command {}

    /** Members of restored jobs whose agents did not register again within the grace are lost. */
    private record ReattachTimedOut(String jobId, long generation) implements Command {}

    private final TimerScheduler<Command> timers;
    private final CoordinatorSettings settings;
    private final Clock clock;
    private final ActorRef<AgentProtocol.Report> reports;
    private final NodeRegistry registry = new NodeRegistry();
    private final Map<String, ActorRef<AgentProtocol.Command>> agents = new HashMap<>();
    private final Set<ActorRef<AgentProtocol.Command>> described = new java.util.HashSet<>();
    private final JobTable jobs;
    private final io.spottrain.coordinator.state.StateStore store;
    /** Job numbers persist in the store; this suffix still keeps ids unique when the store did not survive (--store memory) but nodes kept their local tiers. */
    private final String incarnation = String.format("%04x", new java.security.SecureRandom().nextInt(0x10000));

    private final java.util.concurrent.atomic.AtomicReference<io.spottrain.coordinator.launch.NodeLauncher> launcher;
    private int lastRequestedNode;

    private JobManager(ActorContext<Command> ctx, TimerScheduler<Command> timers, CoordinatorSettings settings,
            Clock clock, java.util.concurrent.atomic.AtomicReference<io.spottrain.coordinator.launch.NodeLauncher> launcher,
            io.spottrain.coordinator.state.StateStore store) {
        super(ctx);
        this.store = store;
        this.jobs = new JobTable(store, ctx.getLog());
        this.launcher = launcher;
        this.timers = timers;
        this.settings = settings;
        this.clock = clock;
        this.reports = ctx.messageAdapter(AgentProtocol.Report.class, AgentReported::new);
        ctx.getSystem().receptionist().tell(Receptionist.subscribe(AgentProtocol.SERVICE_KEY,
                ctx.messageAdapter(Receptionist.Listing.class, AgentsListed::new)));
        Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(
                ctx.messageAdapter(ClusterEvent.ReachabilityEvent.class, ReachabilityChanged::new),
                ClusterEvent.ReachabilityEvent.class));
        restore(ctx);
        timers.startTimerWithFixedDelay("flush-store", new FlushStore(), java.time.Duration.ofSeconds(1));
        ctx.getLog().info("job manager started on {} with {} job(s) from {}", Cluster.get(ctx.getSystem()).selfMember().address(),
                jobs.size(), store.describe());
    }

    /**
     * Takes over every job from the store. Jobs that were running keep running: their agents
     * register with this job manager and report their ranks (reconciled in onNodeDescribed); a
     * member whose node does not come back within the reattach grace is treated as lost.
     */
    private void restore(ActorContext<Command> ctx) {
        Instant at = now();
        String self = Cluster.get(ctx.getSystem()).selfMember().address().toString();
        for (Job job : store.jobs()) {
            if (!job.state().terminal()) {
                job = job.withEvent("CONTROL_HANDOVER", null, -1, "job manager restored this job on " + self, at);
                if (job.active() || job.state() == JobState.RECOVERING) {
                    timers.startSingleTimer("reattach-" + job.id(), new ReattachTimedOut(job.id(), job.generation()),
                            settings.reattachGrace());
                }
                if (job.state() == JobState.RECOVERING && job.elastic().recovery() != null) {
                    timers.startSingleTimer(recoveryTimer(job.id()), new RecoveryTimedOut(job.id(), job.generation()),
                            settings.generationStartTimeout());
                }
                if (job.state() == JobState.STARTING) {
                    timers.startSingleTimer(startTimer(job.id()), new GenerationStartTimedOut(job.id(), job.generation()),
                            settings.generationStartTimeout());
                }
                jobs.put(job.id(), job);
            } else {
                jobs.load(job);
            }
        }
    }

    private Behavior<Command> onFlush(FlushStore m) {
        jobs.flush();
        return this;
    }

    private Behavior<Command> onReattachTimeout(ReattachTimedOut t) {
        Job job = jobs.get(t.jobId());
        if (job == null || job.generation() != t.generation() || !(job.active() || job.state() == JobState.RECOVERING)) return this;
        for (Member m : job.members()) {
            if (!agents.containsKey(m.nodeId()) && m.exitCode() == null) {
                nodeLost(m.nodeId(), "did not register with the new job manager within " + settings.reattachGrace().toSeconds() + "s");
            }
        }
        return this;
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(SubmitJob.class, this::onSubmit)
                .onMessage(GetJob.class, this::onGet)
                .onMessage(ListJobs.class, this::onList)
                .onMessage(CancelJob.class, this::onCancel)
                .onMessage(ListNodes.class, this::onListNodes)
                .onMessage(CheckpointJob.class, this::onCheckpointJob)
                .onMessage(AgentsListed.class, this::onAgentsListed)
                .onMessage(AgentReported.class, this::onAgentReported)
                .onMessage(AgentTerminated.class, this::onAgentTerminated)
                .onMessage(ReachabilityChanged.class, this::onReachability)
                .onMessage(PortAllocationTimedOut.class, this::onPortTimeout)
                .onMessage(GenerationStartTimedOut.class, this::onStartTimeout)
                .onMessage(RecoveryTimedOut.class, this::onRecoveryTimeout)
                .onMessage(SuspectTimedOut.class, this::onSuspectTimeout)
                .onMessage(FlushStore.class, this::onFlush)
                .onMessage(ReattachTimedOut.class, this::onReattachTimeout)
                .build();
    }

    // ---- API ----

    private Behavior<Command> onSubmit(SubmitJob m) {
        String id = m.spec().metadata().name() + "-" + store.next("jobs") + "-" + incarnation;
        Job job = Job.submitted(id, m.spec(), now());
        jobs.put(id, job);
        getContext().getLog().info("job {} submitted: {} workers {}..{}", id, m.spec().metadata().name(),
                m.spec().spec().workers().min(), m.spec().spec().workers().max());
        schedule();
        m.replyTo().tell(StatusReply.success(jobs.get(id)));
        return this;
    }

    private Behavior<Command> onGet(GetJob m) {
        Job job = jobs.get(m.jobId());
        m.replyTo().tell(job == null ? StatusReply.error(noSuchJob(m.jobId())) : StatusReply.success(job));
        return this;
    }

    private Behavior<Command> onList(ListJobs m) {
        m.replyTo().tell(new JobList(List.copyOf(jobs.values())));
        return this;
    }

    private Behavior<Command> onListNodes(ListNodes m) {
        m.replyTo().tell(new NodeList(registry.all()));
        return this;
    }

    private Behavior<Command> onCancel(CancelJob m) {
        Job job = jobs.get(m.jobId());
        if (job == null) {
            m.replyTo().tell(StatusReply.error(noSuchJob(m.jobId())));
            return this;
        }
        if (job.state().terminal()) {
            m.replyTo().tell(StatusReply.error("job " + job.id() + " already ended " + job.state()));
            return this;
        }
        String why = m.reason() == null || m.reason().isBlank() ? "cancelled by user" : m.reason();
        end(job, JobState.CANCELLED, why);
        m.replyTo().tell(StatusReply.success(jobs.get(job.id())));
        schedule();
        return this;
    }

    private Behavior<Command> onCheckpointJob(CheckpointJob m) {
        Job job = jobs.get(m.jobId());
        if (job == null) {
            m.replyTo().tell(StatusReply.error(noSuchJob(m.jobId())));
        } else if (job.state() != JobState.RUNNING) {
            m.replyTo().tell(StatusReply.error("job " + job.id() + " is " + job.state() + "; only a RUNNING job can checkpoint"));
        } else {
            for (Member member : job.members()) {
                ActorRef<AgentProtocol.Command> agent = agents.get(member.nodeId());
                if (agent != null) agent.tell(new AgentProtocol.RequestCheckpoint(job.id(), job.generation(), -1));
            }
            Job asked = job.withEvent("CHECKPOINT_REQUESTED", null, -1, "all " + job.worldSize() + " ranks, next common step", now());
            jobs.put(job.id(), asked);
            m.replyTo().tell(StatusReply.success(asked));
        }
        return this;
    }

    // ---- agents and membership ----

    private Behavior<Command> onAgentsListed(AgentsListed m) {
        for (ActorRef<AgentProtocol.Command> agent : m.listing().getServiceInstances(AgentProtocol.SERVICE_KEY)) {
            if (described.add(agent)) {
                agent.tell(new AgentProtocol.DescribeNode(reports));
            }
        }
        return this;
    }

    private Behavior<Command> onAgentReported(AgentReported m) {
        AgentProtocol.Report r = m.report();
        if (r instanceof AgentProtocol.NodeDescribed d) {
            onNodeDescribed(d);
        } else if (r instanceof AgentProtocol.PortAllocated p) {
            onPortAllocated(p);
        } else if (r instanceof AgentProtocol.RankStarted s) {
            onRankStarted(s);
        } else if (r instanceof AgentProtocol.RankExited e) {
            onRankExited(e);
        } else if (r instanceof AgentProtocol.RankFailedToStart f) {
            onRankFailedToStart(f);
        } else if (r instanceof AgentProtocol.RankAttached a) {
            update(a.jobId(), a.generation(), j -> j.withElastic(e -> e.attach(a.rank())));
        } else if (r instanceof AgentProtocol.RankProgress p) {
            update(p.jobId(), p.generation(), j -> p.rank() == 0 ? j.withTraining(t -> t.progress(p.step(), p.loss(), p.samplesPerSec())) : j);
        } else if (r instanceof AgentProtocol.CheckpointReported c) {
            update(c.jobId(), c.generation(), j -> j.withTraining(t -> t.checkpoint(new Training.CheckpointRecord(c.step(),
                    c.generation(), c.rank(), c.nodeId(), c.bytes(), c.stallMs(), c.persistMs(), c.reason(), c.dir()))));
            onRecoveryCheckpoint(c);
        } else if (r instanceof AgentProtocol.CheckpointUploaded u) {
            // uploads finish after a generation may have ended: record them for any job that has this generation
            Job job = jobs.get(u.jobId());
            if (job != null && job.generation() >= u.generation()) {
                jobs.put(job.id(), job.withTraining(t -> t.upload(new Training.UploadRecord(u.step(), u.nodeId(), u.bytes(), u.millis(),
                        u.attempts(), u.backlogSteps(), u.backlogBytes()))));
            }
        } else if (r instanceof AgentProtocol.NodeInterruptionNotice n) {
            onNotice(n);
        } else if (r instanceof AgentProtocol.RankStalled st) {
            update(st.jobId(), st.generation(), j -> j.withEvent("RANK_STALLED", st.nodeId(), st.rank(),
                    "stalled at step " + st.step() + ": " + st.reason(), now()).withElastic(e -> e.stalled(st.rank(), st.step())));
            maybeSuspect(st.jobId(), st.generation());
            maybeAgreeOnStall(st.jobId());
        } else if (r instanceof AgentProtocol.RankDone d) {
            update(d.jobId(), d.generation(), j -> j.withTraining(t -> t.done(d.rank(), d.step(), d.loss(), d.paramsSha256()))
                    .withEvent("RANK_DONE", d.nodeId(), d.rank(), "step " + d.step() + " params-sha256 " + d.paramsSha256(), now()));
        } else {
            getContext().getLog().warn("unexpected agent report {}", r);
        }
        return this;
    }

    private void onNodeDescribed(AgentProtocol.NodeDescribed d) {
        String nodeId = d.node().nodeId();
        ActorRef<AgentProtocol.Command> previous = agents.put(nodeId, d.agent());
        if (previous != null && !previous.equals(d.agent())) {
            getContext().unwatch(previous);
            described.remove(previous);
        }
        registry.register(d.node(), d.agent().path().address().toString(), now());
        getContext().watchWith(d.agent(), new AgentTerminated(nodeId, d.agent()));
        getContext().getLog().info("node {} registered: {} {} {} GPU(s) ${}/h zone {}", nodeId, d.node().market().label(),
                d.node().instanceType(), d.node().gpus(), d.node().pricePerHour(), d.node().zone());
        reattach(nodeId, d.ranks());
        schedule();
    }

    /**
     * A node registered while one of its ranks belongs to a job in progress (this job manager took
     * over from another, or the node reconnected): the node stays with the job, and what its ranks
     * did while nobody listened (said hello, finished, exited) is applied as if reported then.
     */
    private void reattach(String nodeId, List<AgentProtocol.RankStatus> statuses) {
        for (Job job : List.copyOf(jobs.values())) {
            boolean inProgress = job.active() || (job.state() == JobState.RECOVERING && job.elastic().recovery() != null);
            var member = job.memberOn(nodeId);
            if (!inProgress || member.isEmpty()) continue;
            registry.assign(nodeId, job.id());
            Member mm = member.get();
            var status = statuses.stream().filter(st -> st.jobId().equals(job.id()) && st.generation() == job.generation()
                    && st.rank() == mm.rank()).findFirst();
            var replay = new java.util.ArrayList<AgentProtocol.Report>();
            if (status.isEmpty()) {
                if (mm.pid() > 0 && mm.exitCode() == null) {
                    replay.add(new AgentProtocol.RankExited(job.id(), job.generation(), mm.rank(), nodeId, 137,
                            "the agent on " + nodeId + " no longer runs this rank (it restarted)"));
                }
            } else {
                var st = status.get();
                if (mm.pid() == 0) replay.add(new AgentProtocol.RankStarted(job.id(), job.generation(), mm.rank(), nodeId, st.pid(), mm.logFile()));
                if (st.attached() && !job.elastic().attached().contains(mm.rank())) {
                    replay.add(new AgentProtocol.RankAttached(job.id(), job.generation(), mm.rank(), nodeId, job.elastic().resumeStep()));
                }
                if (st.paramsSha256() != null && !job.training().paramsSha256ByRank().containsKey(Integer.toString(mm.rank()))) {
                    replay.add(new AgentProtocol.RankDone(job.id(), job.generation(), mm.rank(), nodeId, st.doneStep(), st.doneLoss(),
                            st.paramsSha256()));
                }
                if (st.exitCode() != null && mm.exitCode() == null) {
                    replay.add(new AgentProtocol.RankExited(job.id(), job.generation(), mm.rank(), nodeId, st.exitCode(), st.logTail()));
                }
            }
            if (!replay.isEmpty()) {
                jobs.put(job.id(), job.withEvent("RANK_REATTACHED", nodeId, mm.rank(), "applying " + replay.stream()
                        .map(r -> r.getClass().getSimpleName()).toList() + " reported while no job manager listened", now()));
            }
            replay.forEach(r -> onAgentReported(new AgentReported(r)));
        }
    }

    private void onNotice(AgentProtocol.NodeInterruptionNotice n) {
        String what = n.kind() + " (" + n.action() + ")" + (n.deadline() == null ? "" : ", deadline " + n.deadline());
        getContext().getLog().warn("node {} interruption notice: {}", n.nodeId(), what);
        if (!n.kind().equals("rebalance")) registry.interrupting(n.nodeId());
        registry.get(n.nodeId()).ifPresent(node -> jobOf(node).filter(Job::active).ifPresent(job -> {
            Job noted = job.withEvent("NODE_NOTICE", n.nodeId(), job.memberOn(n.nodeId()).map(Member::rank).orElse(-1), what, now());
            jobs.put(job.id(), noted);
            if (!n.kind().equals("rebalance") && noted.state() == JobState.RUNNING && recoverable(noted)) {
                beginRecovery(noted, "notice", n.nodeId(), 0);
            } else if (!n.kind().equals("rebalance") && resumable(noted)) {
                restartGeneration(noted, "notice", n.nodeId());
            }
        }));
    }

    private Behavior<Command> onAgentTerminated(AgentTerminated m) {
        described.remove(m.agent());
        if (!m.agent().equals(agents.get(m.nodeId()))) {
            return this; // an older incarnation of a node that registered again
        }
        agents.remove(m.nodeId());
        boolean wasUnreachable = registry.get(m.nodeId()).map(n -> n.state() == NodeState.UNREACHABLE).orElse(false);
        nodeLost(m.nodeId(), wasUnreachable ? "stopped answering heartbeats and was downed" : "left the cluster");
        return this;
    }

    /** A worker node is gone: its jobs recover without it (or fail when they cannot). */
    private void nodeLost(String nodeId, String why) {
        registry.lost(nodeId, why, now());
        getContext().getLog().warn("node {} {}", nodeId, why);
        for (Job job : List.copyOf(jobs.values())) {
            if (!job.active() && job.state() != JobState.RECOVERING) continue;
            job.memberOn(nodeId).ifPresent(member -> {
                Job lost = job.withEvent("NODE_LOST", nodeId, member.rank(), why, now());
                var rec = lost.elastic().recovery();
                if (lost.state() == JobState.RECOVERING && rec == null) {
                    jobs.put(lost.id(), lost); // its generation is closed already: nothing of the job runs there
                } else if (lost.state() == JobState.RECOVERING && !nodeId.equals(rec.node())) {
                    if (rec.survivors().contains(member.rank())) {
                        departDuringRecovery(lost, nodeId, member, why);
                    } else {
                        jobs.put(lost.id(), lost);
                    }
                } else if (lost.state() == JobState.RECOVERING && nodeId.equals(rec.node())) {
                    // the node that gave notice is gone, as announced
                    if (rec.allCheckpointed() || !rec.kind().equals("notice")) {
                        jobs.put(lost.id(), lost);
                        if (member.exitCode() == null) {
                            onRecoveryExit(lost, new AgentProtocol.RankExited(lost.id(), lost.generation(), member.rank(), nodeId, 75, ""));
                        }
                    } else {
                        // gone before the emergency checkpoint: recover like a loss, from what the survivors hold
                        var asKill = new Elastic.Recovery("kill", rec.node(), rec.survivors().stream().filter(r -> r != member.rank()).toList(),
                                -1, Set.of(), Set.of(), rec.startedAt(), rec.detectSeconds(), rec.reachedStep());
                        jobs.put(lost.id(), lost.withElastic(e -> e.withRecovery(asKill)));
                        maybeAgreeOnStall(lost.id());
                    }
                } else if (lost.state() == JobState.RUNNING && recoverable(lost) && lost.worldSize() > 1) {
                    jobs.put(lost.id(), lost);
                    timers.cancel(suspectTimer(lost.id()));
                    double detect = lost.elastic().stalls().isEmpty() ? 0 : secondsSinceFirstStall(lost);
                    beginRecovery(lost, "kill", nodeId, detect);
                } else if (lost.active() && resumable(lost)) {
                    jobs.put(lost.id(), lost);
                    restartGeneration(lost, "kill", nodeId);
                } else {
                    end(lost, JobState.FAILED, "node " + nodeId + " (rank " + member.rank() + ") was lost: it " + why
                            + (recoverable(lost) ? "" : " (its ranks do not speak the training contract, so they cannot be resumed)"));
                }
            });
        }
        schedule();
    }

    private Behavior<Command> onReachability(ReachabilityChanged m) {
        String address = m.event().member().address().toString();
        registry.byAddress(address).ifPresent(node -> {
            if (m.event() instanceof ClusterEvent.UnreachableMember) {
                registry.unreachable(node.nodeId());
                getContext().getLog().warn("node {} is unreachable", node.nodeId());
                jobOf(node).ifPresent(job -> jobs.put(job.id(), job.withEvent("NODE_UNREACHABLE", node.nodeId(),
                        job.memberOn(node.nodeId()).map(Member::rank).orElse(-1), "no heartbeat", now())));
            } else if (m.event() instanceof ClusterEvent.ReachableMember) {
                registry.reachable(node.nodeId());
                getContext().getLog().info("node {} is reachable again", node.nodeId());
            }
        });
        return this;
    }

    // ---- generations ----

    private void schedule() {
        for (Job j : List.copyOf(jobs.values())) {
            if (j.state() == JobState.RECOVERING && j.elastic().recovery() == null) resumeOrWait(j.id(), List.of());
        }
        List<Job> pending = jobs.values().stream()
                .filter(j -> j.state() == JobState.PENDING)
                .sorted(Comparator.comparingInt((Job j) -> -j.spec().spec().priority()).thenComparing(Job::submittedAt))
                .toList();
        for (Job job : pending) {
            Placement p = GangScheduler.place(job.spec(), registry.free());
            if (p.placed()) {
                startGeneration(job, p.nodeIds());
            } else if (!p.waitReason().equals(job.pendingReason())) {
                jobs.put(job.id(), job.withPendingReason(p.waitReason()));
            }
        }
    }

    private void startGeneration(Job pending, List<String> nodeIds) {
        var members = new java.util.ArrayList<Member>();
        for (int r = 0; r < nodeIds.size(); r++) {
            var info = registry.get(nodeIds.get(r)).orElseThrow().info();
            members.add(Member.assigned(r, info.nodeId(), info.market().label(), info.pricePerHour(), info.onDemandPricePerHour()));
        }
        Job job = pending.startGeneration(members, now());
        nodeIds.forEach(n -> registry.assign(n, job.id()));
        jobs.put(job.id(), job);
        getContext().getLog().info("job {} generation {} on {}", job.id(), job.generation(), nodeIds);
        agents.get(nodeIds.get(0)).tell(new AgentProtocol.AllocatePort(job.id(), job.generation(), reports));
        timers.startSingleTimer(portTimer(job.id()), new PortAllocationTimedOut(job.id(), job.generation()),
                settings.portAllocationTimeout());
    }

    private void onPortAllocated(AgentProtocol.PortAllocated p) {
        Job job = current(p.jobId(), p.generation());
        if (job == null || job.state() != JobState.STARTING) return;
        timers.cancel(portTimer(job.id()));
        Job ready = job.withRendezvous(p.host(), p.port())
                .withEvent("RENDEZVOUS", p.nodeId(), 0, "MASTER_ADDR=" + p.host() + " MASTER_PORT=" + p.port(), now());
        jobs.put(job.id(), ready);
        var spec = ready.spec().spec();
        for (Member m : ready.members()) {
            ActorRef<AgentProtocol.Command> agent = agents.get(m.nodeId());
            if (agent == null) continue; // its loss is handled by onAgentTerminated
            List<String> peers = ready.members().stream().filter(o -> !o.nodeId().equals(m.nodeId()))
                    .map(o -> registry.get(o.nodeId()).map(n -> n.info().peerUrl()).orElse(null))
                    .filter(java.util.Objects::nonNull).toList();
            agent.tell(new AgentProtocol.StartGeneration(ready.id(), ready.generation(), m.rank(), ready.worldSize(),
                    p.host(), p.port(), ready.elastic().resumeStep(), spec.checkpoint().intervalSteps(), spec.checkpoint().keep(),
                    spec.checkpoint().remote(),
                    peers, spec.argv(), spec.env(), spec.workingDir(), reports));
        }
        timers.startSingleTimer(startTimer(job.id()), new GenerationStartTimedOut(job.id(), job.generation()),
                settings.generationStartTimeout());
    }

    private void onRankStarted(AgentProtocol.RankStarted s) {
        Job job = current(s.jobId(), s.generation());
        if (job == null) {
            // a rank of a generation that was closed while it was starting: it must not linger
            ActorRef<AgentProtocol.Command> agent = agents.get(s.nodeId());
            if (agent != null) agent.tell(new AgentProtocol.StopGeneration(s.jobId(), s.generation(), "its generation is closed"));
            return;
        }
        job = job.withMember(s.rank(), m -> m.started(s.pid(), s.logFile()))
                .withEvent("RANK_STARTED", s.nodeId(), s.rank(), "pid " + s.pid(), now());
        if (job.state() == JobState.STARTING && job.members().stream().allMatch(m -> m.pid() > 0)) {
            timers.cancel(startTimer(job.id()));
            job = job.transition(JobState.RUNNING, "all " + job.worldSize() + " ranks running"
                    + (job.elastic().resumeStep() > 0 ? " from step " + job.elastic().resumeStep() : ""), now());
            Instant running = now();
            job = job.withElastic(e -> e.resumed(running));
            getContext().getLog().info("job {} generation {} running with {} ranks", job.id(), job.generation(),
                    job.worldSize());
        }
        jobs.put(job.id(), job);
    }

    private void onRankExited(AgentProtocol.RankExited e) {
        if (agents.containsKey(e.nodeId())) registry.reachable(e.nodeId()); // a suspected node that reports is alive
        Job job = current(e.jobId(), e.generation());
        if (job == null) return;
        if (job.state() == JobState.RECOVERING) {
            onRecoveryExit(job, e);
            return;
        }
        job = job.withMember(e.rank(), m -> m.exited(e.exitCode()))
                .withEvent("RANK_EXITED", e.nodeId(), e.rank(), "exit code " + e.exitCode(), now());
        if (e.exitCode() != 0) {
            String tail = lastLine(e.logTail());
            String failure = "rank " + e.rank() + " on " + e.nodeId() + " exited with code " + e.exitCode() + (tail.isEmpty() ? "" : ": " + tail);
            if (job.state() == JobState.RUNNING && recoverable(job)) {
                if (job.elastic().restarts() < job.spec().spec().maxRestarts()) {
                    jobs.put(job.id(), job);
                    timers.cancel(suspectTimer(job.id()));
                    beginRecovery(job, "failure", e.nodeId(), 0);
                    return;
                }
                failure += " (no restart left: maxRestarts " + job.spec().spec().maxRestarts() + " used)";
            }
            end(job, JobState.FAILED, failure);
            schedule();
        } else if (job.members().stream().allMatch(m -> m.exitCode() != null)) {
            if (job.state() == JobState.STARTING) {
                timers.cancel(startTimer(job.id()));
                job = job.transition(JobState.RUNNING, "all " + job.worldSize() + " ranks ran", now());
            }
            end(job, JobState.SUCCEEDED, "all " + job.worldSize() + " ranks exited 0");
            schedule();
        } else {
            jobs.put(job.id(), job);
        }
    }

    private void onRankFailedToStart(AgentProtocol.RankFailedToStart f) {
        Job job = current(f.jobId(), f.generation());
        if (job == null) return;
        end(job, JobState.FAILED, "rank " + f.rank() + " on " + f.nodeId() + " could not start: " + f.reason());
        schedule();
    }

    private Behavior<Command> onPortTimeout(PortAllocationTimedOut t) {
        Job job = current(t.jobId(), t.generation());
        if (job != null && job.state() == JobState.STARTING && job.masterPort() == 0) {
            end(job, JobState.FAILED, "node " + job.members().get(0).nodeId() + " (rank 0) did not report a rendezvous port within "
                    + settings.portAllocationTimeout().toSeconds() + "s");
            schedule();
        }
        return this;
    }

    private Behavior<Command> onStartTimeout(GenerationStartTimedOut t) {
        Job job = current(t.jobId(), t.generation());
        if (job != null && job.state() == JobState.STARTING) {
            String missing = job.members().stream().filter(m -> m.pid() == 0)
                    .map(m -> "rank " + m.rank() + " on " + m.nodeId()).collect(Collectors.joining(", "));
            end(job, JobState.FAILED, "generation " + job.generation() + " did not start within "
                    + settings.generationStartTimeout().toSeconds() + "s: " + missing + " never reported started");
            schedule();
        }
        return this;
    }

    // ---- elastic recovery ----

    /** Every rank said hello over the contract: it can checkpoint on request and resume. */
    private static boolean recoverable(Job job) {
        return job.elastic().attached().size() == job.worldSize();
    }

    /**
     * Not every rank of this generation has attached yet (it is still starting), but an earlier
     * generation proved the program speaks the contract and left a step to resume from.
     */
    private static boolean resumable(Job job) {
        return job.generation() > 1 && job.elastic().resumeStep() > 0;
    }

    /**
     * A member leaves while the generation is still forming: stop it and form the next one from
     * the same resume step (nothing new was trained that a checkpoint could keep).
     */
    private void restartGeneration(Job job, String kind, String node) {
        List<Integer> survivors = job.members().stream().filter(mm -> !mm.nodeId().equals(node)).map(Member::rank).toList();
        long step = job.elastic().resumeStep();
        var rec = new Elastic.Recovery(kind, node, survivors, step, Set.copyOf(survivors), Set.of(), now().toString(), 0, step);
        Job recovering = job.withElastic(e -> e.withRecovery(rec))
                .transition(JobState.RECOVERING, kind + " on " + node + " while generation " + job.generation()
                        + " was forming: restarting it from step " + step, now());
        jobs.put(job.id(), recovering);
        requestReplacement(job.id(), node);
        timers.startSingleTimer(recoveryTimer(job.id()), new RecoveryTimedOut(job.id(), job.generation()), settings.generationStartTimeout());
        var stillRunning = recovering.members().stream().filter(mm -> !mm.nodeId().equals(node) && mm.exitCode() == null).toList();
        if (stillRunning.stream().noneMatch(mm -> mm.pid() > 0)) {
            closeForNextGeneration(recovering); // nothing was started yet
        } else {
            tellMembers(recovering, recovering.members().stream().map(Member::rank).toList(),
                    mm -> new AgentProtocol.StopGeneration(recovering.id(), recovering.generation(), "generation restarts"));
        }
    }

    private double secondsSinceFirstStall(Job job) {
        return job.events().stream().filter(e -> e.type().equals("RANK_STALLED") && e.generation() == job.generation())
                .findFirst().map(e -> java.time.Duration.between(Instant.parse(e.at()), now()).toMillis() / 1000.0).orElse(0.0);
    }

    /**
     * Starts a recovery: survivors keep their rank order. After a notice every member (the
     * departing one too) checkpoints the next common step; after a loss the survivors checkpoint
     * the step they all hold (the smallest they stalled at). Then the generation closes and the next
     * opens from that step.
     */
    private void beginRecovery(Job job, String kind, String node, double detectSeconds) {
        List<Integer> survivors = job.members().stream().filter(mm -> !mm.nodeId().equals(node)).map(Member::rank).toList();
        var rec = new Elastic.Recovery(kind, node, kind.equals("notice") ? job.members().stream().map(Member::rank).toList() : survivors,
                -1, Set.of(), Set.of(), now().toString(), detectSeconds, job.training().step());
        String what = switch (kind) {
            case "failure" -> "failure of a rank on " + node + " (restart " + (job.elastic().restarts() + 1) + " of "
                    + job.spec().spec().maxRestarts() + "): checkpointing the other ranks";
            case "stall" -> "every rank stalled with no node missing (restart " + (job.elastic().restarts() + 1) + " of "
                    + job.spec().spec().maxRestarts() + "): checkpointing all ranks";
            default -> kind + " on " + node + ": checkpointing survivors";
        };
        Job recovering = job.withElastic(e -> e.withRecovery(rec)).transition(JobState.RECOVERING, what, now());
        jobs.put(job.id(), recovering);
        getContext().getLog().warn("job {} recovering: {} (survivors: ranks {})", job.id(), what, survivors);
        if (!Elastic.isFailure(kind)) requestReplacement(job.id(), node);
        timers.startSingleTimer(recoveryTimer(job.id()), new RecoveryTimedOut(job.id(), job.generation()), settings.generationStartTimeout());
        if (kind.equals("notice")) {
            tellMembers(recovering, rec.survivors(), mm -> new AgentProtocol.RequestCheckpoint(job.id(), job.generation(), -1));
        } else {
            maybeAgreeOnStall(job.id());
        }
    }

    /**
     * After a loss, failure or stall: once every survivor reported the step it stalled at, ask all
     * for the smallest. With no survivor (a world of one failed) the newest checkpoint is the step.
     */
    private void maybeAgreeOnStall(String jobId) {
        Job job = jobs.get(jobId);
        if (job == null || job.state() != JobState.RECOVERING) return;
        var rec = job.elastic().recovery();
        if (rec == null || rec.kind().equals("notice") || rec.agreedStep() >= 0) return;
        var stalls = job.elastic().stalls();
        if (!stalls.keySet().containsAll(rec.survivors())) return;
        long agreed = rec.survivors().isEmpty() ? newestCheckpoint(job)
                : rec.survivors().stream().mapToLong(stalls::get).min().orElse(0);
        Job agreedJob = job.withElastic(e -> e.withRecovery(rec.agreed(agreed)))
                .withEvent("RECOVERY_STEP", null, -1, rec.survivors().isEmpty() ? "no rank survived: resuming from the newest checkpoint, step "
                        + agreed : "survivors checkpoint step " + agreed, now());
        jobs.put(jobId, agreedJob);
        if (rec.survivors().isEmpty()) {
            closeForNextGeneration(agreedJob);
        } else {
            tellMembers(job, rec.survivors(), mm -> new AgentProtocol.RequestCheckpoint(job.id(), job.generation(), agreed));
        }
    }

    /** The newest step rank 0 committed (every rank restores it: local, a peer, or S3), else where this generation started. */
    private static long newestCheckpoint(Job job) {
        return job.training().checkpoints().stream().filter(c -> c.rank() == 0).mapToLong(Training.CheckpointRecord::step).max()
                .orElse(job.elastic().resumeStep());
    }

    /**
     * A stall report while RUNNING. Every rank stalled and none is missing: the collective failed on
     * its own (a failure, restarted within maxRestarts). All but one stalled: that node's rank is
     * silent; unless it reports within the grace (a rank that crashed on a live node reports its
     * exit in milliseconds), it is treated as lost — without waiting for the cluster to down it.
     */
    private void maybeSuspect(String jobId, long generation) {
        Job job = current(jobId, generation);
        if (job == null || job.state() != JobState.RUNNING || !recoverable(job)) return;
        var stalls = job.elastic().stalls();
        var silent = job.members().stream().filter(mm -> mm.exitCode() == null && !stalls.containsKey(mm.rank())).toList();
        if (silent.isEmpty() && job.members().stream().allMatch(mm -> mm.exitCode() == null)) {
            timers.cancel(suspectTimer(jobId));
            if (job.elastic().restarts() < job.spec().spec().maxRestarts()) {
                beginRecovery(job, "stall", null, secondsSinceFirstStall(job));
            } else {
                end(job, JobState.FAILED, "every rank stalled (" + stalls + ") and no restart is left: maxRestarts "
                        + job.spec().spec().maxRestarts() + " used");
                schedule();
            }
        } else if (!silent.isEmpty() && silent.size() < job.worldSize()) {
            // (re)started by every stall report: the silent set is judged a grace after the last one
            timers.startSingleTimer(suspectTimer(jobId), new SuspectTimedOut(jobId, generation, silent.get(0).nodeId()),
                    settings.stallSuspectGrace());
        }
    }

    private Behavior<Command> onSuspectTimeout(SuspectTimedOut t) {
        Job job = current(t.jobId(), t.generation());
        if (job == null || job.state() != JobState.RUNNING) return this;
        var stalls = job.elastic().stalls();
        var silent = job.members().stream().filter(mm -> mm.exitCode() == null && !stalls.containsKey(mm.rank())).toList();
        if (silent.isEmpty() || silent.size() == job.worldSize()) return this;
        double detect = secondsSinceFirstStall(job);
        Job suspected = job;
        for (Member mm : silent) {
            registry.unreachable(mm.nodeId()); // not scheduled again until it proves alive
            suspected = suspected.withEvent("NODE_SUSPECTED", mm.nodeId(), mm.rank(), "the other ranks stalled and rank " + mm.rank()
                    + " stayed silent for " + settings.stallSuspectGrace().toMillis() + " ms", now());
            getContext().getLog().warn("job {}: node {} is silent while the other ranks stalled; treating it as lost", job.id(), mm.nodeId());
        }
        jobs.put(job.id(), suspected);
        beginRecovery(suspected, "kill", silent.get(0).nodeId(), detect);
        for (Member mm : silent.subList(1, silent.size())) {
            Job now = jobs.get(job.id());
            if (now.state() == JobState.RECOVERING && now.elastic().recovery() != null) {
                departDuringRecovery(now, mm.nodeId(), mm, "silent while the other ranks stalled");
            }
        }
        return this;
    }

    /**
     * A further member is lost while a recovery runs (or was lost together with the first): it is
     * dropped from the survivors, replaced, and the recovery goes on with the rest — a wave of
     * preemptions is one recovery, not a failed job.
     */
    private void departDuringRecovery(Job job, String nodeId, Member member, String why) {
        var rec = job.elastic().recovery().withAlsoLost(nodeId, member.rank());
        Job j = job.withElastic(e -> e.withRecovery(rec)).withEvent("RECOVERY_WIDENED", nodeId, member.rank(), "also lost (" + why
                + "); survivors now ranks " + rec.survivors(), now());
        jobs.put(j.id(), j);
        getContext().getLog().warn("job {}: node {} also lost during the recovery; survivors {}", j.id(), nodeId, rec.survivors());
        requestReplacement(j.id(), nodeId);
        if (member.exitCode() == null) {
            onRecoveryExit(j, new AgentProtocol.RankExited(j.id(), j.generation(), member.rank(), nodeId, 75, ""));
        }
        maybeAgreeOnStall(j.id());
    }

    private static String suspectTimer(String jobId) {
        return "suspect-" + jobId;
    }

    private void onRecoveryCheckpoint(AgentProtocol.CheckpointReported c) {
        Job job = current(c.jobId(), c.generation());
        if (job == null || job.state() != JobState.RECOVERING) return;
        var rec = job.elastic().recovery();
        if (rec == null || !rec.survivors().contains(c.rank())) return;
        if (rec.agreedStep() < 0) {
            if (!rec.kind().equals("notice") || c.reason().equals("interval")) return;
            rec = rec.agreed(c.step()); // a collective request: every rank checkpoints this same step
        }
        if (c.step() != rec.agreedStep()) return;
        var updated = rec.checkpointed(c.rank());
        job = job.withElastic(e -> e.withRecovery(updated));
        jobs.put(job.id(), job);
        if (updated.allCheckpointed()) {
            Job ready = job.withEvent("RECOVERY_CHECKPOINTED", null, -1, "step " + updated.agreedStep() + " on all " + updated.survivors().size()
                    + " ranks", now());
            jobs.put(ready.id(), ready);
            tellMembers(ready, ready.members().stream().map(Member::rank).toList(),
                    mm -> new AgentProtocol.StopGeneration(ready.id(), ready.generation(), "generation closes for recovery"));
        }
    }

    private void onRecoveryExit(Job job, AgentProtocol.RankExited e) {
        Job j = job.withMember(e.rank(), mm -> mm.exited(e.exitCode()))
                .withEvent("RANK_EXITED", e.nodeId(), e.rank(), "exit code " + e.exitCode() + " (recovery)", now());
        var rec = j.elastic().recovery();
        j = j.withElastic(el -> el.withRecovery(rec.exited(e.rank())));
        jobs.put(j.id(), j);
        var r2 = j.elastic().recovery();
        boolean allGone = j.members().stream().filter(mm -> !mm.nodeId().equals(r2.node()) || r2.kind().equals("notice"))
                .allMatch(mm -> mm.exitCode() != null || r2.exited().contains(mm.rank()) || mm.pid() == 0);
        if (r2.allCheckpointed() && allGone) {
            closeForNextGeneration(j);
        } else if (!r2.allCheckpointed() && e.exitCode() != 75 && !(e.nodeId().equals(r2.node()) && !r2.kind().equals("notice"))) {
            end(j, JobState.FAILED, "rank " + e.rank() + " on " + e.nodeId() + " exited with code " + e.exitCode()
                    + " during recovery, before its checkpoint");
        }
    }

    /** The old generation is over: free its nodes and open the next one as soon as enough are there. */
    private void closeForNextGeneration(Job job) {
        var agreedRec = job.elastic().recovery();
        // after a notice the ranks may checkpoint again before they take the stop (a second
        // collective request, the stop's own checkpoint): resume from the newest step every
        // survivor committed, never older than the agreed one — local retention may already have
        // removed the agreed step in favour of the newer ones
        long newest = newestCommonCheckpoint(job, agreedRec.survivors(), agreedRec.agreedStep());
        var rec = newest > agreedRec.agreedStep() && agreedRec.kind().equals("notice") ? agreedRec.agreed(newest) : agreedRec;
        long lost = Math.max(0, rec.reachedStep() - rec.agreedStep());
        var ps = new java.util.ArrayList<Elastic.Preemption>();
        ps.add(new Elastic.Preemption(rec.node() == null ? "-" : rec.node(), rec.kind(), rec.agreedStep(), rec.detectSeconds(), null,
                rec.kind().equals("notice") ? 0L : lost, rec.startedAt()));
        for (String also : rec.alsoLost()) {
            ps.add(new Elastic.Preemption(also, "kill", rec.agreedStep(), rec.detectSeconds(), null, lost, rec.startedAt()));
        }
        Job closed = job.closeGeneration(now()).withElastic(e -> e.nextGeneration(rec.agreedStep(), ps));
        for (Member mm : closed.members()) {
            registry.get(mm.nodeId()).filter(n -> closed.id().equals(n.jobId())).ifPresent(n -> registry.release(n.nodeId()));
        }
        // survivors first, in their rank order, so they resume from their own local tier
        jobs.put(closed.id(), closed.withPendingReason("resuming from step " + rec.agreedStep()));
        // after a failure or stall every node stays (none departed)
        resumeOrWait(closed.id(), job.members().stream().map(Member::nodeId).filter(n -> !rec.departing().contains(n)).toList());
    }

    private static long newestCommonCheckpoint(Job job, List<Integer> ranks, long atLeast) {
        var byStep = new java.util.HashMap<Long, Set<Integer>>();
        for (var c : job.training().checkpoints()) {
            if (c.generation() == job.generation() && c.step() >= atLeast) byStep.computeIfAbsent(c.step(), k -> new java.util.HashSet<>()).add(c.rank());
        }
        return byStep.entrySet().stream().filter(e -> e.getValue().containsAll(ranks)).mapToLong(Map.Entry::getKey).max().orElse(atLeast);
    }

    private void resumeOrWait(String jobId, List<String> preferred) {
        Job job = jobs.get(jobId);
        var free = registry.free();
        var fitting = new java.util.ArrayList<String>();
        for (String n : preferred) if (free.stream().anyMatch(f -> f.nodeId().equals(n))) fitting.add(n);
        // then any other free node that fits, up to max: joining nodes come in at this generation boundary
        for (var n : GangScheduler.fitting(job.spec(), free.stream().filter(f -> !fitting.contains(f.nodeId())).toList())) {
            if (fitting.size() < job.spec().spec().workers().max()) fitting.add(n.nodeId());
        }
        int min = job.spec().spec().workers().min();
        if (fitting.size() < min) {
            String why = "waiting for capacity to resume from step " + job.elastic().resumeStep() + ": needs " + min + " workers, "
                    + fitting.size() + " available";
            if (!why.equals(job.pendingReason())) jobs.put(jobId, job.withPendingReason(why).withEvent("WAITING", null, -1, why, now()));
            return;
        }
        timers.cancel(recoveryTimer(jobId));
        startGeneration(job, fitting);
    }

    private void tellMembers(Job job, List<Integer> ranks, java.util.function.Function<Member, AgentProtocol.Command> message) {
        for (Member mm : job.members()) {
            if (!ranks.contains(mm.rank())) continue;
            ActorRef<AgentProtocol.Command> agent = agents.get(mm.nodeId());
            if (agent != null) agent.tell(message.apply(mm));
        }
    }

    private Behavior<Command> onRecoveryTimeout(RecoveryTimedOut t) {
        Job job = jobs.get(t.jobId());
        if (job != null && job.state() == JobState.RECOVERING && job.generation() == t.generation()
                && job.elastic().recovery() != null) {
            var rec = job.elastic().recovery();
            String missing = rec.agreedStep() < 0 ? "no common step was agreed (stall reports: " + job.elastic().stalls() + ")"
                    : "ranks " + rec.survivors().stream().filter(r -> !rec.checkpointed().contains(r)).toList() + " did not checkpoint step "
                            + rec.agreedStep();
            end(job, JobState.FAILED, "recovery from the " + rec.kind() + " on " + rec.node() + " did not complete within "
                    + settings.generationStartTimeout().toSeconds() + "s: " + missing);
            schedule();
        }
        return this;
    }

    /** Asks the launcher for a node like the departing one (same market, type, price, zone); it joins by itself. */
    private void requestReplacement(String jobId, String departing) {
        var l = launcher.get();
        var lost = registry.get(departing);
        if (l == null || lost.isEmpty()) return;
        int next = Math.max(lastRequestedNode, registry.all().stream().map(NodeRecord::nodeId)
                .filter(n -> n.matches("node\\d+")).mapToInt(n -> Integer.parseInt(n.substring(4))).max().orElse(0)) + 1;
        lastRequestedNode = next;
        var i = lost.get().info();
        var request = new io.spottrain.coordinator.launch.NodeLauncher.NodeRequest("node" + next, i.market().label(), i.instanceType(),
                i.gpus(), i.pricePerHour(), i.onDemandPricePerHour(), i.zone());
        Job job = jobs.get(jobId);
        if (job != null) {
            jobs.put(jobId, job.withEvent("REPLACEMENT_REQUESTED", request.nodeId(), -1, "replacing " + departing + " ("
                    + request.market() + " " + request.instanceType() + ")", now()));
        }
        var log = getContext().getLog();
        java.util.concurrent.CompletableFuture.runAsync(() -> {
            try {
                l.launch(request);
            } catch (Exception e) {
                log.warn("replacement {} for {} could not be launched: {}", request.nodeId(), departing, e.getMessage());
            }
        });
    }

    private static String recoveryTimer(String jobId) {
        return "recovery-" + jobId;
    }

    /** Ends a job: records the state, stops ranks that may still run, frees its nodes. */
    private void end(Job job, JobState to, String why) {
        Job ended = job.transition(to, why, now());
        jobs.put(ended.id(), ended);
        timers.cancel(portTimer(job.id()));
        timers.cancel(startTimer(job.id()));
        timers.cancel(recoveryTimer(job.id()));
        timers.cancel(suspectTimer(job.id()));
        for (Member m : ended.members()) {
            if (m.exitCode() == null) {
                ActorRef<AgentProtocol.Command> agent = agents.get(m.nodeId());
                if (agent != null) agent.tell(new AgentProtocol.StopGeneration(ended.id(), ended.generation(), why));
            }
            registry.get(m.nodeId()).filter(n -> ended.id().equals(n.jobId())).ifPresent(n -> registry.release(n.nodeId()));
        }
        if (to == JobState.FAILED) {
            getContext().getLog().warn("job {} FAILED: {}", ended.id(), why);
        } else {
            getContext().getLog().info("job {} {}: {}", ended.id(), to, why);
        }
    }

    private void update(String jobId, long generation, java.util.function.UnaryOperator<Job> change) {
        Job job = current(jobId, generation);
        if (job != null) jobs.put(jobId, change.apply(job));
    }

    private Job current(String jobId, long generation) {
        Job job = jobs.get(jobId);
        return job != null && (job.active() || job.state() == JobState.RECOVERING) && job.generation() == generation ? job : null;
    }

    private java.util.Optional<Job> jobOf(NodeRecord node) {
        return node.jobId() == null ? java.util.Optional.empty() : java.util.Optional.ofNullable(jobs.get(node.jobId()));
    }

    private static String lastLine(String text) {
        if (text == null) return "";
        var lines = text.strip().lines().toList();
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1).strip();
    }

    private static String noSuchJob(String id) {
        return "no job named " + id;
    }

    private static String portTimer(String jobId) {
        return "port-" + jobId;
    }

    private static String startTimer(String jobId) {
        return "start-" + jobId;
    }

    private Instant now() {
        return clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    }
}
