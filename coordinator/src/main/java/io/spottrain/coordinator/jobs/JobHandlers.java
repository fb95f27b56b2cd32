package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.metrics.ControlMetrics;
import io.spottrain.coordinator.settings.CoordinatorSettings;
import io.spottrain.coordinator.state.StateStore;
import io.spottrain.coordinator.state.StoreWriter;
import io.spottrain.coordinator.state.Table;
import io.spottrain.protocol.json.Json;
import io.spottrain.protocol.wire.AgentProtocol;
import io.spottrain.protocol.wire.AgentProtocol.JobReport;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.slf4j.Logger;

/**
 * The state and handlers of one {@link JobMaster}: running a generation, the API's
 * requests, registration, and the store. Forming a generation is in {@link JobForming}, recoveries
 * in {@link JobRecoveries}. Every handler
 * ends with {@link #done}, which stores what changed and returns the behaviour of the new state.
 */
final class JobHandlers {

    /** What a job master needs from its surroundings; {@code ledger}: where the job's recovery phases go (the job manager). */
    record Deps(ActorRef<JobManager.Command> manager, ActorRef<StoreWriter.Command> writer, ActorRef<AgentProtocol.Report> reports,
            CoordinatorSettings settings, Clock clock, String controlNode, ActorRef<JobManager.Command> ledger) {}

    private final ActorContext<JobMaster.Command> ctx;
    final TimerScheduler<JobMaster.Command> timers;
    final Deps deps;
    final Logger log;
    final JobOutbox outbox;
    final JobRecoveries recoveries;
    final JobGiveBacks giveBacks;
    final JobProbes probes;
    final JobNotices notices;
    final JobStaging staging;
    final JobNodes nodes;
    final JobTraining training;
    final JobCapacity capacity;
    final JobAutoCheckpoint autoCheckpoint;
    final JobScaling scaling;
    final JobRequests requests;
    final JobForming forming;
    /** Agents of the job's nodes (current members; a node re-registering replaces its ref). */
    final Map<String, ActorRef<AgentProtocol.Command>> agents = new HashMap<>();
    private Supplier<Behavior<JobMaster.Command>> behaviour;
    private Job job;
    private boolean stopped;
    private Duration retryDelay = Duration.ofMillis(250);
    /** What the cost ledger was last told the job's checkpoints occupy in the remote tier. */
    private long storageTold;

    JobHandlers(ActorContext<JobMaster.Command> ctx, TimerScheduler<JobMaster.Command> timers, Deps deps, Job job) {
        this.ctx = ctx;
        this.timers = timers;
        this.deps = deps;
        this.log = ctx.getLog();
        this.job = job;
        this.outbox = new JobOutbox(job.id(), deps.writer(), ctx.messageAdapter(StoreWriter.Result.class, JobMaster.Stored::new));
        this.recoveries = new JobRecoveries(this);
        this.giveBacks = new JobGiveBacks(this);
        this.probes = new JobProbes(this, ctx.messageAdapter(AgentProtocol.ProbeAnswered.class, JobMaster.Reported::new));
        this.notices = new JobNotices(this);
        this.staging = new JobStaging(this);
        this.nodes = new JobNodes(this);
        this.training = new JobTraining(this);
        this.capacity = new JobCapacity(this);
        this.autoCheckpoint = new JobAutoCheckpoint(this);
        this.scaling = new JobScaling(this);
        this.requests = new JobRequests(this);
        this.forming = new JobForming(this);
    }

    Job job() {
        return job;
    }

    ActorRef<JobMaster.Command> self() {
        return ctx.getSelf();
    }

    boolean stopped() {
        return stopped;
    }

    Instant now() {
        return deps.clock().instant().truncatedTo(ChronoUnit.MILLIS);
    }

    ControlMetrics metrics() {
        return ControlMetrics.get(ctx.getSystem());
    }

    /**
     * {@code submit}: a job submitted now, not stored yet (its puts and the API's submit waiting for them): it asks for nodes at
     * once and is stored with its first change (see {@link JobOutbox#unstored}); null: a job stored already.
     */
    Behavior<JobMaster.Command> start(boolean restored, JobMaster.Submit submit, Supplier<Behavior<JobMaster.Command>> behaviour) {
        this.behaviour = behaviour;
        timers.startTimerWithFixedDelay(JobMaster.Tick.FLUSH, deps.settings().progressFlushInterval());
        if (job.spec().spec().checkpoint().auto()) {
            timers.startTimerWithFixedDelay(JobMaster.Tick.AUTO_CHECKPOINT, JobAutoCheckpoint.tick(deps.settings().autoCheckpointFloor()));
        }
        if (!restored) {
            askForNodes();
            var next = unchanged(); // the ask goes now, before the job is stored: its placement and its submit are one write
            if (submit != null) {
                submitter = submit.replyTo();
                outbox.unstored(submit.puts(), new SubmitAck());
            }
            return next;
        }
        tellStorage(job, false); // the new job manager closed what the old one metered: open it again
        job = job.withEvent(JobEventType.CONTROL_HANDOVER, null, -1, "job manager restored this job on " + deps.controlNode(), now());
        if (job.inProgress()) {
            timers.startSingleTimer(new JobMaster.ReattachTimedOut(job.generation()), deps.settings().reattachGrace());
        }
        if (job.state() == JobState.STARTING) {
            timers.startSingleTimer(new JobMaster.StartTimedOut(job.generation()), deps.settings().generationStartTimeout());
        }
        if (job.state() == JobState.RECOVERING && job.elastic().recovery() != null) {
            timers.startSingleTimer(new JobMaster.RecoveryTimedOut(job.generation()), deps.settings().generationStartTimeout());
        }
        if (job.state() == JobState.PENDING || (job.state() == JobState.RECOVERING && job.elastic().recovery() == null)) askForNodes();
        if (ElasticPolicy.requeueRefusal(job) == null) tellRequeueable(true); // a new manager knows only what masters tell it
        return done(job);
    }

    // ---- the store ----

    /** Ends a handler: stores what changed (at once when it matters), then the new state's behaviour. */
    Behavior<JobMaster.Command> done(Job next) {
        return done(next, false);
    }

    /**
     * Ends a handler whose change acts on nothing outside the coordinator until a later change does
     * (a generation placed before its rendezvous is known; a rank started before the last one):
     * it is stored with the next write (the flush interval at the latest), so forming a generation
     * costs one write where it cost one per step (see {@link JobOutbox#hold}).
     */
    Behavior<JobMaster.Command> held(Job next) {
        return done(next, true);
    }

    private Behavior<JobMaster.Command> done(Job next, boolean mayWait) {
        Job before = job;
        int held = outbox.heldEvents();
        if (next == before && next.newEvents().size() == held) { // most reports change nothing (other ranks' progress): no comparisons on the hot path
            job = outbox.commit(next, false, false, false);
            return behaviour.get();
        }
        boolean significant = next.newEvents().size() > held || before.state() != next.state() || before.generation() != next.generation()
                || !before.members().equals(next.members()) || !before.elastic().equals(next.elastic())
                || !Objects.equals(before.pendingReason(), next.pendingReason()) || before.masterPort() != next.masterPort();
        var t0 = before.training();
        var t1 = next.training();
        boolean stepped = t0.step() != t1.step() || Double.compare(t0.loss(), t1.loss()) != 0 || t0.samplesPerSec() != t1.samplesPerSec()
                || t0.samples() != t1.samples();
        boolean changed = !t0.checkpoints().equals(t1.checkpoints()) || !t0.recent().equals(t1.recent())
                || !t0.paramsSha256ByRank().equals(t1.paramsSha256ByRank()) || !t0.retention().equals(t1.retention());
        if (before.state() != next.state() && (next.state() == JobState.RECOVERING || next.state() == JobState.RUNNING
                || next.state().terminal())) {
            // the cost ledger meters recovery from preemptions and failures apart (not growths and shrinks the job chose):
            // from the recovery's start until the next generation trains
            var rec = next.elastic().recovery();
            var phase = new JobManager.JobPhase(next.id(), next.state() == JobState.RECOVERING && (rec == null || rec.kind().involuntary()));
            after(() -> deps.ledger().tell(phase));
        }
        if (changed || before.state() != next.state()) tellStorage(next, !before.state().terminal() && next.state().terminal());
        boolean can = ElasticPolicy.requeueRefusal(next) == null;
        if (can != (ElasticPolicy.requeueRefusal(before) == null)) tellRequeueable(can);
        // a change that may wait is written at once while the new job is not stored (that write stores it), and every change
        // waits while the write that stores the job is in flight (were it to fail, nothing may store the job after it)
        boolean hold = significant && (mayWait && !outbox.submitUnsent() || outbox.submitInFlight());
        job = hold ? outbox.hold(next) : outbox.commit(next, significant, changed, stepped);
        return behaviour.get();
    }

    /** The API's submit of this job, until the write that stores the job answers it (null: answered, or no submit waits). */
    private ActorRef<Outcome> submitter;

    /** Answers the submit once the job is stored, or with the store's reason (the job is then dropped: {@link #onStored}). */
    private final class SubmitAck implements JobOutbox.Effect {
        @Override
        public void run() {
            var workers = job.spec().spec().workers();
            log.info("job {} submitted: workers {}..{}", job.id(), workers.min(), workers.max());
            answerSubmit(new Outcome.JobAck(job.id(), job.state()));
        }

        @Override
        public boolean failed(String why) {
            log.error("job {} could not be stored: {}", job.id(), outbox.submitRefused());
            answerSubmit(new Outcome.Refused(Outcome.Refusal.UNAVAILABLE, "the state store did not take the job: " + outbox.submitRefused()));
            return true;
        }
    }

    private void answerSubmit(Outcome o) {
        if (submitter != null) submitter.tell(o);
        submitter = null;
    }

    /** The actor stops (its job manager stopped) before the job was stored: the submit hears so instead of waiting out its time. */
    void onPostStop() {
        if (submitter == null) return;
        answerSubmit(new Outcome.Refused(Outcome.Refusal.UNAVAILABLE, outbox.submitInFlight()
                ? "the job manager stopped while job " + job.id() + " was being stored: if `spottrain status " + job.id()
                        + "` does not find it, submit it again"
                : "the job manager stopped before job " + job.id() + " was stored; submit it again"));
    }

    /**
     * The write that was to store this new job failed (its submit was answered with the reason): the job does not exist, so
     * it acts on nothing (its ranks were never asked to start) and gives back the nodes it was placed on.
     */
    private Behavior<JobMaster.Command> dropUnstored() {
        var nodes = job.members().stream().map(Member::nodeId).toList();
        deps.manager().tell(new JobManager.JobEnded(job.id(), nodes, true));
        stopped = true;
        return Behaviors.stopped();
    }

    /**
     * The cost ledger learns what the job's checkpoints occupy in the remote tier when that changes
     * (with the change, once stored), and once when the job ends: its kept steps stay in S3 and are
     * metered on (docs/cost.md).
     */
    private void tellStorage(Job j, boolean ends) {
        if (j.state().terminal() && !ends) return; // told once, at the end (a job restored ended is not metered twice)
        long bytes = j.training().remoteBytes();
        if (bytes == storageTold && !ends) return;
        storageTold = bytes;
        var m = new JobManager.JobStorage(j.id(), bytes, ends);
        after(() -> deps.ledger().tell(m));
    }

    /** The manager learns whether priority preemption may requeue this job (with the change that decides it, once stored). */
    private void tellRequeueable(boolean can) {
        var m = new ManagerPreemption.Requeueable(job.id(), can);
        after(() -> deps.manager().tell(m));
    }

    Behavior<JobMaster.Command> unchanged() {
        return done(job);
    }

    void after(JobOutbox.Effect effect) {
        outbox.after(effect);
    }

    Behavior<JobMaster.Command> onStored(JobMaster.Stored s) {
        boolean retry = outbox.onResult(s.result());
        if (outbox.submitRefused() != null) return dropUnstored();
        if (retry) {
            log.warn("job {}: state store write failed; retrying in {} ms", job.id(), retryDelay.toMillis());
            timers.startSingleTimer(JobMaster.Tick.RETRY, retryDelay);
            retryDelay = retryDelay.multipliedBy(2).compareTo(Duration.ofSeconds(5)) > 0 ? Duration.ofSeconds(5) : retryDelay.multipliedBy(2);
        } else if (!outbox.hasFailures()) {
            retryDelay = Duration.ofMillis(250);
        }
        if (outbox.takeFlushDue()) flush(); // what waited for the job to be stored
        return unchanged();
    }

    Behavior<JobMaster.Command> onRetry() {
        if (outbox.retry(job)) job = job.withoutNewEvents();
        return unchanged();
    }

    Behavior<JobMaster.Command> onFlush() {
        flush();
        return unchanged();
    }

    /** Writes what waits (a held change with its events). */
    private void flush() {
        if (outbox.flush(job)) job = job.withoutNewEvents();
    }

    Behavior<JobMaster.Command> onLingerOver() {
        if (!outbox.idle()) {
            flush();
            timers.startSingleTimer(JobMaster.Tick.LINGER_OVER, Duration.ofSeconds(1));
            return unchanged();
        }
        stopped = true;
        return behaviour.get();
    }

    // ---- placement and forming ----

    void askForNodes() {
        askForNodes(0);
    }

    /** {@code atMost}: no more nodes than this (0: up to {@code workers.max}). */
    void askForNodes(int atMost) {
        var m = wantsNodes(atMost);
        after(() -> deps.manager().tell(m));
    }

    JobManager.WantsNodes wantsNodes(int atMost) {
        return wantsNodes(atMost, List.of());
    }

    /** {@code givenBack}: nodes the job released for someone else (a shrink), never preferred; never more than its target. */
    JobManager.WantsNodes wantsNodes(int atMost, List<String> givenBack) {
        int cap = job.targetWorkers();
        atMost = atMost <= 0 ? cap : Math.min(atMost, cap);
        // after a recovery the nodes that stay come first (departed ones are not free): they resume from their local tier
        var preferred = new ArrayList<>(job.members().stream().map(Member::nodeId).filter(n -> !givenBack.contains(n)).toList());
        preferred.addAll(staging.reservedIds()); // staged newcomers right after the survivors
        long resume = job.generation() == 0 ? -1 : job.elastic().resumeStep();
        return new JobManager.WantsNodes(job.id(), job.spec(), preferred, resume, job.submittedAt(), atMost, ElasticPolicy.requeued(job));
    }

    Behavior<JobMaster.Command> onWaiting(JobMaster.Waiting w) {
        capacity.waiting(w.reason());
        if (w.reason().equals(job.pendingReason())) return unchanged();
        Job next = job.withPendingReason(w.reason());
        if (job.state() == JobState.RECOVERING) next = next.withEvent(JobEventType.WAITING, null, -1, w.reason(), now());
        return done(next);
    }

    /** Peer checkpoint servers of the job's nodes (from placement and registration). */
    final Map<String, String> peerUrls = new HashMap<>();

    Behavior<JobMaster.Command> onRankExited(AgentProtocol.RankExited e) {
        if (!current(e)) return unchanged();
        Job next = job.withMember(e.rank(), m -> m.exited(e.exitCode()))
                .withEvent(JobEventType.RANK_EXITED, e.nodeId(), e.rank(), "exit code " + e.exitCode(), now());
        var d = ElasticPolicy.onRankExited(next, e.rank(), e.nodeId(), e.exitCode(), lastLine(e.logTail()));
        if (d instanceof ElasticPolicy.BeginRecovery b) return recoveries.begin(next, b.kind(), b.node(), b.detectSeconds());
        if (d instanceof ElasticPolicy.Fail f) return end(next, JobState.FAILED, f.reason());
        if (d instanceof ElasticPolicy.Succeed s) {
            if (next.state() == JobState.STARTING) {
                timers.cancel(new JobMaster.StartTimedOut(next.generation()));
                next = next.transition(JobState.RUNNING, "all " + next.worldSize() + " ranks ran", now());
            }
            return end(next, JobState.SUCCEEDED, s.reason());
        }
        return done(next);
    }

    // ---- the end ----

    /** Ends the job: records the state, stops ranks that may still run, gives its nodes back. */
    Behavior<JobMaster.Command> end(Job from, JobState to, String why) {
        Job ended = from.transition(to, why, now());
        for (Object key : List.of(new JobMaster.PortTimedOut(from.generation()), new JobMaster.StartTimedOut(from.generation()),
                new JobMaster.RecoveryTimedOut(from.generation()), new JobMaster.SuspectTimedOut(from.generation()))) {
            timers.cancel(key);
        }
        for (Member m : ended.members()) {
            var agent = agents.get(m.nodeId());
            var stop = new AgentProtocol.StopGeneration(ended.id(), ended.generation(), why);
            if (m.exitCode() == null && agent != null) after(() -> agent.tell(stop));
        }
        var nodes = new ArrayList<>(ended.members().stream().map(Member::nodeId).toList());
        nodes.addAll(staging.ended(ended));
        after(() -> deps.manager().tell(new JobManager.JobEnded(ended.id(), nodes, false)));
        if (to == JobState.FAILED) log.warn("job {} FAILED: {}", ended.id(), why);
        else log.info("job {} {}: {}", ended.id(), to, why);
        timers.startSingleTimer(JobMaster.Tick.LINGER_OVER, deps.settings().endedLinger());
        return done(ended);
    }

    /** A report of the job's current generation while it forms, runs or recovers. */
    boolean current(JobReport r) {
        return job.inProgress() && r.generation() == job.generation();
    }

    static String lastLine(String text) {
        if (text == null) return "";
        var lines = text.strip().lines().toList();
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1).strip();
    }
}
