package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.cost.LedgerEntry;
import io.spottrain.coordinator.cost.Metering;
import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.coordinator.state.StateStore;
import io.spottrain.coordinator.state.StoreWriter;
import io.spottrain.coordinator.state.Table;
import io.spottrain.protocol.json.Json;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The job manager's side of the cost ledger: every change of a worker node's record becomes ledger
 * segments ({@link Metering}), written through the store writer like the node history; every
 * {@link #TICK} the open segments are written again with the time they reached, so a report on any
 * control node is at most a tick old even without a change (and a job manager that dies loses at
 * most a tick of metering).
 */
final class ManagerLedger {
    static final Duration TICK = Duration.ofSeconds(15);

    /** Time to write the open segments again. */
    enum Tick implements JobManager.Command { INSTANCE }

    private final Metering metering = new Metering();
    private final Supplier<ActorRef<StoreWriter.Command>> writer;
    private final Function<String, Map<String, String>> labelsOf;

    ManagerLedger(Supplier<ActorRef<StoreWriter.Command>> writer, Function<String, Map<String, String>> labelsOf) {
        this.writer = writer;
        this.labelsOf = labelsOf;
    }

    /** Where each node's stored ledger ends (read with the jobs when a job manager starts: boot time is billed once). */
    static Map<String, Instant> tails(StateStore store) {
        var tails = new HashMap<String, Instant>();
        for (String json : store.values(Table.LEDGER)) {
            var e = JobDocument.readValue(json, LedgerEntry.class);
            tails.merge(e.nodeId(), Instant.parse(e.to()), (a, b) -> a.isAfter(b) ? a : b);
        }
        return tails;
    }

    void resume(Map<String, Instant> tails) {
        metering.resume(tails);
    }

    void onChange(NodeRecord n, Instant now) {
        write(metering.onChange(n, now, labelsOf));
    }

    void onJobPhase(JobManager.JobPhase p, Instant now) {
        write(metering.onJobPhase(p.jobId(), p.recovering(), now));
    }

    void onTick(Instant now) {
        write(metering.refresh(now));
    }

    /**
     * The job manager stops (the cluster is shut down, or it hands over): its open segments are
     * stored up to now, synchronously (the writer has stopped), so a restarted cluster's ledger
     * covers the time up to the stop. Returns the error, or null.
     */
    String flush(StateStore store, StateStore.Fence fence, Instant now) {
        var entries = metering.refresh(now);
        if (entries.isEmpty() || fence == null) return null;
        try {
            store.write(puts(entries), fence);
            return null;
        } catch (RuntimeException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    private static List<StateStore.Put> puts(List<LedgerEntry> entries) {
        return entries.stream().map(e -> new StateStore.Put(Table.LEDGER, e.key(), Json.write(e))).toList();
    }

    private void write(List<LedgerEntry> entries) {
        var w = writer.get();
        if (entries.isEmpty() || w == null) return;
        w.tell(new StoreWriter.Write(puts(entries), null, 0));
    }
}
