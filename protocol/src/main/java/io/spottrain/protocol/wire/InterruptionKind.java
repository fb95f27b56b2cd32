package io.spottrain.protocol.wire;

import com.fasterxml.jackson.annotation.JsonValue;

/** Why a node says it is going away. The JSON form is the label (as IMDS and the logs name it). */
public enum InterruptionKind {
    /** A Spot interruption notice from instance metadata: the node is taken at the deadline. */
    SPOT_INTERRUPTION("spot-interruption"),
    /** A rebalance recommendation: elevated risk, no deadline; nothing is taken yet. */
    REBALANCE("rebalance"),
    /** The agent got SIGTERM (a scale-in, an operator, a local preemption without IMDS). */
    SIGTERM("sigterm");

    private final String label;

    InterruptionKind(String label) {
        this.label = label;
    }

    @JsonValue
    public String label() {
        return label;
    }

    /** True when the node will be taken (a recommendation is not a notice). */
    public boolean departs() {
        return this != REBALANCE;
    }
}
