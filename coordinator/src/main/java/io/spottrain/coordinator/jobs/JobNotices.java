package io.spottrain.coordinator.jobs;

import io.spottrain.protocol.wire.AgentProtocol;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.actor.typed.Behavior;

/**
 * Interruption notices of a {@link JobMaster}'s nodes: decided by {@link ElasticPolicy#onNotice}
 * and applied here. A notice starts a recovery at once, is held until every rank of the generation
 * has attached ({@link ElasticPolicy.HoldNotice}), or opens a notice window
 * ({@link ElasticPolicy.DeferNotice}): the node trains on while its replacement boots, and is
 * swapped out once the replacement is free (staged first where the ranks can re-form in place) or
 * at the window's end. Recoveries themselves are {@link JobRecoveries}'.
 */
final class JobNotices {
    private final JobHandlers h;
    /**
     * Notices whose swap waits for the replacement (the notice window), by node: when each must
     * start at the latest. In memory: a job manager that takes over meanwhile lets the node go at
     * its deadline (a loss, recovered as such).
     */
    private final Map<String, Instant> deferred = new HashMap<>();
    /** Nodes whose replacement was requested at a deferred notice (the swap must not ask again). */
    private final Set<String> replacing = new HashSet<>();
    /** Notices held until every rank of the generation has attached ({@link ElasticPolicy.HoldNotice}), by node. */
    private final Map<String, JobMaster.NodeNotice> held = new LinkedHashMap<>();

    JobNotices(JobHandlers h) {
        this.h = h;
    }

    private Job job() {
        return h.job();
    }

    Behavior<JobMaster.Command> onNotice(JobMaster.NodeNotice notice) {
        return onNotice(notice.notice(), notice.replaceable());
    }

    private Behavior<JobMaster.Command> onNotice(AgentProtocol.NodeInterruptionNotice n, boolean replaceable) {
        Job job = job();
        held.remove(n.nodeId()); // decided now (held again below if it still must wait)
        if (deferred.containsKey(n.nodeId())) return h.unchanged(); // the same notice again (IMDS is polled)
        Instant deadline = n.deadline() == null ? null : Instant.parse(n.deadline());
        var d = ElasticPolicy.onNotice(job, n.nodeId(), n.kind(), deadline, h.now(), h.deps.settings().noticeSwapMargin(), replaceable);
        if (d instanceof ElasticPolicy.Ignore) return h.unchanged();
        String what = n.kind().label() + " (" + n.action() + ")" + (n.deadline() == null ? "" : ", deadline " + n.deadline());
        int rank = job.memberOn(n.nodeId()).map(Member::rank).orElse(-1);
        if (d instanceof ElasticPolicy.DeferNotice w) {
            deferred.put(w.node(), w.swapBy());
            replacing.add(w.node());
            h.timers.startSingleTimer(new JobMaster.NoticeSwapDue(w.node(), job.generation()), Duration.between(h.now(), w.swapBy()));
            h.log.info("job {}: notice on {}; it trains on while a replacement boots (swap by {})", job.id(), w.node(), w.swapBy());
            return h.done(h.recoveries.requestReplacement(job.withEvent(JobEventType.NODE_NOTICE, n.nodeId(), rank, what + "; training on until a "
                    + "replacement is ready (swap by " + w.swapBy() + ")", h.now()), w.node()));
        }
        if (d instanceof ElasticPolicy.HoldNotice) { // no log line: the event says it
            held.put(n.nodeId(), new JobMaster.NodeNotice(n, replaceable));
            return h.done(job.withEvent(JobEventType.NODE_NOTICE, n.nodeId(), rank, what + "; acted on once every rank of generation "
                    + job.generation() + " has attached", h.now()));
        }
        Job noted = job.withEvent(JobEventType.NODE_NOTICE, n.nodeId(), rank, what, h.now());
        if (d instanceof ElasticPolicy.BeginRecovery b) return h.recoveries.begin(noted, b.kind(), b.node(), b.detectSeconds());
        if (d instanceof ElasticPolicy.RestartForming r) return h.recoveries.restartForming(noted, r.kind(), r.node(), true);
        return h.done(noted);
    }

    /** Every rank has attached: the notices held meanwhile are decided now (null: none was held). */
    Behavior<JobMaster.Command> actOnHeldNotices() {
        Behavior<JobMaster.Command> next = null;
        for (var n : List.copyOf(held.values())) next = onNotice(n.notice(), n.replaceable());
        return next;
    }

    /**
     * The node is gone: a notice held for it has nothing left to decide. True when it had given notice that still waited (held,
     * or in its window): its loss is recorded as its notice ({@link Recovery#noticed}).
     */
    boolean forget(String nodeId) {
        boolean wasHeld = held.remove(nodeId) != null;
        return wasHeld || deferred.containsKey(nodeId);
    }

    /**
     * A recovery of {@code kind} on {@code node} began: it ends every notice window (a noticed node
     * still here is handled by it or later). True when a replacement must be asked for now (one
     * asked for at the node's deferred notice is not asked again).
     */
    boolean recoveryBegun(RecoveryKind kind, String node) {
        deferred.clear();
        return kind.replaces() && !replacing.remove(node);
    }

    /** The nodes whose notice is deferred (a notice window) or held (ranks not yet attached), or null when none. */
    String noticedNodes() {
        var all = new TreeSet<>(deferred.keySet());
        all.addAll(held.keySet());
        return all.isEmpty() ? null : String.join(", ", all);
    }

    /**
     * Free capacity came while a notice waits for its replacement: stage the newcomer on it, and
     * swap once it is ready (or at once when nothing can be staged). True if a notice waited.
     */
    boolean swapDeferred() {
        var next = deferred.keySet().stream().findFirst();
        if (next.isEmpty() || job().state() != JobState.RUNNING) return false;
        if (h.staging.stageForSwap(job(), next.get())) {
            h.log.info("job {}: a replacement for {} is free: staging it before the swap", job().id(), next.get());
            return true;
        }
        swapNow(next.get());
        return true;
    }

    /** A node of the job in its notice window (its swap waits for a replacement), or null. */
    String deferredNode() {
        return deferred.keySet().stream().sorted().findFirst().orElse(null);
    }

    /** Swap the noticed node out now (a notice recovery; its replacement, staged or not, is placed after the survivors). */
    Behavior<JobMaster.Command> swapNow(String node) {
        if (!deferred.containsKey(node) || job().state() != JobState.RUNNING) return h.unchanged();
        h.log.info("job {}: swapping out {}", job().id(), node);
        return h.recoveries.begin(job(), RecoveryKind.NOTICE, node, 0);
    }

    /** The notice window is up without a ready replacement: the job shrinks now, before the node is taken. */
    Behavior<JobMaster.Command> onNoticeSwapDue(JobMaster.NoticeSwapDue due) {
        if (!deferred.containsKey(due.node()) || due.generation() != job().generation() || job().state() != JobState.RUNNING) {
            return h.unchanged();
        }
        h.log.info("job {}: no replacement for {} was ready in its notice window: going on without it", job().id(), due.node());
        return h.recoveries.begin(job(), RecoveryKind.NOTICE, due.node(), 0);
    }
}
