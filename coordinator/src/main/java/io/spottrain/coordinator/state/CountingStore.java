package io.spottrain.coordinator.state;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Counts what a store writes, for {@link StateStore#stats} (the scale benchmark reads it). */
abstract class CountingStore implements StateStore {
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong documents = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong nanos = new AtomicLong();

    abstract void apply(List<Put> puts, Fence fence);

    @Override
    public final void write(List<Put> puts, Fence fence) {
        if (puts.isEmpty()) return;
        long t0 = System.nanoTime();
        apply(puts, fence);
        nanos.addAndGet(System.nanoTime() - t0);
        writes.incrementAndGet();
        documents.addAndGet(puts.size());
        bytes.addAndGet(puts.stream().mapToLong(Put::bytes).sum());
    }

    @Override
    public final Stats stats() {
        return new Stats(writes.get(), documents.get(), bytes.get(), nanos.get());
    }
}
