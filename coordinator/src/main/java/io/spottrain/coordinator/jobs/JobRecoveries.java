package io.spottrain.coordinator.jobs;

import io.spottrain.protocol.contract.Contract;
import io.spottrain.protocol.wire.AgentProtocol;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.apache.pekko.actor.typed.Behavior;

/**
 * The recovery side of a {@link JobMaster}: losses, failures and stalls (and notices, through
 * {@link JobNotices}; shrinks and requeues, through {@link JobGiveBacks}) become recoveries (survivors checkpoint a common step, the generation
 * closes, the next opens from it).
 * What to do is {@link ElasticPolicy}'s decision; this class applies it to the job, its agents,
 * its timers and the manager.
 */
final class JobRecoveries {
    private final JobHandlers h;

    JobRecoveries(JobHandlers h) {
        this.h = h;
    }

    private Job job() {
        return h.job();
    }

    // ---- what starts a recovery ----

    Behavior<JobMaster.Command> onNodeLost(String nodeId, String why) {
        boolean noticed = h.notices.forget(nodeId);
        Job job = job();
        double detect = job.elastic().stalls().isEmpty() ? 0 : job.elastic().secondsSinceFirstStall(h.now());
        var d = ElasticPolicy.onNodeLost(job, nodeId, why, detect);
        if (d instanceof ElasticPolicy.Ignore) return h.unchanged();
        Member member = job.memberOn(nodeId).orElseThrow();
        h.agents.remove(nodeId);
        Job lost = job.withEvent(JobEventType.NODE_LOST, nodeId, member.rank(), why, h.now());
        if (d instanceof ElasticPolicy.Widen w) return widen(lost, nodeId, member, why);
        if (d instanceof ElasticPolicy.DepartedAsAnnounced a) {
            return a.exitPending() ? onExitOf(lost, member.rank(), nodeId, Contract.EXIT_RESUMABLE) : h.done(lost);
        }
        if (d instanceof ElasticPolicy.NoticeBecomesLoss n) {
            // gone before the emergency checkpoint: recover as from a loss, from what the others hold
            Job asLoss = lost.withElastic(e -> e.withRecovery(e.recovery().asLossOf(n.rank())));
            return agree(asLoss);
        }
        if (d instanceof ElasticPolicy.BeginRecovery b) {
            h.timers.cancel(new JobMaster.SuspectTimedOut(lost.generation()));
            return begin(lost, b.kind(), b.node(), b.detectSeconds(), noticed && nodeId.equals(b.node()));
        }
        if (d instanceof ElasticPolicy.RestartForming r) {
            return restartForming(lost, r.kind(), r.node(), r.kind() == RecoveryKind.NOTICE || noticed && nodeId.equals(r.node()));
        }
        if (d instanceof ElasticPolicy.Fail f) return h.end(lost, JobState.FAILED, f.reason());
        return h.done(lost);
    }

    /** A stall while RUNNING: every rank stalled (restart), or some silent (judge them after the grace). */
    Behavior<JobMaster.Command> afterStall(Job stalled) {
        var d = ElasticPolicy.onStall(stalled, stalled.elastic().secondsSinceFirstStall(h.now()));
        if (d instanceof ElasticPolicy.BeginRecovery b) {
            h.timers.cancel(new JobMaster.SuspectTimedOut(stalled.generation()));
            return begin(stalled, b.kind(), b.node(), b.detectSeconds());
        }
        if (d instanceof ElasticPolicy.Fail f) return h.end(stalled, JobState.FAILED, f.reason());
        if (d instanceof ElasticPolicy.SuspectLater) {
            // (re)started by every stall report: the silent are judged a grace after the last one
            h.timers.startSingleTimer(new JobMaster.SuspectTimedOut(stalled.generation()), h.deps.settings().stallSuspectGrace());
            h.probes.probe(stalled); // a node whose agent does not answer is gone: judged sooner than the grace
        }
        return h.done(stalled);
    }

    /** The grace ran out: the ranks still silent lost their nodes (without waiting for the cluster to down them). */
    Behavior<JobMaster.Command> onSuspectTimeout() {
        var silent = ElasticPolicy.suspects(job());
        if (silent.isEmpty()) return h.unchanged();
        return suspect(silent, "stayed silent for " + h.deps.settings().stallSuspectGrace().toMillis() + " ms");
    }

    /** These silent ranks' nodes are treated as lost ({@code why}: what gave them away) and the job recovers without them. */
    Behavior<JobMaster.Command> suspect(List<Member> silent, String why) {
        Job job = job();
        double detect = job.elastic().secondsSinceFirstStall(h.now());
        Job suspected = job;
        for (Member m : silent) {
            suspected = suspected.withEvent(JobEventType.NODE_SUSPECTED, m.nodeId(), m.rank(), "the other ranks stalled and rank " + m.rank()
                    + " " + why, h.now());
            h.log.warn("job {}: node {} {} while the other ranks stalled; treating it as lost", job.id(), m.nodeId(), why);
        }
        // a probe judged only the silent ranks whose agent did not answer: the others keep the grace, now during the recovery
        if (silent.size() == ElasticPolicy.suspects(job).size()) h.timers.cancel(new JobMaster.SuspectTimedOut(job.generation()));
        var ids = silent.stream().map(Member::nodeId).toList();
        var manager = h.deps.manager();
        h.after(() -> manager.tell(new JobManager.SuspectNodes(job.id(), ids))); // not scheduled again until it proves alive
        h.done(suspected);
        begin(job(), RecoveryKind.KILL, silent.get(0).nodeId(), detect);
        for (Member m : silent.subList(1, silent.size())) {
            if (job().state() == JobState.RECOVERING && job().elastic().recovery() != null) {
                widen(job(), m.nodeId(), m, why + " while the other ranks stalled");
            }
        }
        return h.unchanged();
    }

    Behavior<JobMaster.Command> begin(Job job, RecoveryKind kind, String node, double detectSeconds) {
        return begin(job, kind, node, detectSeconds, false);
    }

    /**
     * Starts a recovery: survivors keep their rank order. After a notice every member (the
     * departing one too) checkpoints the next common step; after a loss the survivors checkpoint
     * the step they all hold (the smallest they stalled at). {@code noticed}: the departing node had given notice (a loss of
     * a node whose notice waited: recorded as its notice, {@link Recovery#noticed}).
     */
    Behavior<JobMaster.Command> begin(Job job, RecoveryKind kind, String node, double detectSeconds, boolean noticed) {
        var survivors = ElasticPolicy.survivors(job, kind, node);
        var begun = Recovery.begin(kind, node, survivors, h.now().toString(), detectSeconds, job.training().step());
        var rec = noticed ? begun.givenNotice() : begun;
        int max = job.spec().spec().maxRestarts();
        String what = switch (kind) {
            case FAILURE -> "failure of a rank on " + node + " (restart " + (job.elastic().restarts() + 1) + " of " + max
                    + "): checkpointing the other ranks";
            case STALL -> "every rank stalled with no node missing (restart " + (job.elastic().restarts() + 1) + " of " + max
                    + "): checkpointing all ranks";
            case GROW -> "growing from world size " + job.worldSize() + " toward " + (job.scaling().desired() == null ? "max " : "the desired ")
                    + job.targetWorkers() + ": free nodes fit the job; checkpointing all ranks";
            default -> kind.label() + " on " + node + ": checkpointing survivors";
        };
        Job recovering = job.withElastic(e -> e.withRecovery(rec)).transition(JobState.RECOVERING, what, h.now());
        h.log.warn("job {} recovering: {} (survivors: ranks {})", job.id(), what, survivors);
        if (h.notices.recoveryBegun(kind, node)) recovering = requestReplacement(recovering, node);
        h.staging.recoveryBegun(recovering);
        h.timers.startSingleTimer(new JobMaster.RecoveryTimedOut(job.generation()), h.deps.settings().generationStartTimeout());
        if (kind.collective()) {
            tell(recovering, rec.survivors(), m -> new AgentProtocol.RequestCheckpoint(job.id(), job.generation(), -1));
            return h.done(recovering);
        }
        return agree(recovering);
    }

    /**
     * A member leaves while the generation is still forming: stop it and form the next one from
     * the same resume step (nothing new was trained that a checkpoint could keep). {@code noticed}: the
     * node gave notice (now, or held until its ranks attached and lost meanwhile): recorded as its notice.
     */
    Behavior<JobMaster.Command> restartForming(Job job, RecoveryKind kind, String node, boolean noticed) {
        var survivors = job.members().stream().filter(m -> !m.nodeId().equals(node)).map(Member::rank).toList();
        long step = job.elastic().resumeStep();
        var rec = new Recovery(kind, node, survivors, step, Set.copyOf(survivors), Set.of(), h.now().toString(), 0, step, List.of(), List.of(),
                noticed);
        Job recovering = requestReplacement(job.withElastic(e -> e.withRecovery(rec)).transition(JobState.RECOVERING, kind.label() + " on "
                + node + " while generation " + job.generation() + " was forming: restarting it from step " + step, h.now()), node);
        h.timers.startSingleTimer(new JobMaster.RecoveryTimedOut(job.generation()), h.deps.settings().generationStartTimeout());
        h.timers.cancel(new JobMaster.PortTimedOut(job.generation()));
        h.timers.cancel(new JobMaster.StartTimedOut(job.generation()));
        var stillRunning = recovering.members().stream().filter(m -> !m.nodeId().equals(node) && m.exitCode() == null).toList();
        if (stillRunning.stream().noneMatch(m -> m.pid() > 0)) return close(recovering); // nothing was started yet
        tell(recovering, recovering.members().stream().map(Member::rank).toList(),
                m -> new AgentProtocol.StopGeneration(recovering.id(), recovering.generation(), "generation restarts"));
        return h.done(recovering);
    }

    /**
     * A further member is lost while a recovery runs (or was lost together with the first): it is
     * dropped from the survivors, replaced, and the recovery goes on with the rest.
     */
    private Behavior<JobMaster.Command> widen(Job job, String nodeId, Member member, String why) {
        var rec = job.elastic().recovery().withAlsoLost(nodeId, member.rank());
        Job widened = job.withElastic(e -> e.withRecovery(rec)).withEvent(JobEventType.RECOVERY_WIDENED, nodeId, member.rank(),
                "also lost (" + why + "); survivors now ranks " + rec.survivors(), h.now());
        // a job stepping aside gives every node back: nothing replaces the lost one
        Job j = ElasticPolicy.stepsAside(job, rec) ? widened : requestReplacement(widened, nodeId);
        h.log.warn("job {}: node {} also lost during the recovery; survivors {}", j.id(), nodeId, rec.survivors());
        if (!job.elastic().recovery().allCheckpointed() && rec.allCheckpointed() && !rec.survivors().isEmpty()) {
            // the lost rank was the only one the agreed step still waited for (a collective checkpoint the others wrote, or
            // wrote when they stalled as it went): the generation closes now. Nothing else would ask the survivors to stop:
            // a rank killed as a growth began left its survivor waiting, parked by nobody, until its own node went.
            Job ready = j.withEvent(JobEventType.RECOVERY_CHECKPOINTED, null, -1, "step " + rec.agreedStep() + " on all "
                    + rec.survivors().size() + " surviving ranks (the one missing was lost)", h.now());
            tell(ready, ready.members().stream().filter(m -> m.exitCode() == null && m.rank() != member.rank()).map(Member::rank).toList(),
                    m -> closeFor(ready, m));
            j = ready;
        }
        if (member.exitCode() == null) return onExitOf(j, member.rank(), nodeId, Contract.EXIT_RESUMABLE);
        return ElasticPolicy.readyToClose(j) ? close(j) : agree(j); // every other rank may have exited already
    }

    // ---- during a recovery ----

    Behavior<JobMaster.Command> onExitReport(AgentProtocol.RankExited e) {
        return h.current(e) ? onExit(e) : h.unchanged();
    }

    Behavior<JobMaster.Command> onSuspectTimedOut(JobMaster.SuspectTimedOut t) {
        return t.generation() == job().generation() ? onSuspectTimeout() : h.unchanged();
    }

    /**
     * The grace ran out during a loss recovery that a probe began: survivors still silent (no stall,
     * no exit: their agent answered, but the rank never saw its collective fail) are lost too, as the
     * grace would have judged them had no probe come first; the recovery goes on without them.
     */
    Behavior<JobMaster.Command> onSuspectTimedOutRecovering(JobMaster.SuspectTimedOut t) {
        Job job = job();
        var rec = job.elastic().recovery();
        if (t.generation() != job.generation() || rec == null || rec.kind() != RecoveryKind.KILL || rec.agreedStep() >= 0) {
            return h.unchanged();
        }
        var silent = ElasticPolicy.silent(job).stream().filter(m -> rec.survivors().contains(m.rank())).toList();
        if (silent.isEmpty()) return h.unchanged();
        var ids = silent.stream().map(Member::nodeId).toList();
        var manager = h.deps.manager();
        h.after(() -> manager.tell(new JobManager.SuspectNodes(job.id(), ids))); // with the first write below
        String why = "stayed silent for " + h.deps.settings().stallSuspectGrace().toMillis() + " ms while the other ranks stalled";
        for (Member m : silent) {
            if (job().state() != JobState.RECOVERING || job().elastic().recovery() == null) break;
            h.log.warn("job {}: node {} {}; treating it as lost too", job.id(), m.nodeId(), why);
            widen(job().withEvent(JobEventType.NODE_SUSPECTED, m.nodeId(), m.rank(), "rank " + m.rank() + " " + why, h.now()),
                    m.nodeId(), m, why);
        }
        return h.unchanged();
    }

    Behavior<JobMaster.Command> onRecoveryTimedOut(JobMaster.RecoveryTimedOut t) {
        return t.generation() == job().generation() ? onTimeout() : h.unchanged();
    }

    /** Once every survivor reported where it stalled, all checkpoint the smallest step (none survived: close at once). */
    Behavior<JobMaster.Command> agree(Job current) {
        var outOfReach = ElasticPolicy.outOfReach(current);
        Job job = outOfReach.isEmpty() ? current : asLoss(current, outOfReach);
        var step = ElasticPolicy.agreeOnStep(job);
        if (step.isEmpty()) return h.done(job);
        var rec = job.elastic().recovery();
        long s = step.getAsLong();
        var counted = ElasticPolicy.withCommitted(job, rec.agreed(s));
        Job agreed = job.withElastic(e -> e.withRecovery(counted)).withEvent(JobEventType.RECOVERY_STEP, null, -1,
                rec.survivors().isEmpty() ? "no rank survived: resuming from the newest checkpoint, step " + s
                        : "survivors checkpoint step " + s, h.now());
        if (rec.survivors().isEmpty()) return close(agreed);
        var toAsk = rec.survivors().stream().filter(r -> !counted.checkpointed().contains(r)).toList();
        tell(agreed, toAsk, m -> new AgentProtocol.RequestCheckpoint(job.id(), job.generation(), s));
        if (!counted.allCheckpointed()) return h.done(agreed);
        // every survivor holds the step already (they wrote it when they stalled): the generation closes now
        Job ready = agreed.withEvent(JobEventType.RECOVERY_CHECKPOINTED, null, -1, "step " + s + " on all " + rec.survivors().size()
                + " ranks (written when they stalled)", h.now());
        tell(ready, ready.members().stream().filter(m -> m.exitCode() == null).map(Member::rank).toList(), m -> closeFor(ready, m));
        return ElasticPolicy.readyToClose(ready) ? close(ready) : h.done(ready);
    }

    /** A collective recovery whose agreed step some survivors cannot write ({@link ElasticPolicy#outOfReach}) goes on as a loss. */
    private Job asLoss(Job job, List<Integer> outOfReach) {
        var rec = job.elastic().recovery();
        var stalls = job.elastic().stalls();
        Integer departing = rec.kind() == RecoveryKind.NOTICE ? job.memberOn(rec.node()).map(Member::rank).orElse(null) : null;
        String where = outOfReach.stream().map(r -> "rank " + r + " at " + stalls.get(r)).toList().toString();
        h.log.warn("job {}: survivors stalled before the {}'s step {} {}; recovering as from a loss", job.id(), rec.kind().label(),
                rec.agreedStep(), where);
        return job.withElastic(e -> e.withRecovery(rec.asLoss(departing))).withEvent(JobEventType.RECOVERY_STEP, null, -1, "survivors "
                + "stalled before step " + rec.agreedStep() + " " + where + ": the survivors checkpoint the step they all hold, as after a loss",
                h.now());
    }

    /**
     * Asks these survivors for the collective recovery's agreed step ({@link ElasticPolicy#owed}); returns the job with each
     * counted as stalled there (a rank a step past it goes back to it: an agreement started over must not ask it for the later
     * step, which it no longer holds).
     */
    Job askOwed(Job job, List<Integer> ranks) {
        long step = job.elastic().recovery().agreedStep();
        tell(job, ranks, m -> new AgentProtocol.RequestCheckpoint(job.id(), job.generation(), step));
        Job asked = job;
        for (int r : ranks) asked = asked.withElastic(e -> e.stalled(r, step, h.now()));
        return asked;
    }

    Behavior<JobMaster.Command> onCheckpoint(Job job, AgentProtocol.CheckpointReported c) {
        var counted = ElasticPolicy.onRecoveryCheckpoint(job, c.rank(), c.step(), c.reason());
        if (counted.isEmpty()) return h.done(job);
        Job next = job.withElastic(e -> e.withRecovery(counted.get()));
        if (job.elastic().recovery().agreedStep() < 0) { // this checkpoint set the step: ranks stalled meanwhile are asked for it
            if (!ElasticPolicy.outOfReach(next).isEmpty()) return agree(next);
            next = askOwed(next, ElasticPolicy.owed(next));
        }
        if (!counted.get().allCheckpointed()) return h.done(next);
        Job ready = next.withEvent(JobEventType.RECOVERY_CHECKPOINTED, null, -1, "step " + counted.get().agreedStep() + " on all "
                + counted.get().survivors().size() + " ranks", h.now());
        tell(ready, ready.members().stream().map(Member::rank).toList(), m -> closeFor(ready, m));
        return h.done(ready);
    }

    /**
     * The end of a member's part in a generation closing for recovery: a survivor is parked (its
     * process kept for an in-place re-form where its rank can: contract v2), the departing stopped.
     */
    static AgentProtocol.StopGeneration closeFor(Job job, Member m) {
        var rec = job.elastic().recovery();
        boolean survivor = rec != null && rec.survivors().contains(m.rank()) && !rec.departing().contains(m.nodeId());
        return new AgentProtocol.StopGeneration(job.id(), job.generation(), "generation closes for recovery", survivor);
    }

    Behavior<JobMaster.Command> onExit(AgentProtocol.RankExited e) {
        Job j = job().withEvent(JobEventType.RANK_EXITED, e.nodeId(), e.rank(), e.parked() ? "parked for an in-place re-form (recovery)"
                : "exit code " + e.exitCode() + " (recovery)", h.now());
        return onExitOf(j, e.rank(), e.nodeId(), e.exitCode());
    }

    private Behavior<JobMaster.Command> onExitOf(Job job, int rank, String nodeId, int exitCode) {
        Job j = job.withMember(rank, m -> m.exited(exitCode)).withElastic(el -> el.withRecovery(el.recovery().exited(rank)));
        var d = ElasticPolicy.onRecoveryExit(j, rank, nodeId, exitCode);
        if (d instanceof ElasticPolicy.Close) return close(j);
        if (d instanceof ElasticPolicy.Fail f) return h.end(j, JobState.FAILED, f.reason());
        return agree(j);
    }

    Behavior<JobMaster.Command> onTimeout() {
        Job job = job();
        var rec = job.elastic().recovery();
        if (job.state() != JobState.RECOVERING || rec == null) return h.unchanged();
        String missing = rec.agreedStep() < 0 ? "no common step was agreed (stall reports: " + job.elastic().stalls() + ")"
                : "ranks " + rec.survivors().stream().filter(r -> !rec.checkpointed().contains(r)).toList() + " did not checkpoint step "
                        + rec.agreedStep();
        return h.end(job, JobState.FAILED, "recovery from the " + rec.kind().label() + " on " + rec.node() + " did not complete within "
                + h.deps.settings().generationStartTimeout().toSeconds() + "s: " + missing);
    }

    // ---- the end of a generation ----

    /** The old generation is over: free its nodes and ask for the next one's. */
    Behavior<JobMaster.Command> close(Job job) {
        var plan = ElasticPolicy.closePlan(job);
        h.timers.cancel(new JobMaster.RecoveryTimedOut(job.generation()));
        Job closed = job.closeGeneration(h.now()).withElastic(e -> e.nextGeneration(plan.resumeStep(), plan.preemptions(), plan.growth()))
                .withPendingReason("resuming from step " + plan.resumeStep());
        var nodes = new ArrayList<>(job.members().stream().map(Member::nodeId).toList());
        var staged = h.staging.releaseAtClose(job, plan.keepNodes().size()); // placed again right after the survivors
        nodes.addAll(staged);
        var manager = h.deps.manager();
        h.done(closed);
        // the next request goes with the release, queued before the freed nodes are placed: a waiting job of a higher priority
        // cannot take a survivor's node between the two (the survivors resume in place); after a shrink no more than stay
        // (a shrink that met a loss became a loss recovery, but its given-back nodes are still given back)
        var released = job.elastic().recovery().released();
        // after an interruption with newcomers carried (they join by a growth once up), the next generation is the survivors and
        // the ready newcomers: no other free node takes a carried one's place cold (a process started at the close holds every
        // rank's first step back by its start and restore). Not at a growth's close: a newcomer that never came up is carried
        // there too, and free nodes must still be able to fill its place
        boolean capped = h.staging.carried() > 0 && job.elastic().recovery().kind().involuntary();
        int atMost = !released.isEmpty() ? plan.keepNodes().size() : capped ? plan.keepNodes().size() + staged.size() : 0;
        var next = h.wantsNodes(atMost, released);
        h.after(() -> manager.tell(new JobManager.ReleaseNodes(job.id(), nodes, next)));
        return h.unchanged();
    }

    Job requestReplacement(Job job, String departing) {
        var manager = h.deps.manager();
        h.after(() -> manager.tell(new JobManager.RequestReplacement(job.id(), departing)));
        return job.withEvent(JobEventType.REPLACEMENT_REQUESTED, departing, -1, "replacing " + departing, h.now());
    }

    /** Tells these ranks' agents (those the job knows) what {@code message} makes of their member, after the next write. */
    void tell(Job job, List<Integer> ranks, Function<Member, AgentProtocol.Command> message) {
        for (Member m : job.members()) {
            if (!ranks.contains(m.rank())) continue;
            var agent = h.agents.get(m.nodeId());
            if (agent == null) continue;
            var msg = message.apply(m);
            h.after(() -> agent.tell(msg));
        }
    }
}
