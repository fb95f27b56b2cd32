package io.spottrain.launchers.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spottrain.launchers.bench.CapacityTrace.Kind;
import io.spottrain.launchers.bench.CapacityTrace.Step;
import io.spottrain.launchers.bench.Goodput.Breakdown;
import io.spottrain.launchers.bench.Goodput.Phase;
import io.spottrain.launchers.bench.Goodput.Sample;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The goodput benchmark's accounting: where a run's time went, what the capacity it held cost. */
class GoodputTest {
    /** Two nodes ready at 0; b gets notice at 4 s and goes at 5 s; c is ready at 8 s. */
    private static final List<Step> SCHEDULE = List.of(new Step(0, Kind.READY, "a"), new Step(0, Kind.READY, "b"), new Step(4_000, Kind.NOTICE, "b"),
            new Step(5_000, Kind.TERMINATE, "b"), new Step(8_000, Kind.READY, "c"));

    private static Sample run(long at, long steps, int world) {
        return new Sample(at, steps, world, Phase.RUNNING);
    }

    private static Sample stopped(long at, long steps) {
        return new Sample(at, steps, 0, Phase.STOPPED);
    }

    @Test
    void readyNodesFollowTheScheduleNoticesDoNotCount() {
        record Row(long at, int ready) {}
        for (Row r : List.of(new Row(0, 2), new Row(4_500, 2), new Row(5_000, 1), new Row(7_999, 1), new Row(8_000, 2), new Row(60_000, 2))) {
            assertEquals(r.ready(), Goodput.readyAt(SCHEDULE, r.at()), "at " + r.at());
        }
    }

    @Test
    void everyIntervalIsClassifiedByTheSampleThatEndsIt() {
        // a fixed-size job of 2: trains 0-5 s, loses its node at 5 s, waits (1 ready of 2) to 7.5 s, is not training
        // 7.5-9 s (the sample at 9 s sees c ready), re-does steps 9-10 s (below the 40 it had reached), then trains past them
        var samples = List.of(run(0, 0, 2), run(2_000, 20, 2), run(4_000, 40, 2), run(5_000, 40, 2), stopped(6_000, 40), stopped(7_500, 40),
                stopped(9_000, 30), run(10_000, 35, 2), run(11_000, 45, 2));
        Breakdown b = Goodput.account(samples, SCHEDULE, 2, 0);
        assertEquals(45, b.steps(), "the newest step ever reached: re-done steps count once");
        assertEquals(5_000 + 1_000, b.trainingMs(), 0.1, "0-5 s (the 4-5 s interval reports no new step but trains) and 10-11 s");
        assertEquals(2_500, b.waitingMs(), 0.1, "5-7.5 s: one node ready of the two it needs");
        assertEquals(1_500, b.recoveringMs(), 0.1, "7.5-9 s: two ready at its end, not training");
        assertEquals(1_000, b.rolledBackMs(), 0.1, "9-10 s: steps below the 40 reached before");
        assertEquals(11_000, b.totalMs(), 0.1);
    }

    @Test
    void anElasticJobThatNeedsOneNodeNeverWaitsWhileOneIsReady() {
        var samples = List.of(run(0, 0, 2), run(4_000, 40, 2), stopped(6_000, 40), run(8_000, 50, 1));
        Breakdown b = Goodput.account(samples, SCHEDULE, 1, 0);
        assertEquals(2_000, b.recoveringMs(), 0.1);
        assertEquals(0, b.waitingMs(), 0.1);
    }

    @Test
    void checkpointStallsMoveOutOfTrainingButNeverBeyondIt() {
        var samples = List.of(run(0, 0, 2), run(1_000, 10, 2));
        assertEquals(250, Goodput.account(samples, SCHEDULE, 2, 250).checkpointingMs(), 0.1);
        assertEquals(750, Goodput.account(samples, SCHEDULE, 2, 250).trainingMs(), 0.1);
        assertEquals(1_000, Goodput.account(samples, SCHEDULE, 2, 5_000).checkpointingMs(), 0.1, "capped at the training time");
    }

    @Test
    void aSystemPaysForTheReadyNodesItHoldsUpToItsSize() {
        record Row(int cap, long endMs, long nodeMillis) {}
        for (Row r : List.of(
                new Row(1, 10_000, 10_000), // one node held throughout
                new Row(2, 10_000, 2 * 5_000 + 3_000 + 2 * 2_000), // two to 5 s, one to 8 s, two again
                new Row(4, 10_000, 2 * 5_000 + 3_000 + 2 * 2_000), // it cannot hold more than is ready
                new Row(2, 4_000, 2 * 4_000))) { // the window ends before the termination
            assertEquals(r.nodeMillis(), Goodput.heldNodeMillis(SCHEDULE, r.endMs(), r.cap()), r.toString());
        }
        assertEquals(CapacityTrace.readyNodeMillis(SCHEDULE, 10_000), Goodput.heldNodeMillis(SCHEDULE, 10_000, 100), "uncapped = ready capacity");
    }

    @Test
    void pricesAreQuotedInTraceTime() {
        // an hour of run time compressed 20x is 20 node-hours of trace time
        assertEquals(20 * 0.91, Goodput.dollars(3_600_000, 20, 0.91), 1e-9);
        assertEquals(3.06 / 2, Goodput.dollars(1_800_000, 1, 3.06), 1e-9);
    }
}
