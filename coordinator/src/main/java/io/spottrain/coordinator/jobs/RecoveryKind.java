package io.spottrain.coordinator.jobs;

import com.fasterxml.jackson.annotation.JsonValue;

/** Why a generation closes early. The JSON form is the lower-case label the run summary shows. */
public enum RecoveryKind {
    /** A node gave notice (Spot interruption, SIGTERM): every member checkpoints the next common step. */
    NOTICE("notice"),
    /** A node was lost without notice: the survivors checkpoint the step they all hold. */
    KILL("kill"),
    /** A rank exited with an error on a live node; the node stays. Spends one of {@code maxRestarts}. */
    FAILURE("failure"),
    /** Every rank stalled with no node missing (the collective broke by itself). Spends one of {@code maxRestarts}. */
    STALL("stall"),
    /**
     * Free nodes fit the job and it runs below its max: every member checkpoints the next common
     * step and the next generation takes them (no node leaves, no restart is spent, no preemption).
     */
    GROW("grow"),
    /**
     * Nodes are given back (a waiting job of a higher priority class needs them, or an operator
     * resized the job down): every member checkpoints the next common step, the given-back ranks
     * stop, the rest re-form without them. No replacement, no restart spent, no lost step.
     */
    SHRINK("shrink"),
    /**
     * The whole job steps aside (a waiting job of a higher priority class needs its nodes and
     * shrinking others was not enough): every member checkpoints the next common step, every rank
     * stops, all nodes are given back, and the job waits in the queue (behind the job it made room
     * for) to resume from that step on whatever nodes it gets. No replacement, no restart spent,
     * no lost step; never for a job whose ranks cannot checkpoint on request.
     */
    REQUEUE("requeue");

    private final String label;

    RecoveryKind(String label) {
        this.label = label;
    }

    @JsonValue
    public String label() {
        return label;
    }

    /** Failures and stalls spend the job's {@code maxRestarts}; preemptions never do. */
    public boolean spendsRestart() {
        return this == FAILURE || this == STALL;
    }

    /** A recovery the job did not choose (a preemption, a failure, a stall): its node time is the cost ledger's recovery line. */
    public boolean involuntary() {
        return this != GROW && this != SHRINK;
    }

    /** Every member (none is lost) checkpoints the next common step through the ranks' collective request. */
    public boolean collective() {
        return this == NOTICE || this == GROW || this == SHRINK || this == REQUEUE;
    }

    /** A node leaves the job with this recovery (a failing or stalled node stays). */
    public boolean departs() {
        return this == NOTICE || this == KILL || this == SHRINK || this == REQUEUE;
    }

    /** The departing node is gone or going (a reclaim, a loss): the job asks for a replacement. A shrink gives nodes back. */
    public boolean replaces() {
        return this == NOTICE || this == KILL;
    }
}
