package io.spottrain.coordinator.state;

import java.util.Locale;

/**
 * The control plane's tables. Values are JSON documents (Ignite's binary marshaller cannot store
 * records); every document carries its own schema version. Keys are chosen so that the readers
 * never scan what they do not need: a job's events and checkpoint catalog are keyed by job id and a
 * sequence number, so a page is a set of known keys.
 */
public enum Table {
    /** job id -> the job's small document (state, generation, members, summaries; no history). */
    JOBS("spottrain.jobs"),
    /** job id -> the job's newest progress (step, loss, rate): written at most once per flush interval, tiny. */
    PROGRESS("spottrain.progress"),
    /** job id -> the job spec as submitted, written once. */
    SPECS("spottrain.specs"),
    /** {@code <job id>#<seq>} -> one event, append-only. */
    EVENTS("spottrain.events"),
    /** {@code <job id>#<seq>} -> one step of the checkpoint catalog (updated while the step is recent). */
    CHECKPOINTS("spottrain.checkpoints"),
    /** {@code <node id>@<registered at>} -> one worker node's life: attributes, state, launched/registered/terminated. */
    NODES("spottrain.nodes"),
    /** control node id -> its address, process and API (each control node writes its own at start). */
    CONTROL("spottrain.control"),
    /** API token id -> the token's hash, name, role and revocation (never the token itself). */
    TOKENS("spottrain.tokens"),
    /** {@code <node id>@<from>} -> one segment of the cost ledger (io.spottrain.coordinator.cost.LedgerEntry), append-only. */
    LEDGER("spottrain.ledger"),
    /** {@code <job id>#<ring><slot>} -> one point of the job's progress over time (io.spottrain.coordinator.jobs.ProgressSeries), ring slots reused. */
    SERIES("spottrain.series"),
    /** budget name -> where it stands in its current period (io.spottrain.coordinator.cost.BudgetStatus), rewritten every check. */
    BUDGETS("spottrain.budgets"),
    /** "state" -> the autoscaler's cooldown clocks, last decisions and capacity in flight (io.spottrain.coordinator.autoscale.AutoscalerState). */
    AUTOSCALER("spottrain.autoscaler"),
    /** EC2 instance id -> its enrollment (when, its address and zone, its key's SHA-256): an instance enrolls once ever, with one key. */
    ENROLLMENTS("spottrain.enrollments");

    private final String cacheName;

    Table(String cacheName) {
        this.cacheName = cacheName;
    }

    public String cacheName() {
        return cacheName;
    }

    /** The key of entry {@code seq} of {@code owner}'s history (zero-padded: keys sort as numbers). */
    public static String seqKey(String owner, long seq) {
        // as String.format(Locale.ROOT, "%012d", seq), without a Formatter per key (a job view reads up to 200 events by key)
        if (seq < 0) return owner + "#" + String.format(Locale.ROOT, "%012d", seq);
        String digits = Long.toString(seq);
        return digits.length() >= 12 ? owner + "#" + digits : owner + "#" + ZEROS.substring(digits.length()) + digits;
    }

    private static final String ZEROS = "000000000000";
}
