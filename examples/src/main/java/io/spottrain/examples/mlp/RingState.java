package io.spottrain.examples.mlp;

import io.spottrain.protocol.checkpoint.CheckpointException;

/**
 * Contract v2 {@code ring-state}: right after a ring is connected, its ranks say who holds the
 * resume step's state (one small all-reduce of a flag per rank plus the step); when some rank does
 * not (a staged newcomer told {@code stateOverRing}), the lowest rank that does sends its
 * parameters and optimizer state over the same ring (an all-reduce in which every other rank adds
 * zeros: integer sums of the raw bits, so every rank gets the sender's exact doubles, -0.0 and NaN
 * included). A newcomer so joins without fetching a checkpoint.
 */
final class RingState {
    private RingState() {}

    /** What a rank holds after {@link #share}: the step and its state (the arrays it was given, filled in if it held nothing). */
    record Shared(long step, int sentBy) {}

    /**
     * {@code holds}: this rank holds {@code step}'s state in {@code params} and {@code velocity}
     * (else their contents are ignored and overwritten). Returns the step every rank now holds and
     * the rank that sent it (-1: every rank held it already). Throws when no rank holds a state, or
     * the holders disagree on the step: every rank decides the same from what all said, so all
     * throw alike (nothing is overwritten then).
     */
    static Shared share(RingAllReduce ring, int rank, int world, boolean holds, long step, double[] params, double[] velocity)
            throws RingAllReduce.PeerLostException, CheckpointException {
        long[] who = new long[2 * world]; // per rank: holds a state, and its step (every rank then decides the same)
        who[rank] = holds ? 1 : 0;
        who[world + rank] = holds ? step : 0;
        ring.allReduce(who);
        int sender = -1;
        int holders = 0;
        long agreed = -1;
        for (int i = 0; i < world; i++) {
            if (who[i] == 0) continue;
            holders++;
            if (sender < 0) {
                sender = i;
                agreed = who[world + i];
            } else if (who[world + i] != agreed) {
                throw new CheckpointException("the ranks that hold a state hold different steps (rank " + sender + " step " + agreed
                        + ", rank " + i + " step " + who[world + i] + ")");
            }
        }
        if (holders == 0) throw new CheckpointException("no rank of the re-formed ring holds the state to resume from");
        if (holders == world) return new Shared(agreed, -1);
        int n = params.length;
        long[] state = new long[2 * n];
        if (rank == sender) {
            for (int i = 0; i < n; i++) {
                state[i] = Double.doubleToRawLongBits(params[i]);
                state[n + i] = Double.doubleToRawLongBits(velocity[i]);
            }
        }
        ring.allReduce(state);
        if (!holds) {
            for (int i = 0; i < n; i++) {
                params[i] = Double.longBitsToDouble(state[i]);
                velocity[i] = Double.longBitsToDouble(state[n + i]);
            }
        }
        return new Shared(agreed, sender);
    }
}
