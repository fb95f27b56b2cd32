package io.spottrain.coordinator.state;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/** Counts what a store writes, for {@link StateStore#stats} (the scale benchmark reads it). */
abstract class CountingStore implements StateStore {
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong documents = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong nanos = new AtomicLong();
    /** Writes by how long they took: [i] counts those up to {@link Stats#WRITE_BUCKETS_MILLIS}[i] (the last: any longer). */
    private final AtomicLongArray byMillis = new AtomicLongArray(Stats.WRITE_BUCKETS_MILLIS.size() + 1);

    abstract void apply(List<Put> puts, Fence fence);

    @Override
    public final void write(List<Put> puts, Fence fence) {
        if (puts.isEmpty()) return;
        long t0 = System.nanoTime();
        apply(puts, fence);
        long took = System.nanoTime() - t0;
        nanos.addAndGet(took);
        int b = 0;
        while (b < Stats.WRITE_BUCKETS_MILLIS.size() && took > Stats.WRITE_BUCKETS_MILLIS.get(b) * 1_000_000) b++;
        byMillis.incrementAndGet(b);
        writes.incrementAndGet();
        documents.addAndGet(puts.size());
        bytes.addAndGet(puts.stream().mapToLong(Put::bytes).sum());
    }

    @Override
    public final Stats stats() {
        var buckets = new Long[byMillis.length()];
        for (int i = 0; i < buckets.length; i++) buckets[i] = byMillis.get(i);
        return new Stats(writes.get(), documents.get(), bytes.get(), nanos.get(), List.of(buckets));
    }
}
