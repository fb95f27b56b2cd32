package io.spottrain.coordinator.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.spottrain.protocol.wire.AgentProtocol.GpuSample;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The worker nodes' GPUs as their agents' heartbeats report them (each agent samples
 * {@code nvidia-smi}), for {@code GET /metrics} on the control node that hosts the job manager
 * (heartbeats go there): utilisation and memory per node and GPU, and the time each GPU sat idle
 * (below {@link #IDLE_PERCENT} between two heartbeats), what an operator looks for first on a GPU
 * bill. A node whose agent leaves or falls silent, or that sent no sample for {@link #STALE},
 * leaves the metrics, and all leave when the agent directory stops (the job manager moved). Thread-safe (synchronized; one
 * caller, the agent directory, in practice).
 */
public final class GpuMetrics {
    /** Below this utilisation a GPU counts as idle. */
    public static final double IDLE_PERCENT = 5;
    static final Duration STALE = Duration.ofMinutes(2);
    /**
     * The most idle time one heartbeat adds: after a silence or a run of failed samples the gap is
     * not judged on the reading before it.
     */
    static final Duration MAX_IDLE_STEP = Duration.ofSeconds(15);

    private final MeterRegistry registry;
    private final Map<String, Node> nodes = new HashMap<>();

    public GpuMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    private static final class Gpu {
        volatile double utilization;
        volatile double usedBytes;
        volatile double totalBytes;
        Counter idle;
    }

    private static final class Node {
        final Map<Integer, Gpu> gpus = new HashMap<>();
        final List<Meter> meters = new ArrayList<>();
        Instant heardAt;
    }

    /** A heartbeat from {@code node} at {@code now} with its newest GPU sample (empty: none known, nothing changes). */
    public synchronized void sampled(String node, List<GpuSample> samples, Instant now) {
        if (samples.isEmpty()) return;
        Node n = nodes.computeIfAbsent(node, k -> new Node());
        Instant before = n.heardAt;
        n.heardAt = now;
        for (GpuSample s : samples) {
            Gpu g = n.gpus.get(s.index());
            if (g == null) {
                g = register(n, node, s.index());
            } else if (before != null && g.utilization < IDLE_PERCENT) {
                long ms = Math.min(Duration.between(before, now).toMillis(), MAX_IDLE_STEP.toMillis());
                if (ms > 0) g.idle.increment(ms / 1000.0);
            }
            g.utilization = s.utilizationPct();
            g.usedBytes = s.memoryUsedMiB() * 1048576.0;
            g.totalBytes = s.memoryTotalMiB() * 1048576.0;
        }
    }

    /** Drops the series of nodes not heard with a sample for {@link #STALE} (the agent directory's sweep calls it). */
    public synchronized void sweep(Instant now) {
        nodes.entrySet().removeIf(e -> {
            boolean stale = Duration.between(e.getValue().heardAt, now).compareTo(STALE) > 0;
            if (stale) e.getValue().meters.forEach(registry::remove);
            return stale;
        });
    }

    /** {@code node} is gone: its series go now. */
    public synchronized void forget(String node) {
        Node n = nodes.remove(node);
        if (n != null) n.meters.forEach(registry::remove);
    }

    /** Every series goes (this node no longer hears heartbeats). */
    public synchronized void clear() {
        nodes.values().forEach(n -> n.meters.forEach(registry::remove));
        nodes.clear();
    }

    private Gpu register(Node n, String node, int index) {
        Gpu g = new Gpu();
        String gpu = Integer.toString(index);
        n.meters.add(Gauge.builder("spottrain.node.gpu.utilization", g, x -> x.utilization).baseUnit("percent")
                .description("GPU utilisation on a worker node, as nvidia-smi last saw it").tags("node", node, "gpu", gpu).register(registry));
        n.meters.add(Gauge.builder("spottrain.node.gpu.memory.used", g, x -> x.usedBytes).baseUnit("bytes")
                .description("GPU memory in use on a worker node").tags("node", node, "gpu", gpu).register(registry));
        n.meters.add(Gauge.builder("spottrain.node.gpu.memory.total", g, x -> x.totalBytes).baseUnit("bytes")
                .description("GPU memory of a worker node's GPU").tags("node", node, "gpu", gpu).register(registry));
        g.idle = Counter.builder("spottrain.node.gpu.idle").baseUnit("seconds")
                .description("Time a worker node's GPU was below " + (int) IDLE_PERCENT + "% utilisation between heartbeats")
                .tags("node", node, "gpu", gpu).register(registry);
        n.meters.add(g.idle);
        n.gpus.put(index, g);
        return g;
    }
}
