package io.spottrain.coordinator.cost;

import java.util.Locale;

/** Where a node-second of the ledger went. */
public enum Allocation {
    /** The node was assigned to a job (forming, training, staged for it). */
    JOB,
    /** The node was assigned to a job that was recovering (from the recovery's start until its next generation trains): the price of preemptions. */
    RECOVERY,
    /** Registered and free: paid for, used by no job. */
    IDLE,
    /** Launched (billed from the launch request) but not registered yet: the machine booting and the agent starting. */
    BOOT,
    /** A control node (coordinator, state store, API): the control plane's shared overhead, metered by each control node itself. */
    CONTROL,
    /** A job's checkpoints in the remote tier (S3): their bytes over time at the storage price; no node time. */
    STORAGE;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
