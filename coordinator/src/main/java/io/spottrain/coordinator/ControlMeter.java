package io.spottrain.coordinator;

import io.spottrain.coordinator.cost.ControlPrice;
import io.spottrain.coordinator.cost.LedgerEntry;
import io.spottrain.coordinator.state.StateStore;
import io.spottrain.coordinator.state.Table;
import io.spottrain.protocol.json.Json;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A control node meters itself into the cost ledger: one segment ({@code control} allocation, its
 * on-demand price) from its start, written at once, again every ledger tick with the time it
 * reached, and a last time, closed, when the node shuts down. Each control node writes only its own
 * segment (no job manager needed, none to fence): a control node that dies leaves it open, and a
 * report counts it up to where it was last seen, like a worker's left by a job manager that died.
 */
final class ControlMeter {
    private static final Logger log = LoggerFactory.getLogger(ControlMeter.class);

    private final StateStore store;
    private final Clock clock;
    private final LedgerEntry opened;
    private final Cancellable refresh;
    private boolean closed;

    private ControlMeter(ActorSystem<?> system, StateStore store, Clock clock, LedgerEntry opened, Duration tick) {
        this.store = store;
        this.clock = clock;
        this.opened = opened;
        var blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
        write(true); // at once: a report made a moment after the start already holds this node
        this.refresh = system.scheduler().scheduleWithFixedDelay(tick, tick, () -> write(true), blocking);
        CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "control-meter",
                () -> CompletableFuture.supplyAsync(() -> {
                    stop();
                    return Done.getInstance();
                }, blocking));
    }

    /** Starts metering control node {@code nodeId}, alive since {@code startedAt}, at {@code price}. */
    static ControlMeter start(ActorSystem<?> system, StateStore store, Clock clock, String nodeId, Instant startedAt, ControlPrice price,
            Duration tick) {
        log.info("control node {} is metered as {} in {} at ${}/h ({})", nodeId, price.instanceType(), price.region(), price.usdPerHour(),
                price.source());
        return new ControlMeter(system, store, clock, LedgerEntry.control(nodeId, startedAt, price), tick);
    }

    /** Closes the segment where the node stops (idempotent). */
    void stop() {
        refresh.cancel();
        write(false);
    }

    /** Under the lock, closed once: a refresh already queued when the node stops cannot open the segment again. */
    private synchronized void write(boolean open) {
        if (closed) return;
        if (!open) closed = true;
        var e = opened.until(clock.instant(), open);
        try {
            store.write(List.of(new StateStore.Put(Table.LEDGER, e.key(), Json.write(e))));
        } catch (RuntimeException ex) { // the next tick writes it again; a last write that fails leaves it ending where last seen
            log.warn("control node {}: its cost ledger segment was not written: {}", e.nodeId(), ex.toString());
        }
    }
}
