package io.spottrain.coordinator.jobs;

import io.spottrain.protocol.contract.Contract;
import io.spottrain.protocol.spec.ScaleUp;
import io.spottrain.protocol.wire.InterruptionKind;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The elastic decisions, as pure functions of a {@link Job} and what just happened: no actor, no
 * clock, no store. The {@link JobMaster} asks, then applies the {@link Decision} (records,
 * messages, timers). Each function is pinned down by a table test ({@code ElasticPolicyTest}).
 */
public final class ElasticPolicy {

    private ElasticPolicy() {}

    /** What to do about an event. */
    public sealed interface Decision permits Ignore, RecordOnly, BeginRecovery, RestartForming, Widen, DepartedAsAnnounced,
            NoticeBecomesLoss, Fail, Succeed, Close, SuspectLater, DeferNotice, GrowAfter, HoldNotice, NotWorthGrowing {}

    /** Not this job's concern (another generation, a node it does not use). */
    public record Ignore() implements Decision {}

    /** Worth an event, nothing more. */
    public record RecordOnly() implements Decision {}

    /** Survivors checkpoint a common step, then the generation closes; {@code node} null for a stall. */
    public record BeginRecovery(RecoveryKind kind, String node, double detectSeconds) implements Decision {}

    /** A member left while the generation was still forming: stop it and form the next from the same step. */
    public record RestartForming(RecoveryKind kind, String node) implements Decision {}

    /** A further member is lost during a recovery: it stops being a survivor (a wave is one recovery). */
    public record Widen(String node, int rank) implements Decision {}

    /** The node that gave notice is gone, as announced; {@code exitPending}: its rank's exit was not reported. */
    public record DepartedAsAnnounced(int rank, boolean exitPending) implements Decision {}

    /** The node that gave notice left before the emergency checkpoint: recover as from a loss. */
    public record NoticeBecomesLoss(int rank) implements Decision {}

    public record Fail(String reason) implements Decision {}

    public record Succeed(String reason) implements Decision {}

    /** Every survivor checkpointed the agreed step and stopped: close the generation. */
    public record Close() implements Decision {}

    /** Some ranks are silent while the others stalled: judge them after the grace. */
    public record SuspectLater() implements Decision {}

    /**
     * Use the notice window: the noticed node trains on while its replacement boots; the swap (a
     * notice recovery) starts when the replacement is free, or at {@code swapBy} at the latest.
     */
    public record DeferNotice(String node, Instant swapBy) implements Decision {}

    /**
     * A departing notice while the generation runs but not every rank has attached yet (a newcomer
     * still restoring after a growth) though the job speaks the contract (a rank of this or an
     * earlier generation attached): nothing can checkpoint on request now, so the notice is held
     * and decided again once every rank has attached. Recording it only would waste the notice:
     * the node would go at its deadline as a loss.
     */
    public record HoldNotice(String node) implements Decision {}

    /** Free nodes fit a job whose generation is younger than the cooldown: offer them again once it is {@code after} older. */
    public record GrowAfter(Duration after) implements Decision {}

    /** Free nodes fit the job, but growing into them would cost more training time than it saves ({@link GrowthGain}). */
    public record NotWorthGrowing(String why) implements Decision {}

    /** Every rank said hello over the contract: it can checkpoint on request and resume. */
    public static boolean recoverable(Job job) {
        return job.worldSize() > 0 && job.elastic().attached().size() == job.worldSize();
    }

    /**
     * Not every rank of this generation has attached yet (it is still starting), but an earlier
     * generation proved the program speaks the contract and left a step to resume from.
     */
    public static boolean resumable(Job job) {
        return job.generation() > 1 && job.elastic().resumeStep() > 0;
    }

    /** A node of the job gave notice (or a rebalance recommendation); a generation still forming forms again without it. */
    public static Decision onNotice(Job job, String nodeId, InterruptionKind kind) {
        return onNotice(job, nodeId, kind, null, null, Duration.ZERO, false);
    }

    /**
     * As above, with the notice's {@code deadline} (null: none given), the time now, the margin a
     * swap needs before the deadline, and whether a replacement can be launched: a running job
     * whose node must go at a known deadline with more than the margin left keeps training and
     * swaps in the replacement when it is ready ({@link DeferNotice}) instead of shrinking now.
     */
    public static Decision onNotice(Job job, String nodeId, InterruptionKind kind, Instant deadline, Instant now, Duration margin,
            boolean replaceable) {
        if (!job.active() || job.memberOn(nodeId).isEmpty()) return new Ignore();
        if (!kind.departs()) return new RecordOnly();
        if (job.state() == JobState.RUNNING && recoverable(job) && replaceable && deadline != null && now != null
                && deadline.minus(margin).isAfter(now)) {
            return new DeferNotice(nodeId, deadline.minus(margin));
        }
        if (job.state() == JobState.RUNNING && recoverable(job)) return new BeginRecovery(RecoveryKind.NOTICE, nodeId, 0);
        // some rank of this generation attached, or an earlier one did: it speaks the contract, the others are about to
        if (job.state() == JobState.RUNNING && (!job.elastic().attached().isEmpty() || resumable(job))) return new HoldNotice(nodeId);
        if (job.state() == JobState.STARTING) return new RestartForming(RecoveryKind.NOTICE, nodeId);
        return new RecordOnly(); // its loss, when it comes, decides
    }

    /** A node of the job is gone (left, downed, suspected, silent). */
    public static Decision onNodeLost(Job job, String nodeId, String why, double detectSeconds) {
        var member = job.memberOn(nodeId);
        if (member.isEmpty() || !(job.active() || job.state() == JobState.RECOVERING)) return new Ignore();
        int rank = member.get().rank();
        Recovery rec = job.elastic().recovery();
        if (job.state() == JobState.RECOVERING) {
            if (rec == null) return new RecordOnly(); // its generation is closed: nothing of the job runs there
            if (!nodeId.equals(rec.node())) {
                return rec.survivors().contains(rank) ? new Widen(nodeId, rank) : new RecordOnly();
            }
            if (rec.allCheckpointed() || !rec.kind().collective()) {
                return new DepartedAsAnnounced(rank, member.get().exitCode() == null);
            }
            return new NoticeBecomesLoss(rank);
        }
        if (job.state() == JobState.RUNNING && recoverable(job) && job.worldSize() > 1) {
            return new BeginRecovery(RecoveryKind.KILL, nodeId, detectSeconds);
        }
        // a generation still forming has trained nothing: form it again, from where it was to start
        if (job.state() == JobState.STARTING || (job.state() == JobState.RUNNING && resumable(job))) {
            return new RestartForming(RecoveryKind.KILL, nodeId);
        }
        return new Fail("node " + nodeId + " (rank " + rank + ") was lost: it " + why
                + (recoverable(job) ? "" : " (its ranks do not speak the training contract, so they cannot be resumed)"));
    }

    /**
     * A rank exited while the generation forms or runs; {@code job} already has the exit recorded.
     * An error spends a restart when the job can resume (else it fails); all exited 0: succeeded.
     */
    public static Decision onRankExited(Job job, int rank, String nodeId, int exitCode, String lastLogLine) {
        if (exitCode == Contract.EXIT_RESUMABLE && job.state() == JobState.RUNNING && recoverable(job)
                && job.elastic().stalls().containsKey(rank)) {
            // a rank that stalled (its collective broke), wrote its last step and stopped: not a failure;
            // the stall reports decide (a silent peer is suspected lost, or every rank stalled)
            return new RecordOnly();
        }
        if (exitCode != 0) {
            String failure = "rank " + rank + " on " + nodeId + " exited with code " + exitCode
                    + (lastLogLine == null || lastLogLine.isEmpty() ? "" : ": " + lastLogLine);
            if (job.state() == JobState.RUNNING && recoverable(job)) {
                int max = job.spec().spec().maxRestarts();
                if (job.elastic().restarts() < max) return new BeginRecovery(RecoveryKind.FAILURE, nodeId, 0);
                failure += " (no restart left: maxRestarts " + max + " used)";
            }
            return new Fail(failure);
        }
        if (job.members().stream().allMatch(m -> m.exitCode() != null)) {
            return new Succeed("all " + job.worldSize() + " ranks exited 0");
        }
        return new RecordOnly();
    }

    /**
     * A rank exited during a recovery ({@code job} has the exit recorded). Close once every
     * survivor checkpointed and every rank that still had to go is gone; an error before the
     * checkpoint fails the job, unless it is the failing or lost node's own rank.
     */
    public static Decision onRecoveryExit(Job job, int rank, String nodeId, int exitCode) {
        Recovery rec = job.elastic().recovery();
        if (rec == null) return new Ignore();
        if (readyToClose(job)) return new Close();
        boolean ownNode = nodeId.equals(rec.node()) && !rec.kind().collective();
        if (!rec.allCheckpointed() && exitCode != Contract.EXIT_RESUMABLE && !ownNode) {
            return new Fail("rank " + rank + " on " + nodeId + " exited with code " + exitCode + " during recovery, before its checkpoint");
        }
        return new RecordOnly();
    }

    /** Ranks of a running generation that have neither stalled nor exited. */
    public static List<Member> silent(Job job) {
        var stalls = job.elastic().stalls();
        return job.members().stream().filter(m -> m.exitCode() == null && !stalls.containsKey(m.rank())).toList();
    }

    /**
     * A stall report while RUNNING ({@code job} has it recorded). Every rank stalled and none is
     * missing: the collective failed by itself (restarted within maxRestarts). Some stalled and
     * some are silent: judge the silent after the grace (a rank that crashed on a live node reports
     * its exit in milliseconds).
     */
    public static Decision onStall(Job job, double secondsSinceFirstStall) {
        if (job.state() != JobState.RUNNING || !recoverable(job)) return new Ignore();
        var silent = silent(job);
        if (silent.isEmpty() && job.members().stream().allMatch(m -> m.exitCode() == null)) {
            int max = job.spec().spec().maxRestarts();
            if (job.elastic().restarts() < max) return new BeginRecovery(RecoveryKind.STALL, null, secondsSinceFirstStall);
            return new Fail("every rank stalled (" + job.elastic().stalls() + ") and no restart is left: maxRestarts " + max + " used");
        }
        if (!silent.isEmpty() && silent.size() < job.worldSize()) return new SuspectLater();
        return new Ignore();
    }

    /** The grace after the last stall report ran out: the ranks still silent have lost their nodes. */
    public static List<Member> suspects(Job job) {
        if (job.state() != JobState.RUNNING) return List.of();
        var silent = silent(job);
        return silent.size() < job.worldSize() ? silent : List.of();
    }

    /**
     * After a loss, failure or stall: once every survivor reported the step it stalled at, all
     * checkpoint the smallest. With no survivor (a world of one failed) the newest checkpoint of
     * rank 0 is the step (every rank restores it: local, a peer, or S3), else where the generation started.
     */
    public static OptionalLong agreeOnStep(Job job) {
        Recovery rec = job.elastic().recovery();
        if (job.state() != JobState.RECOVERING || rec == null || rec.kind().collective() || rec.agreedStep() >= 0) {
            return OptionalLong.empty();
        }
        var stalls = job.elastic().stalls();
        if (!stalls.keySet().containsAll(rec.survivors())) return OptionalLong.empty();
        if (rec.survivors().isEmpty()) {
            long newest = job.training().checkpoints().newestRank0Step();
            return OptionalLong.of(newest >= 0 ? newest : job.elastic().resumeStep());
        }
        return OptionalLong.of(rec.survivors().stream().mapToLong(stalls::get).min().orElse(0));
    }

    /**
     * Free nodes that fit the job are offered to it: a running job below its max, every rank
     * attached (so all can checkpoint on request), its spec not {@code scaleUp: never}, and its
     * generation at least {@code cooldown} old grows (the next generation takes the free nodes); a
     * younger one asks for the offer again when the cooldown ends (nothing else may free a node then).
     */
    public static Decision onCapacityFree(Job job, int free, Instant now, Duration cooldown) {
        return onCapacityFree(job, free, now, cooldown, true);
    }

    /**
     * As above; with {@code weigh} the growth must also pay ({@link GrowthGain}: the time it saves
     * on the steps left against what a growth costs this job). An operator's resize is not weighed.
     */
    public static Decision onCapacityFree(Job job, int free, Instant now, Duration cooldown, boolean weigh) {
        if (free <= 0 || job.state() != JobState.RUNNING || job.elastic().recovery() != null || !recoverable(job)) return new Ignore();
        if (job.spec().spec().elastic().scaleUp() == ScaleUp.NEVER) return new Ignore();
        if (job.worldSize() >= job.targetWorkers()) return new Ignore(); // its max, or the operator's desired count
        if (job.elastic().attached().size() < job.worldSize()) return new Ignore();
        if (job.generationOpenedAt() != null) {
            Duration age = Duration.between(Instant.parse(job.generationOpenedAt()), now);
            if (age.compareTo(cooldown) < 0) return new GrowAfter(cooldown.minus(age));
        }
        if (weigh) {
            int grown = Math.min(job.worldSize() + free, job.targetWorkers());
            var v = GrowthGain.judge(job.training().step(), job.training().pace(), job.worldSize(), grown, job.elastic().growths());
            if (!v.grow()) return new NotWorthGrowing("not growing to " + grown + ": " + v.why());
        }
        return new BeginRecovery(RecoveryKind.GROW, null, 0);
    }

    /** Every survivor checkpointed the agreed step and every rank that had to go is gone: the generation can close. */
    public static boolean readyToClose(Job job) {
        Recovery rec = job.elastic().recovery();
        if (rec == null || !rec.allCheckpointed()) return false;
        return job.members().stream()
                .filter(m -> !m.nodeId().equals(rec.node()) || rec.kind().collective())
                .allMatch(m -> m.exitCode() != null || rec.exited().contains(m.rank()) || m.pid() == 0);
    }

    /**
     * Survivors of a collective recovery that stalled before its agreed step without having written
     * it (the ring broke under them: a member was lost after the step was agreed, ranks stall up to
     * a step apart, and the agreed step is the first one a rank wrote): they can never write it. The
     * recovery must become a loss, agreeing on the smallest step the survivors stalled at
     * ({@link Recovery#asLoss}). Empty otherwise, and once every survivor holds the step (a rank
     * that stalled at or past it is asked for it: {@link #owed}).
     */
    public static List<Integer> outOfReach(Job job) {
        Recovery rec = job.elastic().recovery();
        if (job.state() != JobState.RECOVERING || rec == null || !rec.kind().collective() || rec.agreedStep() < 0) return List.of();
        if (rec.allCheckpointed()) return List.of();
        var stalls = job.elastic().stalls();
        return rec.survivors().stream()
                .filter(r -> !rec.checkpointed().contains(r) && stalls.containsKey(r) && stalls.get(r) < rec.agreedStep())
                .toList();
    }

    /**
     * Survivors of a collective recovery still running their rank that stalled at or past its
     * agreed step without having written it (as far as the job knows): each is asked for exactly
     * that step. A stalled rank waits for such a request and holds its step and the one before; one
     * a step past the agreed step goes back to it to write it (so the job then counts it as stalled
     * there: {@link Elastic#stalled}). Without it, a rank whose collective request was lost with the
     * ring wrote its own step only when its stall wait ran out.
     */
    public static List<Integer> owed(Job job) {
        Recovery rec = job.elastic().recovery();
        if (job.state() != JobState.RECOVERING || rec == null || !rec.kind().collective() || rec.agreedStep() < 0) return List.of();
        var counted = withCommitted(job, rec);
        var stalls = job.elastic().stalls();
        var running = job.members().stream().filter(m -> m.exitCode() == null).map(Member::rank).toList();
        return rec.survivors().stream().filter(r -> running.contains(r) && !counted.checkpointed().contains(r) && stalls.containsKey(r)
                && stalls.get(r) >= rec.agreedStep()).toList();
    }

    /**
     * The agreed recovery with the survivors counted that committed the agreed step in this
     * generation already (a rank that stalls writes its last step itself, and may have stopped since:
     * it cannot be asked again).
     */
    public static Recovery withCommitted(Job job, Recovery rec) {
        var entry = job.training().entry(rec.agreedStep());
        if (entry.isEmpty() || entry.get().generation() != job.generation()) return rec;
        Recovery out = rec;
        for (int r : rec.survivors()) if (entry.get().ranks().contains(r)) out = out.checkpointed(r);
        return out;
    }

    /**
     * A rank committed a checkpoint during a recovery: the recovery with it counted, or empty when
     * it does not count (not a survivor, another step, a periodic checkpoint before a notice's
     * collective request set the step).
     */
    public static Optional<Recovery> onRecoveryCheckpoint(Job job, int rank, long step, String reason) {
        Recovery rec = job.elastic().recovery();
        if (job.state() != JobState.RECOVERING || rec == null || !rec.survivors().contains(rank)) return Optional.empty();
        if (rec.agreedStep() < 0) {
            if (!rec.kind().collective() || "interval".equals(reason)) return Optional.empty();
            rec = rec.agreed(step); // a collective request: every rank checkpoints this same step
        }
        if (step != rec.agreedStep()) return Optional.empty();
        return Optional.of(rec.checkpointed(rank));
    }

    /** How a generation closes after a recovery: where the next resumes, what is recorded, which nodes stay. */
    public record ClosePlan(long resumeStep, List<Preemption> preemptions, List<String> keepNodes, Growth growth) {}

    /**
     * After a notice the ranks may checkpoint again before they take the stop (a second collective
     * request, the stop's own checkpoint): resume from the newest step every survivor committed,
     * never older than the agreed one — local retention may already have removed the agreed step.
     * Survivors first, in rank order, so they resume from their own local tier.
     */
    public static ClosePlan closePlan(Job job) {
        Recovery rec = job.elastic().recovery();
        long step = rec.agreedStep();
        if (rec.kind().collective()) step = job.training().newestCommonStep(job.generation(), rec.survivors(), step);
        long lost = Math.max(0, rec.reachedStep() - step);
        var ps = new ArrayList<Preemption>();
        // growing and giving nodes back are no interruption (a shrink that met a loss records the loss alone, below)
        // (a growth that became a loss records its losses alone, below: it has no node of its own)
        boolean ownRow = rec.kind() != RecoveryKind.GROW && rec.released().isEmpty() && !(rec.kind() == RecoveryKind.KILL && rec.node() == null);
        if (ownRow) {
            // a notice that became a loss (its node left before its checkpoint, a survivor stalled before the agreed step, another
            // node was lost before it was agreed, the node was lost in its window or while its notice was held: docs/elastic.md)
            // is the node's notice still, with what the loss cost
            ps.add(new Preemption(rec.node() == null ? "-" : rec.node(), rec.noticed() ? RecoveryKind.NOTICE : rec.kind(), step,
                    rec.detectSeconds(), null, rec.kind() == RecoveryKind.NOTICE ? 0L : lost, rec.startedAt()));
        }
        for (String also : rec.alsoLost()) {
            ps.add(new Preemption(also, RecoveryKind.KILL, step, rec.detectSeconds(), null, lost, rec.startedAt()));
        }
        if (stepsAside(job, rec)) {
            // the job's own row, last (even after a loss during it): when it stepped aside, and once it runs again how long it waited
            ps.add(new Preemption("-", RecoveryKind.REQUEUE, step, 0, null, 0L, rec.startedAt()));
        }
        var departing = rec.departing();
        var keep = job.members().stream().map(Member::nodeId).filter(n -> !departing.contains(n)).toList();
        var growth = rec.kind() == RecoveryKind.GROW && rec.alsoLost().isEmpty() ? Growth.began(step, job.worldSize(), rec.startedAt()) : null;
        return new ClosePlan(step, ps, keep, growth);
    }

    /**
     * Whether the job can give {@code nodes} back now (null) or why not: it must be running with
     * every rank attached (a collective checkpoint needs all of them), the nodes must be its
     * members, and what stays must still meet {@code workers.min}.
     */
    public static String shrinkRefusal(Job job, List<String> nodes) {
        if (nodes.isEmpty()) return "no node named";
        if (job.state() != JobState.RUNNING) return "the job is " + job.state() + ", not RUNNING";
        if (!recoverable(job)) return "not every rank of generation " + job.generation() + " has attached yet";
        if (nodes.stream().distinct().count() != nodes.size()) return "a node is named twice";
        for (String n : nodes) if (job.memberOn(n).isEmpty()) return n + " is not one of the job's nodes";
        int left = job.worldSize() - nodes.size();
        int min = job.spec().spec().workers().min();
        return left < min ? "world size " + job.worldSize() + " - " + nodes.size() + " = " + left + " is below workers.min " + min : null;
    }

    /**
     * Whether the job can be requeued now (null) or why not: running, with every rank attached (it
     * checkpoints on request: a job is never stopped without a checkpoint).
     */
    public static String requeueRefusal(Job job) {
        if (job.state() != JobState.RUNNING) return "the job is " + job.state() + ", not RUNNING";
        if (!recoverable(job)) return "not every rank of generation " + job.generation() + " has attached (it cannot checkpoint on request)";
        return null;
    }

    /**
     * The job gave all its nodes back to be requeued and waits for new ones (its generation is
     * closed): it is placed by priority and submission like a new job, not ahead of them as a job
     * whose survivors wait idle.
     */
    public static boolean requeued(Job job) {
        if (job.state() != JobState.RECOVERING || job.elastic().recovery() != null) return false;
        var ps = job.elastic().preemptions();
        if (ps.isEmpty()) return false;
        var last = ps.get(ps.size() - 1);
        return last.kind() == RecoveryKind.REQUEUE && last.resumeSeconds() == null; // not once it ran again (a later growth closes too)
    }

    /**
     * The recovery gives every node of the job back: a requeue, also one that met a loss (then a
     * loss recovery, from what the others hold, that still steps aside: no replacement is asked for).
     */
    public static boolean stepsAside(Job job, Recovery rec) {
        return rec != null && !rec.released().isEmpty() && rec.released().containsAll(job.members().stream().map(Member::nodeId).toList());
    }

    /** The ranks that go on after {@code kind} on {@code node}: after a notice every member checkpoints, the departing one too. */
    public static List<Integer> survivors(Job job, RecoveryKind kind, String node) {
        if (kind.collective()) return job.members().stream().map(Member::rank).toList();
        return job.members().stream().filter(m -> !m.nodeId().equals(node)).map(Member::rank).toList();
    }
}
