package io.spottrain.coordinator.membership;

import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.wire.InterruptionKind;

/**
 * How a worker node's life ended, as the Spot interruption risk counts it: only {@link #INTERRUPTED}
 * lives are removals of a pool's capacity by the market.
 */
public enum NodeEnd {
    /** A Spot node the market took: after a Spot interruption notice, or gone without any notice. */
    INTERRUPTED,
    /** This cluster let it go: the autoscaler retired it, or it was stopped in order (SIGTERM: a scale-in, an operator, {@code down}). */
    RELEASED,
    /** Any other end: an on-demand node that vanished, an agent registering again, a life a new job manager never saw again. */
    LOST;

    /**
     * How a life ends that leaves the cluster now. {@code notice}: the last notice it gave in this life that it would
     * depart (null: none); {@code retired}: the autoscaler took it out of service. A Spot node gone without a word counts
     * as taken: EC2 may reclaim one without the two-minute notice, and a hung agent on it makes that pool no safer.
     */
    public static NodeEnd of(NodeMarket market, InterruptionKind notice, boolean retired) {
        if (retired) return RELEASED;
        if (notice == InterruptionKind.SPOT_INTERRUPTION) return INTERRUPTED;
        if (notice == InterruptionKind.SIGTERM) return RELEASED;
        return market.interruptible() ? INTERRUPTED : LOST;
    }
}
