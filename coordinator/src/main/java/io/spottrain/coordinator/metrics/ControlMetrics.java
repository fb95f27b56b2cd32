package io.spottrain.coordinator.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spottrain.protocol.wire.AgentProtocol;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * This coordinator process's meters, in the registry {@code GET /metrics} scrapes. Besides what the
 * API reads from the state store at scrape time, the streams only the job manager's node sees live
 * are recorded here as they come: every checkpoint's stall and persist time, every upload's time,
 * each job's scheduling latency (submit to every rank of its first generation started), and the
 * worker nodes' GPUs from their agents' heartbeats ({@link GpuMetrics}). Those
 * series therefore come from the control node that hosts the job manager (it moves at a hand-over,
 * and the new one starts from zero). One per actor system (a Pekko extension: {@link #get}), so that
 * several coordinators in one JVM (tests) keep their series apart. Thread-safe (Micrometer's meters are).
 */
public final class ControlMetrics implements Extension {
    private static final double[] MILLIS = {0.1, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000};
    private static final double[] SECONDS = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900};

    private static final ExtensionId<ControlMetrics> ID = new ExtensionId<>() {
        @Override
        public ControlMetrics createExtension(ActorSystem<?> system) {
            return new ControlMetrics();
        }
    };

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final DistributionSummary stall = millis("spottrain.checkpoint.stall", "Training stopped for a checkpoint (the rank's copy)");
    private final DistributionSummary persist = millis("spottrain.checkpoint.persist", "A checkpoint written and committed locally");
    private final DistributionSummary upload = millis("spottrain.checkpoint.upload", "A committed step uploaded to the remote tier");
    private final DistributionSummary scheduling = DistributionSummary.builder("spottrain.scheduling").baseUnit("seconds")
            .description("From a job's submission to every rank of its first generation started").serviceLevelObjectives(SECONDS)
            .register(registry);
    private final Counter rendezvousOffered = rendezvousCounter(RendezvousPort.OFFERED);
    private final Counter rendezvousAsked = rendezvousCounter(RendezvousPort.ASKED);
    private final GpuMetrics gpus = new GpuMetrics(registry);
    private final NodeCheckpoints nodeCheckpoints = new NodeCheckpoints(registry);

    private ControlMetrics() {}

    /** This actor system's meters. */
    public static ControlMetrics get(ActorSystem<?> system) {
        return ID.apply(system);
    }

    /** Meters of their own, in no actor system (a test of what a scrape answers). */
    public static ControlMetrics standalone() {
        return new ControlMetrics();
    }

    /** A heartbeat's GPU sample from {@code node} ({@link GpuMetrics}). */
    public void gpus(String node, List<AgentProtocol.GpuSample> samples, Instant now) {
        gpus.sampled(node, samples, now);
    }

    /** Drops the GPU series of nodes not heard for {@link GpuMetrics#STALE}. */
    public void gpuSweep(Instant now) {
        gpus.sweep(now);
    }

    /** {@code node}'s agent is gone or silent: its GPU and checkpoint series go. */
    public void gpuForget(String node) {
        gpus.forget(node);
        nodeCheckpoints.forget(node);
    }

    /** The agent directory stopped (the job manager moved): no GPU or per-node checkpoint series stays frozen on this node. */
    public void gpuClear() {
        gpus.clear();
        nodeCheckpoints.clear();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** A rank on {@code node} committed a checkpoint of {@code job}: the histograms, and the node's newest ({@link NodeCheckpoints}). */
    public void checkpoint(String node, String job, double stallMs, double persistMs) {
        stall.record(stallMs);
        persist.record(persistMs);
        nodeCheckpoints.reported(node, job, stallMs, persistMs);
    }

    public void upload(double millis) {
        upload.record(millis);
    }

    public void scheduled(double seconds) {
        scheduling.record(seconds);
    }

    /** Jobs whose first generation started so far (on this node, while it hosts the job manager). */
    public long scheduledCount() {
        return scheduling.count();
    }

    /** Where a generation's rendezvous port came from: offered by rank 0's agent with its heartbeats, or asked of it. */
    public enum RendezvousPort {
        OFFERED, ASKED
    }

    /** A generation opened its rendezvous on a port that came {@code from} there. */
    public void rendezvous(RendezvousPort from) {
        (from == RendezvousPort.OFFERED ? rendezvousOffered : rendezvousAsked).increment();
    }

    /** Generations opened so far on a port that came {@code from} there. */
    public long rendezvousCount(RendezvousPort from) {
        return (long) (from == RendezvousPort.OFFERED ? rendezvousOffered : rendezvousAsked).count();
    }

    private Counter rendezvousCounter(RendezvousPort from) {
        return Counter.builder("spottrain.rendezvous").tag("port", from.name().toLowerCase(Locale.ROOT))
                .description("Generations opened, by where rank 0's rendezvous port came from").register(registry);
    }

    private DistributionSummary millis(String name, String description) {
        return DistributionSummary.builder(name).baseUnit("milliseconds").description(description).serviceLevelObjectives(MILLIS)
                .register(registry);
    }
}
