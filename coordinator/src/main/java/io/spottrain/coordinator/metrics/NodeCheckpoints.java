package io.spottrain.coordinator.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Each worker node's newest checkpoint, as its rank reported it: how long training stopped for it
 * and how long writing and committing it locally took, by node (a slow disk shows as one node
 * among many), with the job it was for. A node leaves with its agent, and all leave when the agent
 * directory stops (the job manager moved), as the GPU series do ({@link GpuMetrics}). Thread-safe.
 */
final class NodeCheckpoints {
    private final MeterRegistry registry;
    private final Map<String, Last> nodes = new HashMap<>();

    private static final class Last {
        volatile double stallMs;
        volatile double persistMs;
        String job;
        final List<Meter> meters = new ArrayList<>();
    }

    NodeCheckpoints(MeterRegistry registry) {
        this.registry = registry;
    }

    synchronized void reported(String node, String job, double stallMs, double persistMs) {
        Last l = nodes.get(node);
        if (l != null && !l.job.equals(job)) { // the node serves another job now: its series carry that job's id
            l.meters.forEach(registry::remove);
            l = null;
        }
        if (l == null) {
            Last n = new Last();
            n.job = job;
            n.meters.add(Gauge.builder("spottrain.node.checkpoint.last.stall", n, x -> x.stallMs).baseUnit("milliseconds")
                    .description("Training stopped for the newest checkpoint of the rank on a worker node").tags("node", node, "job_id", job)
                    .register(registry));
            n.meters.add(Gauge.builder("spottrain.node.checkpoint.last.persist", n, x -> x.persistMs).baseUnit("milliseconds")
                    .description("The newest checkpoint of the rank on a worker node written and committed locally")
                    .tags("node", node, "job_id", job).register(registry));
            nodes.put(node, n);
            l = n;
        }
        l.stallMs = stallMs;
        l.persistMs = persistMs;
    }

    synchronized void forget(String node) {
        Last l = nodes.remove(node);
        if (l != null) l.meters.forEach(registry::remove);
    }

    synchronized void clear() {
        nodes.values().forEach(l -> l.meters.forEach(registry::remove));
        nodes.clear();
    }
}
