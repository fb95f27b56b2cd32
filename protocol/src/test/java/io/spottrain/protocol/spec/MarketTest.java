package io.spottrain.protocol.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which node markets a job's market admits, and the order workers are placed in. */
class MarketTest {

    @ParameterizedTest(name = "job {0} on a {1} node: {2}")
    @CsvSource({
            "SPOT, SPOT, true",
            "SPOT, ON_DEMAND, false",
            "SPOT, RESERVED, true",          // paid already: a Spot job loses nothing there
            "ON_DEMAND, SPOT, false",        // never taken back: what on-demand asks
            "ON_DEMAND, ON_DEMAND, true",
            "ON_DEMAND, RESERVED, true",
            "SPOT_WITH_FALLBACK, SPOT, true",
            "SPOT_WITH_FALLBACK, ON_DEMAND, true",
            "SPOT_WITH_FALLBACK, RESERVED, true",
    })
    void admits(Market job, NodeMarket node, boolean admitted) {
        assertEquals(admitted, job.admits(node));
    }

    @ParameterizedTest(name = "{0}: preference {1}, interruptible {2}, label {3}")
    @CsvSource({"RESERVED, 0, false, reserved", "SPOT, 1, true, spot", "ON_DEMAND, 2, false, on-demand"})
    void nodeMarkets(NodeMarket m, int preference, boolean interruptible, String label) {
        assertEquals(preference, m.preference());
        assertEquals(interruptible, m.interruptible());
        assertEquals(label, m.label());
        assertEquals(m, NodeMarket.fromLabel(label).orElseThrow());
    }
}
