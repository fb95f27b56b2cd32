package io.spottrain.coordinator.state;

import com.typesafe.config.ConfigFactory;
import io.spottrain.coordinator.settings.FreePorts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
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

    /**
     * A job's write while the cost ledger refreshes its open segments (1,000, one per node) through the other fenced writer,
     * as one write (before 2026-12-04 e) or in writes of {@link StoreWriter#MAX_BATCH_PUTS} (now): both writers lock the
     * same epoch, so a job's write waits for the ledger's transaction. Job writes one after another, 5 ms apart; a refresh
     * every 500 ms (the coordinator's is every 15 s: this packs many into a short run); rounds alternate.
     */
    @Test
    void jobWritesBesideLedgerRefreshes() throws Exception {
        int disco = FreePorts.pick();
        var settings = new IgniteStateStore.Settings("control-bench-" + disco, dir.resolve("ignite"), "127.0.0.1", disco, FreePorts.pick(),
                List.of("127.0.0.1:" + disco), null);
        var kit = ActorTestKit.create(ConfigFactory.parseString("pekko.loglevel = WARNING"));
        try (IgniteStateStore store = IgniteStateStore.start(settings)) {
            var fence = new StateStore.Fence("epoch", store.next("epoch"));
            var jobs = kit.spawn(StoreWriter.create(store, fence), "jobs", StoreWriter.props());
            var history = kit.spawn(StoreWriter.create(store, fence), "history", StoreWriter.props());
            var results = kit.createTestProbe(StoreWriter.Result.class);
            for (int round = 0; round < 5; round++) {
                boolean chunked = round % 2 == 0;
                double[] ms = beside(jobs, history, results, chunked, round == 0 ? 3 : 8);
                if (round == 0) continue; // warm-up
                Arrays.sort(ms);
                System.out.printf(Locale.ROOT, "job write beside 1,000-segment ledger refreshes %s: p50 %.2f ms, p99 %.2f, max %.2f (%d writes)%n",
                        chunked ? "in writes of " + StoreWriter.MAX_BATCH_PUTS : "as one write", ms[ms.length / 2], ms[(int) (ms.length * 0.99)],
                        ms[ms.length - 1], ms.length);
            }
        } finally {
            kit.shutdownTestKit();
        }
    }

    private static double[] beside(ActorRef<StoreWriter.Command> jobs, ActorRef<StoreWriter.Command> history,
            TestProbe<StoreWriter.Result> results, boolean chunked, int seconds) throws InterruptedException {
        var segments = new ArrayList<StateStore.Put>();
        for (int n = 0; n < 1000; n++) segments.add(new StateStore.Put(Table.LEDGER, "seg-" + n, "{\"node\":\"node" + n + "\",\"usd\":0.1234}"));
        var out = new ArrayList<Double>();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        long nextRefresh = System.nanoTime();
        for (long token = 1; System.nanoTime() < end; token++) {
            if (System.nanoTime() >= nextRefresh) {
                if (chunked) {
                    for (int i = 0; i < segments.size(); i += StoreWriter.MAX_BATCH_PUTS) {
                        history.tell(new StoreWriter.Write(segments.subList(i, i + StoreWriter.MAX_BATCH_PUTS), null, 0));
                    }
                } else {
                    history.tell(new StoreWriter.Write(segments, null, 0));
                }
                nextRefresh += 500_000_000L;
            }
            int job = (int) (token % 50);
            var puts = List.of(new StateStore.Put(Table.JOBS, "job-" + job, "{\"pad\":\"" + "x".repeat(2_000) + "\"}"),
                    new StateStore.Put(Table.EVENTS, Table.seqKey("job-" + job, token), "{\"e\":1}"));
            long t0 = System.nanoTime();
            jobs.tell(new StoreWriter.Write(puts, results.getRef(), token));
            results.expectMessageClass(StoreWriter.Written.class, Duration.ofSeconds(10));
            out.add((System.nanoTime() - t0) / 1e6);
            Thread.sleep(5);
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
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
