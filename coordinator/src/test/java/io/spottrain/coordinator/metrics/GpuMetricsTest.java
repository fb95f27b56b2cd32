package io.spottrain.coordinator.metrics;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spottrain.protocol.wire.AgentProtocol.GpuSample;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class GpuMetricsTest {
    static final Instant T = Instant.parse("2026-12-02T10:00:00Z");

    @Test
    void heartbeatsBecomeGaugesAndIdleTimeAndASilentNodeLeaves() {
        var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        var gpus = new GpuMetrics(registry);
        gpus.sampled("node1", List.of(new GpuSample(0, 87, 40536, 81559), new GpuSample(1, 2, 1024, 81559)), T);
        gpus.sampled("node1", List.of(new GpuSample(0, 90, 40536, 81559), new GpuSample(1, 1, 1024, 81559)), T.plusSeconds(10));
        gpus.sampled("node2", List.of(), T.plusSeconds(10)); // no GPU known there: nothing
        String text = registry.scrape();
        assertTrue(text.contains("spottrain_node_gpu_utilization_percent{gpu=\"0\",node=\"node1\"} 90.0"), text);
        assertTrue(text.contains("spottrain_node_gpu_memory_used_bytes{gpu=\"1\",node=\"node1\"} 1.073741824E9"), text);
        assertTrue(text.contains("spottrain_node_gpu_idle_seconds_total{gpu=\"1\",node=\"node1\"} 10.0"), "GPU 1 idle for 10 s: " + text);
        assertTrue(text.contains("spottrain_node_gpu_idle_seconds_total{gpu=\"0\",node=\"node1\"} 0.0"), "GPU 0 busy: " + text);
        assertFalse(text.contains("node=\"node2\""), text);
        // node1 not heard for over 2 minutes: the directory's sweep drops it
        gpus.sampled("node3", List.of(new GpuSample(0, 50, 1, 2)), T.plusSeconds(200));
        gpus.sweep(T.plusSeconds(200));
        String later = registry.scrape();
        assertFalse(later.contains("node=\"node1\""), later);
        assertTrue(later.contains("node=\"node3\""), later);
        gpus.forget("node3");
        assertFalse(registry.scrape().contains("node=\"node3\""), "a node whose agent went leaves at once");
    }

    @Test
    void oneHeartbeatAddsAtMostFifteenIdleSecondsAndClearDropsEverything() {
        var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        var gpus = new GpuMetrics(registry);
        gpus.sampled("node1", List.of(new GpuSample(0, 0, 1, 2)), T);
        gpus.sampled("node1", List.of(new GpuSample(0, 0, 1, 2)), T.plusSeconds(100)); // a 100 s gap: not judged on the old reading
        String text = registry.scrape();
        assertTrue(text.contains("spottrain_node_gpu_idle_seconds_total{gpu=\"0\",node=\"node1\"} 15.0"), text);
        gpus.clear();
        assertFalse(registry.scrape().contains("spottrain_node_gpu"), "nothing left after clear");
    }
}
