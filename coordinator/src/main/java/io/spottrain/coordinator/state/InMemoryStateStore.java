package io.spottrain.coordinator.state;

import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/** State in this JVM's memory: lost with the process. Documents are kept as JSON, as Ignite keeps them. */
public final class InMemoryStateStore extends CountingStore {
    private final Map<Table, Map<String, String>> tables = new EnumMap<>(Table.class);
    private final Map<String, Long> counters = new ConcurrentHashMap<>();
    private volatile RuntimeException failWith;
    private volatile CountDownLatch hold;
    private final List<List<Put>> held = new CopyOnWriteArrayList<>();

    public InMemoryStateStore() {
        for (Table t : Table.values()) tables.put(t, new ConcurrentHashMap<>());
    }

    /** Tests: every write from now on throws this (null: writes work again). */
    public void failWrites(RuntimeException e) {
        this.failWith = e;
    }

    /** Tests: every write from now on waits until {@code gate} opens (null: writes go through); {@link #held} shows them. */
    public void holdWrites(CountDownLatch gate) {
        this.hold = gate;
    }

    /** Tests: the puts of the writes waiting at the gate of {@link #holdWrites}. */
    public List<Put> held() {
        return held.stream().flatMap(List::stream).toList();
    }

    @Override
    public boolean putIfAbsent(Table table, String key, String json) {
        RuntimeException e = failWith;
        if (e != null) throw e;
        return tables.get(table).putIfAbsent(key, json) == null;
    }

    @Override
    void apply(List<Put> puts, Fence fence) {
        CountDownLatch gate = hold;
        if (gate != null) { // outside the lock: each writer waits at the gate with its own write
            held.add(puts);
            try {
                gate.await();
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted at the test's gate", ie);
            } finally {
                held.remove(puts);
            }
        }
        applyNow(puts, fence);
    }

    private synchronized void applyNow(List<Put> puts, Fence fence) {
        RuntimeException e = failWith;
        if (e != null) throw e;
        if (fence != null && current(fence.counter()) != fence.epoch()) throw new FencedException(fence, current(fence.counter()));
        for (Put p : puts) tables.get(p.table()).put(p.key(), p.json());
    }

    @Override
    public Optional<String> get(Table table, String key) {
        return Optional.ofNullable(tables.get(table).get(key));
    }

    @Override
    public Map<String, String> getAll(Table table, Collection<String> keys) {
        var out = new LinkedHashMap<String, String>();
        for (String k : keys) {
            String v = tables.get(table).get(k);
            if (v != null) out.put(k, v);
        }
        return out;
    }

    @Override
    public List<String> values(Table table) {
        return new ArrayList<>(tables.get(table).values());
    }

    @Override
    public Map<String, String> entries(Table table) {
        return new HashMap<>(tables.get(table));
    }

    @Override
    public synchronized long next(String counter) {
        return counters.merge(counter, 1L, Long::sum);
    }

    @Override
    public synchronized long reserve(String counter, int count) {
        return counters.merge(counter, (long) count, Long::sum) - count + 1;
    }

    @Override
    public long current(String counter) {
        return counters.getOrDefault(counter, 0L);
    }

    @Override
    public String describe() {
        return "in memory (lost when this process ends)";
    }

    @Override
    public void close() {
        // nothing to release
    }
}
