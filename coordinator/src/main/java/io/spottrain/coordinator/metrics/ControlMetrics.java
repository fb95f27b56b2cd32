package io.spottrain.coordinator.metrics;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spottrain.protocol.wire.AgentProtocol;
import java.time.Instant;
import java.util.List;

/**
 * This coordinator process's meters, in the registry {@code GET /metrics} scrapes. Besides what the
 * API reads from the state store at scrape time, the streams only the job manager's node sees live
 * are recorded here as they come: every checkpoint's stall and persist time, every upload's time,
 * each job's scheduling latency (submit to every rank of its first generation started), and the
 * worker nodes' GPUs from their agents' heartbeats ({@link GpuMetrics}). Those
 * series therefore come from the control node that hosts the job manager (it moves at a hand-over,
 * and the new one starts from zero). Thread-safe (Micrometer's meters are).
 */
public final class ControlMetrics {
    private static final PrometheusMeterRegistry REGISTRY = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private static final double[] MILLIS = {0.1, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000};
    private static final double[] SECONDS = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900};
    private static final DistributionSummary STALL = millis("spottrain.checkpoint.stall", "Training stopped for a checkpoint (the rank's copy)");
    private static final DistributionSummary PERSIST = millis("spottrain.checkpoint.persist", "A checkpoint written and committed locally");
    private static final DistributionSummary UPLOAD = millis("spottrain.checkpoint.upload", "A committed step uploaded to the remote tier");
    private static final DistributionSummary SCHEDULING = DistributionSummary.builder("spottrain.scheduling").baseUnit("seconds")
            .description("From a job's submission to every rank of its first generation started").serviceLevelObjectives(SECONDS)
            .register(REGISTRY);

    private static final GpuMetrics GPUS = new GpuMetrics(REGISTRY);

    private ControlMetrics() {}

    /** A heartbeat's GPU sample from {@code node} ({@link GpuMetrics}). */
    public static void gpus(String node, List<AgentProtocol.GpuSample> samples, Instant now) {
        GPUS.sampled(node, samples, now);
    }

    /** Drops the GPU series of nodes not heard for {@link GpuMetrics#STALE}. */
    public static void gpuSweep(Instant now) {
        GPUS.sweep(now);
    }

    /** {@code node}'s agent is gone or silent: its GPU series go. */
    public static void gpuForget(String node) {
        GPUS.forget(node);
    }

    /** The agent directory stopped (the job manager moved): no GPU series stays frozen on this node. */
    public static void gpuClear() {
        GPUS.clear();
    }

    public static PrometheusMeterRegistry registry() {
        return REGISTRY;
    }

    public static void checkpoint(double stallMs, double persistMs) {
        STALL.record(stallMs);
        PERSIST.record(persistMs);
    }

    public static void upload(double millis) {
        UPLOAD.record(millis);
    }

    public static void scheduled(double seconds) {
        SCHEDULING.record(seconds);
    }

    private static DistributionSummary millis(String name, String description) {
        return DistributionSummary.builder(name).baseUnit("milliseconds").description(description).serviceLevelObjectives(MILLIS)
                .register(REGISTRY);
    }
}
