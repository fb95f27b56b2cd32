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

    public static Behavior<Command> create(CoordinatorSettings settings) {
        return create(settings, Clock.systemUTC());
    }

    public static Behavior<Command> create(CoordinatorSettings settings, Clock clock) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new JobManager(ctx, timers, settings, clock)));
    }

    private final TimerScheduler<Command> timers;
    private final CoordinatorSettings settings;
    private final Clock clock;
    private final ActorRef<AgentProtocol.Report> reports;
    private final NodeRegistry registry = new NodeRegistry();
    private final Map<String, ActorRef<AgentProtocol.Command>> agents = new HashMap<>();
    private final Set<ActorRef<AgentProtocol.Command>> described = new java.util.HashSet<>();
    private final Map<String, Job> jobs = new LinkedHashMap<>();
    private long jobSequence;
    /** Distinguishes this job manager's ids from an earlier cluster's under the same state dir (until ids persist, issue 6). */
    private final String incarnation = String.format("%04x", new java.security.SecureRandom().nextInt(0x10000));

    private JobManager(ActorContext<Command> ctx, TimerScheduler<Command> timers, CoordinatorSettings settings,
            Clock clock) {
        super(ctx);
        this.timers = timers;
        this.settings = settings;
        this.clock = clock;
        this.reports = ctx.messageAdapter(AgentProtocol.Report.class, AgentReported::new);
        ctx.getSystem().receptionist().tell(Receptionist.subscribe(AgentProtocol.SERVICE_KEY,
                ctx.messageAdapter(Receptionist.Listing.class, AgentsListed::new)));
        Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(
                ctx.messageAdapter(ClusterEvent.ReachabilityEvent.class, ReachabilityChanged::new),
                ClusterEvent.ReachabilityEvent.class));
        ctx.getLog().info("job manager started on {}", Cluster.get(ctx.getSystem()).selfMember().address());
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
                .build();
    }

    // ---- API ----

    private Behavior<Command> onSubmit(SubmitJob m) {
        String id = m.spec().metadata().name() + "-" + (++jobSequence) + "-" + incarnation;
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
        } else if (r instanceof AgentProtocol.RankProgress p) {
            update(p.jobId(), p.generation(), j -> p.rank() == 0 ? j.withTraining(t -> t.progress(p.step(), p.loss(), p.samplesPerSec())) : j);
        } else if (r instanceof AgentProtocol.CheckpointReported c) {
            update(c.jobId(), c.generation(), j -> j.withTraining(t -> t.checkpoint(new Training.CheckpointRecord(c.step(),
                    c.generation(), c.rank(), c.nodeId(), c.bytes(), c.stallMs(), c.persistMs(), c.reason(), c.dir()))));
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
                    "stalled at step " + st.step() + ": " + st.reason(), now()));
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
        schedule();
    }

    private void onNotice(AgentProtocol.NodeInterruptionNotice n) {
        String what = n.kind() + " (" + n.action() + ")" + (n.deadline() == null ? "" : ", deadline " + n.deadline());
        getContext().getLog().warn("node {} interruption notice: {}", n.nodeId(), what);
        if (!n.kind().equals("rebalance")) registry.interrupting(n.nodeId());
        registry.get(n.nodeId()).ifPresent(node -> jobOf(node).filter(Job::active).ifPresent(job ->
                jobs.put(job.id(), job.withEvent("NODE_NOTICE", n.nodeId(), job.memberOn(n.nodeId()).map(Member::rank).orElse(-1), what, now()))));
    }

    private Behavior<Command> onAgentTerminated(AgentTerminated m) {
        described.remove(m.agent());
        if (!m.agent().equals(agents.get(m.nodeId()))) {
            return this; // an older incarnation of a node that registered again
        }
        agents.remove(m.nodeId());
        boolean wasUnreachable = registry.get(m.nodeId()).map(n -> n.state() == NodeState.UNREACHABLE).orElse(false);
        String why = wasUnreachable ? "stopped answering heartbeats and was downed" : "left the cluster";
        registry.lost(m.nodeId(), why, now());
        getContext().getLog().warn("node {} {}", m.nodeId(), why);
        for (Job job : List.copyOf(jobs.values())) {
            if (job.active()) {
                job.memberOn(m.nodeId()).ifPresent(member -> end(job.withEvent("NODE_LOST", m.nodeId(), member.rank(), why, now()),
                        JobState.FAILED, "node " + m.nodeId() + " (rank " + member.rank() + ") was lost: it " + why));
            }
        }
        schedule();
        return this;
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
                    p.host(), p.port(), 0, spec.checkpoint().intervalSteps(), spec.checkpoint().keep(), spec.checkpoint().remote(),
                    peers, spec.argv(), spec.env(), spec.workingDir(), reports));
        }
        timers.startSingleTimer(startTimer(job.id()), new GenerationStartTimedOut(job.id(), job.generation()),
                settings.generationStartTimeout());
    }

    private void onRankStarted(AgentProtocol.RankStarted s) {
        Job job = current(s.jobId(), s.generation());
        if (job == null) return;
        job = job.withMember(s.rank(), m -> m.started(s.pid(), s.logFile()))
                .withEvent("RANK_STARTED", s.nodeId(), s.rank(), "pid " + s.pid(), now());
        if (job.state() == JobState.STARTING && job.members().stream().allMatch(m -> m.pid() > 0)) {
            timers.cancel(startTimer(job.id()));
            job = job.transition(JobState.RUNNING, "all " + job.worldSize() + " ranks running", now());
            getContext().getLog().info("job {} generation {} running with {} ranks", job.id(), job.generation(),
                    job.worldSize());
        }
        jobs.put(job.id(), job);
    }

    private void onRankExited(AgentProtocol.RankExited e) {
        Job job = current(e.jobId(), e.generation());
        if (job == null) return;
        job = job.withMember(e.rank(), m -> m.exited(e.exitCode()))
                .withEvent("RANK_EXITED", e.nodeId(), e.rank(), "exit code " + e.exitCode(), now());
        if (e.exitCode() != 0) {
            String tail = lastLine(e.logTail());
            end(job, JobState.FAILED, "rank " + e.rank() + " on " + e.nodeId() + " exited with code " + e.exitCode()
                    + (tail.isEmpty() ? "" : ": " + tail));
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

    /** Ends a job: records the state, stops ranks that may still run, frees its nodes. */
    private void end(Job job, JobState to, String why) {
        Job ended = job.transition(to, why, now());
        jobs.put(ended.id(), ended);
        timers.cancel(portTimer(job.id()));
        timers.cancel(startTimer(job.id()));
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
        return job != null && job.active() && job.generation() == generation ? job : null;
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
