package io.spottrain.coordinator.state;

import io.spottrain.coordinator.settings.FreePorts;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What one store write costs alone, the unit of a generation's chain of durable writes (docs/benchmarks.md, "Coordinator at
 * scale"): batches like the job manager's (a job document, its progress record, a few events) written one after another to
 * a real embedded Ignite node with native persistence and an fsynced WAL, unfenced (optimistic) and fenced (pessimistic,
 * the job manager's epoch locked in every transaction). Not part of the suite (no *Test name):
 * {@code ./mvnw -B -o test -pl coordinator -Dtest=StoreWriteBenchmark -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class StoreWriteBenchmark {
    private static final int WARMUP = 300;
    private static final int WRITES = 1000;

    @TempDir
    Path dir;

    @Test
    void oneWriteAtATime() throws Exception {
        int disco = FreePorts.pick();
        var settings = new IgniteStateStore.Settings("control-bench-" + disco, dir.resolve("ignite"), "127.0.0.1", disco, FreePorts.pick(),
                List.of("127.0.0.1:" + disco), null);
        try (IgniteStateStore store = IgniteStateStore.start(settings)) {
            long epoch = store.next("epoch");
            var fence = new StateStore.Fence("epoch", epoch);
            for (int docBytes : new int[] {2_000, 8_000}) {
                for (boolean fenced : new boolean[] {false, true}) {
                    double[] ms = run(store, fenced ? fence : null, docBytes);
                    Arrays.sort(ms);
                    System.out.printf(Locale.ROOT, "store write, %s, job document %d B + progress + 3 events: mean %.2f ms, p50 %.2f, p99 %.2f "
                            + "(%d writes)%n", fenced ? "fenced (pessimistic)" : "unfenced (optimistic)", docBytes,
                            Arrays.stream(ms).average().orElse(0), ms[ms.length / 2], ms[(int) (ms.length * 0.99)], ms.length);
                }
            }
        }
    }

    private static double[] run(StateStore store, StateStore.Fence fence, int docBytes) {
        String doc = "{\"pad\":\"" + "x".repeat(docBytes) + "\"}";
        var out = new double[WRITES];
        for (int i = -WARMUP; i < WRITES; i++) {
            int job = Math.floorMod(i, 50);
            var puts = new ArrayList<StateStore.Put>();
            puts.add(new StateStore.Put(Table.JOBS, "job-" + job, doc));
            puts.add(new StateStore.Put(Table.PROGRESS, "job-" + job, "{\"step\":" + i + "}"));
            for (int e = 0; e < 3; e++) puts.add(new StateStore.Put(Table.EVENTS, Table.seqKey("job-" + job, (i + WARMUP) * 3L + e), "{\"e\":1}"));
            long t0 = System.nanoTime();
            store.write(puts, fence);
            if (i >= 0) out[i] = (System.nanoTime() - t0) / 1e6;
        }
        return out;
    }
}
