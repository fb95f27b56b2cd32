package io.spottrain.coordinator.jobs;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A recovery in progress: {@code node} the departing or failing node (null for a stall);
 * {@code survivors} the ranks that go on; {@code agreedStep} the step all of them checkpoint (-1
 * until known); {@code checkpointed}/{@code exited} the survivors done with each phase;
 * {@code alsoLost} nodes lost during (or together with) this recovery besides {@code node} (a wave
 * of preemptions is one recovery); {@code released} the nodes a shrink gives back (empty otherwise);
 * {@code noticed}: it began with {@code node}'s interruption notice, and says so after it became a
 * loss (kind {@link RecoveryKind#KILL}): the node's interruption is recorded as a notice, with the
 * steps the loss cost (false in documents stored before it existed: they record the loss).
 */
public record Recovery(RecoveryKind kind, String node, List<Integer> survivors, long agreedStep, Set<Integer> checkpointed,
        Set<Integer> exited, String startedAt, double detectSeconds, long reachedStep, List<String> alsoLost, List<String> released,
        boolean noticed) {

    public Recovery {
        survivors = List.copyOf(survivors);
        checkpointed = Set.copyOf(checkpointed);
        exited = Set.copyOf(exited);
        alsoLost = alsoLost == null ? List.of() : List.copyOf(alsoLost);
        released = released == null ? List.of() : List.copyOf(released);
    }

    public static Recovery begin(RecoveryKind kind, String node, List<Integer> survivors, String startedAt, double detectSeconds,
            long reachedStep) {
        return new Recovery(kind, node, survivors, -1, Set.of(), Set.of(), startedAt, detectSeconds, reachedStep, List.of(), List.of(),
                kind == RecoveryKind.NOTICE);
    }

    /** A shrink: every member checkpoints the next common step, and the next generation goes on without {@code released}. */
    public static Recovery shrink(List<String> released, List<Integer> members, String startedAt, long reachedStep) {
        return new Recovery(RecoveryKind.SHRINK, released.get(0), members, -1, Set.of(), Set.of(), startedAt, 0, reachedStep, List.of(), released,
                false);
    }

    /**
     * A requeue: every member checkpoints the next common step, then all of them stop and every node
     * is given back. No node of its own ({@code node} null): a loss meanwhile widens it like any
     * other (a loss recovery that still gives every node back: {@link ElasticPolicy#stepsAside}).
     */
    public static Recovery requeue(List<String> nodes, List<Integer> members, String startedAt, long reachedStep) {
        return new Recovery(RecoveryKind.REQUEUE, null, members, -1, Set.of(), Set.of(), startedAt, 0, reachedStep, List.of(), nodes,
                false);
    }

    /** This recovery's node had given notice (a loss of a node whose notice still waited for its swap or its ranks). */
    public Recovery givenNotice() {
        return new Recovery(kind, node, survivors, agreedStep, checkpointed, exited, startedAt, detectSeconds, reachedStep, alsoLost,
                released, true);
    }

    public Recovery agreed(long step) {
        return new Recovery(kind, node, survivors, step, checkpointed, exited, startedAt, detectSeconds, reachedStep, alsoLost, released,
                noticed);
    }

    public Recovery checkpointed(int rank) {
        var s = new HashSet<>(checkpointed);
        s.add(rank);
        return new Recovery(kind, node, survivors, agreedStep, s, exited, startedAt, detectSeconds, reachedStep, alsoLost, released,
                noticed);
    }

    public Recovery exited(int rank) {
        var s = new HashSet<>(exited);
        s.add(rank);
        return new Recovery(kind, node, survivors, agreedStep, checkpointed, s, startedAt, detectSeconds, reachedStep, alsoLost, released,
                noticed);
    }

    /**
     * Another member is gone while this recovery runs: it is no survivor any more. A notice whose
     * common step is not agreed yet becomes a loss (the ring is broken: the others stall).
     */
    public Recovery withAlsoLost(String lostNode, int rank) {
        var lost = new ArrayList<>(alsoLost);
        lost.add(lostNode);
        RecoveryKind k = kind.collective() && agreedStep < 0 ? RecoveryKind.KILL : kind;
        return new Recovery(k, node, survivors.stream().filter(r -> r != rank).toList(), agreedStep, checkpointed, exited, startedAt,
                detectSeconds, reachedStep, lost, released, noticed);
    }

    /** The node that gave notice left before the emergency checkpoint: recover as from a loss, from what the others hold. */
    public Recovery asLossOf(int rank) {
        return new Recovery(RecoveryKind.KILL, node, survivors.stream().filter(r -> r != rank).toList(), -1, Set.of(), Set.of(),
                startedAt, detectSeconds, reachedStep, alsoLost, released, noticed);
    }

    /**
     * The agreed step of a collective recovery is out of some survivor's reach (it stalled before
     * it): recover as from a loss, from the step every survivor holds. The ranks that exited stay;
     * the agreement and what was counted for it start over; {@code departingRank} (a noticed node's
     * rank, or null) is no survivor any more, as when a noticed node leaves before its checkpoint.
     */
    public Recovery asLoss(Integer departingRank) {
        var going = survivors.stream().filter(r -> !r.equals(departingRank)).toList();
        return new Recovery(RecoveryKind.KILL, node, going, -1, Set.of(), exited, startedAt, detectSeconds, reachedStep, alsoLost, released,
                noticed);
    }

    /** Nodes that leave the job with this recovery (a failing or stalled node stays). */
    public List<String> departing() {
        var all = new ArrayList<String>();
        if (node != null && kind.departs()) all.add(node);
        for (String r : released) if (!all.contains(r)) all.add(r);
        all.addAll(alsoLost);
        return all;
    }

    public boolean allCheckpointed() {
        return agreedStep >= 0 && checkpointed.containsAll(survivors);
    }
}
