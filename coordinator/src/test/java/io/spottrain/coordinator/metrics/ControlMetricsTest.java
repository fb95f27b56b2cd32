package io.spottrain.coordinator.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.coordinator.metrics.ControlMetrics.RendezvousPort;
import org.junit.jupiter.api.Test;

class ControlMetricsTest {
    @Test
    void rendezvousPortsAreCountedByWhereTheyCameFrom() {
        var metrics = ControlMetrics.standalone();
        metrics.rendezvous(RendezvousPort.OFFERED);
        metrics.rendezvous(RendezvousPort.OFFERED);
        metrics.rendezvous(RendezvousPort.ASKED);
        assertEquals(2, metrics.rendezvousCount(RendezvousPort.OFFERED));
        assertEquals(1, metrics.rendezvousCount(RendezvousPort.ASKED));
        String text = metrics.registry().scrape();
        assertTrue(text.contains("spottrain_rendezvous_total{port=\"offered\"} 2.0"), text);
        assertTrue(text.contains("spottrain_rendezvous_total{port=\"asked\"} 1.0"), text);
    }

    @Test
    void scheduledJobsAreCounted() {
        var metrics = ControlMetrics.standalone();
        metrics.scheduled(0.012);
        metrics.scheduled(0.250);
        assertEquals(2, metrics.scheduledCount());
    }
}
