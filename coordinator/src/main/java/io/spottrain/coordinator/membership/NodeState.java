package io.spottrain.coordinator.membership;

/** A worker node as the control plane sees it. */
public enum NodeState {
    /** Registered and free for a job. */
    READY,
    /** Runs a rank of a job. */
    BUSY,
    /** Received a Spot interruption notice or SIGTERM: it will go away; nothing new is placed on it. */
    INTERRUPTING,
    /** Missed heartbeats, or its job's other ranks suspect it: nothing new is placed on it until it reports again. */
    UNREACHABLE,
    /** Left, was downed, or went silent: out of the live registry, kept in the node history. */
    LOST;

    public boolean live() {
        return this != LOST;
    }
}
