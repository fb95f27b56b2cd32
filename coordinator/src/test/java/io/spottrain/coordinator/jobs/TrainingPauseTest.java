package io.spottrain.coordinator.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The training time an interruption cost, from rank 0's reports either side of it. */
class TrainingPauseTest {
    static final Instant T = Instant.parse("2026-12-03T10:00:00Z");

    static Stream<Arguments> cases() {
        return Stream.of(
                // a swap: the last report is the park step 100 (= the resume step); the first after it step 101, 0.6 s later, 10 steps/s
                Arguments.of("swap: one new step in 0.6 s", T, 100, 10.0, 100, 600, 101, 10.0, 0.5),
                // reports every 5 steps: the last before the change at 95, the job trained on to 100 and resumed there, first after at 105
                Arguments.of("coarse reports: the steps trained either side are not a pause", T, 95, 10.0, 100, 2000, 105, 10.0, 1.0),
                // the same, and the job grew from 2 to 4 workers: the 5 steps before at 5/s (1 s), the 5 after at 10/s (0.5 s)
                Arguments.of("a growth: each side at its own rate", T, 95, 5.0, 100, 3000, 105, 10.0, 1.5),
                // a kill: the survivors' last report was step 120, they rolled back to 119 and reported 120 again 1.6 s later
                Arguments.of("roll-back: re-done steps are paused time", T, 120, 10.0, 119, 1600, 120, 10.0, 1.6),
                Arguments.of("never below 0 (a report that came late)", T, 100, 10.0, 100, 100, 105, 10.0, 0.0),
                Arguments.of("no report before it (after a hand-over)", null, 0, 10.0, 0, 500, 10, 10.0, null),
                Arguments.of("no rate after: the rate before stands in", T, 100, 10.0, 100, 600, 101, 0.0, 0.5),
                Arguments.of("no measured rate at all", T, 100, 0.0, 100, 500, 101, 0.0, null),
                Arguments.of("no measured rate, but no new step either", T, 120, 0.0, 119, 700, 119, 0.0, 0.7),
                Arguments.of("clock went backwards", T, 100, 10.0, 100, -500, 101, 10.0, null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void pause(String name, Instant lastAt, long lastStep, double rateBefore, long resumeStep, long afterMillis, long step,
            double rateAfter, Double expected) {
        Double got = TrainingPause.seconds(lastAt, lastStep, rateBefore, resumeStep, T.plusMillis(afterMillis), step, rateAfter);
        if (expected == null) {
            assertNull(got);
        } else {
            assertEquals(expected, got, 1e-9);
        }
    }
}
