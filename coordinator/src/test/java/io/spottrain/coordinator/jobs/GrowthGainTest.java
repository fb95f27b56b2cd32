package io.spottrain.coordinator.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class GrowthGainTest {

    static Pace pace(long total, double rate, Map<Integer, Double> by) {
        var rates = new TreeMap<Integer, Pace.Rate>();
        by.forEach((w, r) -> rates.put(w, new Pace.Rate(r, 60)));
        return new Pace(total, rate, rates, -1, null, 0);
    }

    static Growth grown(double backToTraining) {
        return new Growth(10, 2, 3, "2026-12-02T00:00:00Z", 0.5, 2, backToTraining);
    }

    static Stream<Arguments> table() {
        return Stream.of(
                Arguments.of("no totalSteps: not weighed, grows", 100L, pace(0, 2, Map.of(2, 2.0)), 2, 3, List.of(), true,
                        "does not report totalSteps"),
                Arguments.of("no rate measured yet: not weighed, grows", 100L, pace(1000, 0, Map.of()), 2, 3, List.of(), true,
                        "no step rate measured at world size 2"),
                Arguments.of("many steps left, linear scaling assumed: 900/2 - 900/3 = 150 s > 5 s prior", 100L,
                        pace(1000, 2, Map.of(2, 2.0)), 2, 3, List.of(), true, "saves 150.0 s > a growth's cost of 5.0 s (assumed"),
                Arguments.of("a few steps left: 10/2 - 10/3 = 1.7 s <= 5 s prior", 990L, pace(1000, 2, Map.of(2, 2.0)), 2, 3, List.of(),
                        false, "saves 1.7 s <= a growth's cost of 5.0 s"),
                Arguments.of("the same few steps, but the job's own growths cost 0.5 s: grows", 990L, pace(1000, 2, Map.of(2, 2.0)), 2, 3,
                        List.of(grown(0.4), grown(0.5), grown(0.6)), true, "saves 1.7 s > a growth's cost of 0.5 s (median of its last 3"),
                Arguments.of("measured at the larger size with no speed-up (communication-bound): never pays", 100L,
                        pace(1000, 2, Map.of(2, 2.0, 3, 1.9)), 2, 3, List.of(), false, "measured"),
                Arguments.of("measured at the larger size, faster: pays", 100L, pace(1000, 2, Map.of(2, 2.0, 3, 2.8)), 2, 3, List.of(),
                        true, "(2.80 steps/s, measured)"),
                Arguments.of("the current size not measured yet (a newest rate of another size does not stand in): not weighed", 100L,
                        pace(1000, 2, Map.of(3, 2.0)), 2, 3, List.of(), true, "no step rate measured at world size 2"),
                Arguments.of("the larger size measured only briefly (a cold newcomer): not trusted, scaling assumed", 100L,
                        new Pace(1000, 2, Map.of(2, new Pace.Rate(2, 60), 3, new Pace.Rate(0.5, 3)), -1, null, 0), 2, 3, List.of(), true,
                        "(3.00 steps/s, assumed to scale with the workers)"),
                Arguments.of("no steps left", 1000L, pace(1000, 2, Map.of(2, 2.0)), 2, 3, List.of(), false, "no steps left"),
                Arguments.of("nothing to grow to", 100L, pace(1000, 2, Map.of(2, 2.0)), 3, 3, List.of(), false,
                        "no larger world size"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void judges(String name, long step, Pace pace, int world, int grown, List<Growth> growths, boolean grow, String why) {
        var v = GrowthGain.judge(step, pace, world, grown, growths);
        assertEquals(grow, v.grow(), v.why());
        assertTrue(v.why().contains(why), v.why());
    }

    @Test
    void theCostIsTheMedianOfTheNewestMeasuredGrowths() {
        assertEquals(GrowthGain.PRIOR_COST_SECONDS, GrowthGain.cost(List.of(new Growth(1, 1, null, null, null, null, null))));
        assertEquals(2.0, GrowthGain.cost(List.of(grown(9), grown(1), grown(2), grown(3))));
        assertEquals(1.5, GrowthGain.cost(List.of(grown(1), grown(2))));
    }

    @Test
    void aPaceMeasuresOverAGenerationOnceTheWindowIsLongEnough() {
        Instant t0 = Instant.parse("2026-12-02T00:00:00Z");
        Pace p = Pace.NONE.observe(1, 2, 10, 1000, t0);
        assertEquals(1000, p.totalSteps());
        assertTrue(p.at(2).isEmpty(), "one report is no rate");
        p = p.observe(1, 2, 12, 0, t0.plusSeconds(1));
        assertTrue(p.at(2).isEmpty(), "under the window: no rate yet");
        p = p.observe(1, 2, 30, 0, t0.plusSeconds(4));
        assertEquals(5.0, p.at(2).getAsDouble(), 1e-9);
        assertEquals(5.0, p.stepsPerSec(), 1e-9);
        assertEquals(194.0, p.etaSeconds(30).getAsDouble(), 1e-9);
        // the next generation opens a new window at another size: no rate (and no ETA) until it is measured
        p = p.observe(2, 3, 31, 0, t0.plusSeconds(10));
        assertTrue(p.etaSeconds(31).isEmpty(), "the old size's rate is not the new one's");
        p = p.observe(2, 3, 55, 0, t0.plusSeconds(13));
        assertEquals(8.0, p.at(3).getAsDouble(), 1e-9);
        assertEquals(5.0, p.at(2).getAsDouble(), 1e-9);
        // back at 2 workers: the rate known there stands until the new window is measured, and a shorter one does not replace it
        p = p.observe(3, 2, 60, 0, t0.plusSeconds(20));
        assertEquals(5.0, p.stepsPerSec(), 1e-9);
        p = p.observe(3, 2, 63, 0, t0.plusSeconds(23));
        assertEquals(1.0, p.stepsPerSec(), 1e-9, "the window's own rate is the current one");
        assertEquals(5.0, p.at(2).getAsDouble(), 1e-9, "3 s does not replace the 4 s measured before");
        // a rollback (a step older than the window's start) opens a new window
        p = p.observe(3, 2, 20, 0, t0.plusSeconds(24));
        assertEquals(20, p.windowStep());
        assertEquals(1000, p.totalSteps(), "a report without totalSteps keeps the one known");
    }
}
