package io.spottrain.agent.node;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.protocol.json.Json;
import io.spottrain.protocol.wire.InterruptionKind;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches for the end of this machine: polls IMDSv2 every {@code interval} for a Spot
 * interruption notice ({@code /latest/meta-data/spot/instance-action}, 404 while there is none)
 * and a rebalance recommendation, and reports each kind once. SIGTERM is reported by the agent
 * itself (a shutdown hook), through {@link #sigterm}.
 */
public final class InterruptionWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(InterruptionWatcher.class);
    static final String INSTANCE_ACTION = "/latest/meta-data/spot/instance-action";
    static final String REBALANCE = "/latest/meta-data/events/recommendations/rebalance";

    /** A notice of one kind; {@code deadline} null for a rebalance recommendation. */
    public record Notice(InterruptionKind kind, String action, Instant deadline, Instant seenAt) {}

    private final InstanceMetadata imds;
    private final Consumer<Notice> onNotice;
    private final ScheduledExecutorService timer;
    private final AtomicBoolean interruption = new AtomicBoolean();
    private final AtomicBoolean rebalance = new AtomicBoolean();

    /** Polls {@code imds} (null: no IMDS here, only SIGTERM counts) every {@code interval}. */
    public InterruptionWatcher(InstanceMetadata imds, Duration interval, Consumer<Notice> onNotice) {
        this.imds = imds;
        this.onNotice = onNotice;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "interruption-watcher");
            t.setDaemon(true);
            return t;
        });
        if (imds != null) {
            timer.scheduleWithFixedDelay(this::poll, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    void poll() {
        try {
            if (!interruption.get()) {
                String body = imds.get(INSTANCE_ACTION);
                if (body != null) {
                    JsonNode n = Json.MAPPER.readTree(body);
                    Instant deadline = parse(n.path("time").asText(null), Instant.now().plusSeconds(120));
                    if (interruption.compareAndSet(false, true)) {
                        report(new Notice(InterruptionKind.SPOT_INTERRUPTION, n.path("action").asText("terminate"), deadline, Instant.now()));
                    }
                }
            }
            if (!rebalance.get()) {
                String body = imds.get(REBALANCE);
                if (body != null && rebalance.compareAndSet(false, true)) {
                    report(new Notice(InterruptionKind.REBALANCE, "rebalance", null, Instant.now()));
                }
            }
        } catch (IOException | RuntimeException e) {
            log.warn("interruption poll failed: {}", e.toString()); // next poll tries again
        }
    }

    /** The process got SIGTERM: reported like a notice with the agent's stop grace as deadline. */
    public void sigterm(Duration grace) {
        if (interruption.compareAndSet(false, true)) {
            report(new Notice(InterruptionKind.SIGTERM, "terminate", Instant.now().plus(grace), Instant.now()));
        }
    }

    public boolean interrupted() {
        return interruption.get();
    }

    private void report(Notice n) {
        log.warn("interruption notice: {} ({}), deadline {}", n.kind().label(), n.action(), n.deadline());
        onNotice.accept(n);
    }

    private static Instant parse(String s, Instant dflt) {
        try {
            return s == null ? dflt : Instant.parse(s);
        } catch (RuntimeException e) {
            return dflt;
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        if (imds != null) imds.close();
    }
}
