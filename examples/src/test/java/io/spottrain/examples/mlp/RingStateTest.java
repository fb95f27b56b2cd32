package io.spottrain.examples.mlp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.protocol.checkpoint.CheckpointException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Ring-state over a real ring of 3 ranks on loopback: the newcomer gets the holder's exact doubles, or a clear error. */
@Timeout(60)
class RingStateTest {
    static final double[] PARAMS = {1.5, -0.0, Double.NaN, Double.MIN_VALUE, -123.456e300};
    static final double[] VELOCITY = {0.25, 0.0, -7.0, Double.NEGATIVE_INFINITY, 3.0};

    /** Runs {@link RingState#share} on ranks 0..2: {@code steps[r]} is what rank r holds (-1: nothing). */
    static List<Object> share(long[] steps, double[][] params, double[][] velocity) throws Exception {
        int port;
        try (var s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        int p = port;
        var pool = Executors.newFixedThreadPool(3);
        try {
            var futures = new ArrayList<Future<Object>>();
            for (int r = 0; r < 3; r++) {
                int rank = r;
                futures.add(pool.submit(() -> {
                    try (var ring = RingAllReduce.connect(rank, 3, 1, "127.0.0.1", p, 10_000)) {
                        return RingState.share(ring, rank, 3, steps[rank] >= 0, Math.max(0, steps[rank]), params[rank], velocity[rank]);
                    } catch (CheckpointException e) {
                        return e;
                    }
                }));
            }
            var out = new ArrayList<Object>();
            for (var f : futures) out.add(f.get(30, TimeUnit.SECONDS));
            return out;
        } catch (ExecutionException e) {
            throw new AssertionError(e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    static double[][] arrays(double[] held, boolean... holds) {
        var out = new double[holds.length][];
        for (int r = 0; r < holds.length; r++) out[r] = holds[r] ? held.clone() : new double[held.length];
        return out;
    }

    @Test
    void aRankThatHoldsNothingTakesTheLowestHoldersExactBits() throws Exception {
        var params = arrays(PARAMS, false, true, true);
        var velocity = arrays(VELOCITY, false, true, true);
        var got = share(new long[] {-1, 328, 328}, params, velocity);
        for (Object g : got) {
            var shared = assertInstanceOf(RingState.Shared.class, g);
            assertEquals(328, shared.step());
            assertEquals(1, shared.sentBy(), "the lowest rank that holds the state sends it");
        }
        for (int r = 0; r < 3; r++) { // bit for bit, -0.0 and NaN included
            for (int i = 0; i < PARAMS.length; i++) {
                assertEquals(Double.doubleToRawLongBits(PARAMS[i]), Double.doubleToRawLongBits(params[r][i]), "rank " + r + " param " + i);
            }
            assertArrayEquals(VELOCITY, velocity[r]);
        }
    }

    @Test
    void whenEveryRankHoldsTheStateNothingIsSent() throws Exception {
        var got = share(new long[] {7, 7, 7}, arrays(PARAMS, true, true, true), arrays(VELOCITY, true, true, true));
        for (Object g : got) assertEquals(new RingState.Shared(7, -1), g);
    }

    @Test
    void noHolderOrHoldersOfDifferentStepsIsAnErrorOnEveryRankAndNothingIsOverwritten() throws Exception {
        var none = share(new long[] {-1, -1, -1}, arrays(PARAMS, false, false, false), arrays(VELOCITY, false, false, false));
        for (Object g : none) {
            assertTrue(assertInstanceOf(CheckpointException.class, g).getMessage().contains("no rank of the re-formed ring holds"), g::toString);
        }
        var params = arrays(PARAMS, true, true, false);
        var apart = share(new long[] {10, 12, -1}, params, arrays(VELOCITY, true, true, false));
        assertInstanceOf(CheckpointException.class, apart.get(0));
        assertInstanceOf(CheckpointException.class, apart.get(1));
        assertInstanceOf(CheckpointException.class, apart.get(2), "the newcomer decides the same from what every rank said");
        assertArrayEquals(new double[PARAMS.length], params[2], "the newcomer took nothing from holders that disagree");
    }
}
