package io.spottrain.coordinator.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Young/Daly with its floors, as a table: (stall ms, upload ms, world, preemptions, node-hours) -> seconds, and why. */
class CheckpointIntervalTest {
    static final Duration FLOOR = Duration.ofSeconds(10);
    static final Duration CEILING = Duration.ofMinutes(30);

    @ParameterizedTest(name = "C {0} ms, upload {1} ms, world {2}, {3} preemptions in {4} node-h -> {5} s")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            -      | -      | 4 | 0  | 0     | 10   | no checkpoint measured yet
            5000   | 2000   | 1 | 0  | 0     | 848  | sqrt(2 x C 5.000 s x MTBF 20.0 h
            5000   | 2000   | 4 | 0  | 0     | 424  | world size 4
            5000   | 2000   | 4 | 9  | 10    | 164  | 9 preemption(s) in 10.0 node-hours
            5000   | 2000   | 4 | 99 | 10    | 51   | 99 preemption(s)
            0.4    | 106    | 3 | 3  | 0.05  | 10   | raised to the 10 s floor
            0.4    | 30000  | 3 | 0  | 0     | 30   | raised to the upload time 30.0 s
            600000 | 1000   | 1 | 0  | 0     | 1800 | capped at 1800 s
            """)
    void theIntervalFollowsCostAndInterruptionRate(Double stallMs, Double uploadMs, int world, int preemptions, double nodeHours,
            long seconds, String why) {
        var c = CheckpointInterval.choose(new CheckpointInterval.Inputs(stallMs, uploadMs, world, preemptions, nodeHours, 0.05, FLOOR,
                CEILING));
        assertEquals(seconds, c.seconds(), c::why);
        assertTrue(c.why().contains(why), c.why());
    }
}
