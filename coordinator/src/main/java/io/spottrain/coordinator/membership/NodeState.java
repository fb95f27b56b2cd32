package io.spottrain.coordinator.membership;

/** A worker node as the control plane sees it. */
public enum NodeState {
    /** Registered and free for a job. */
    READY,
    /** Runs a rank of a job. */
    BUSY,
    /** Received a Spot interruption notice or SIGTERM: it will go away; nothing new is placed on it. */
    INTERRUPTING,
    /** Missed heartbeats; the Split Brain Resolver will down it unless it comes back. */
    UNREACHABLE,
    /** Left or was downed; kept for history. */
    LOST
}
