package io.spottrain.coordinator.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The writer's batches: whole writes in order, coalesced while a transaction runs, at most
 * {@link StoreWriter#MAX_BATCH_PUTS} puts from several writes, every writer told its outcome. The
 * store is in memory behind a gate that holds the first transaction until a test has queued the
 * writes that must wait for it.
 */
class StoreWriterTest {
    static final ActorTestKit kit = ActorTestKit.create(ConfigFactory.parseString("pekko.loglevel = OFF"));

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    /**
     * An in-memory store whose first write waits for {@code open(0)} and, when asked, its second for {@code open(1)} (then
     * {@link #atSecond} runs: a newer epoch, a failure); it records every batch it wrote.
     */
    static final class GatedStore implements StateStore {
        final InMemoryStateStore inner = new InMemoryStateStore();
        final List<CountDownLatch> entered = List.of(new CountDownLatch(1), new CountDownLatch(1));
        final List<CountDownLatch> gates = List.of(new CountDownLatch(1), new CountDownLatch(1));
        final AtomicInteger calls = new AtomicInteger();
        final List<List<Put>> batches = new CopyOnWriteArrayList<>();
        volatile Runnable atSecond = () -> {};

        GatedStore(boolean holdSecond) {
            if (!holdSecond) gates.get(1).countDown();
        }

        void open(int write) {
            gates.get(write).countDown();
        }

        void awaitEntered(int write) throws InterruptedException {
            assertTrue(entered.get(write).await(5, TimeUnit.SECONDS), "write " + write + " never reached the store");
        }

        @Override
        public void write(List<Put> puts, Fence fence) {
            int call = calls.getAndIncrement();
            if (call < 2) {
                entered.get(call).countDown();
                try {
                    if (!gates.get(call).await(10, TimeUnit.SECONDS)) throw new IllegalStateException("the test never opened gate " + call);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
                if (call == 1) atSecond.run();
            }
            inner.write(puts, fence);
            batches.add(List.copyOf(puts));
        }

        @Override
        public long current(String counter) {
            return inner.current(counter);
        }

        @Override
        public Optional<String> get(Table table, String key) {
            return inner.get(table, key);
        }

        @Override
        public Map<String, String> getAll(Table table, Collection<String> keys) {
            return inner.getAll(table, keys);
        }

        @Override
        public List<String> values(Table table) {
            return inner.values(table);
        }

        @Override
        public Map<String, String> entries(Table table) {
            return inner.entries(table);
        }

        @Override
        public boolean putIfAbsent(Table table, String key, String json) {
            return inner.putIfAbsent(table, key, json);
        }

        @Override
        public long next(String counter) {
            return inner.next(counter);
        }

        @Override
        public long reserve(String counter, int count) {
            return inner.reserve(counter, count);
        }

        @Override
        public Stats stats() {
            return inner.stats();
        }

        @Override
        public String describe() {
            return "gated in-memory store";
        }

        @Override
        public void close() {}
    }

    static List<StateStore.Put> puts(String prefix, int n) {
        var out = new ArrayList<StateStore.Put>();
        for (int i = 0; i < n; i++) out.add(new StateStore.Put(Table.LEDGER, prefix + i, "{\"n\":" + i + "}"));
        return out;
    }

    /**
     * A writer over {@code store} whose first write (one put) is in its transaction, held at the gate: what is told to the
     * writer now waits in its mailbox (a tell to a local actor enqueues before it returns) and is batched once the gate opens.
     */
    static ActorRef<StoreWriter.Command> busyWriter(GatedStore store, StateStore.Fence fence) throws InterruptedException {
        var writer = kit.spawn(StoreWriter.create(store, fence));
        writer.tell(new StoreWriter.Write(puts("first-", 1), null, 0));
        store.awaitEntered(0);
        return writer;
    }

    @Test
    void writesQueuedBehindARunningTransactionGoInBatchesOfWholeWritesUpToTheCap() throws Exception {
        var store = new GatedStore(false);
        var writer = busyWriter(store, null);
        var results = kit.createTestProbe(StoreWriter.Result.class);
        int big = StoreWriter.MAX_BATCH_PUTS * 3 / 4;
        writer.tell(new StoreWriter.Write(puts("b-", big), results.getRef(), 1));
        writer.tell(new StoreWriter.Write(puts("c-", big), results.getRef(), 2));
        writer.tell(new StoreWriter.Write(puts("d-", 2), results.getRef(), 3));
        writer.tell(new StoreWriter.Write(puts("e-", big), results.getRef(), 4));
        store.open(0);
        for (long token = 1; token <= 4; token++) assertEquals(new StoreWriter.Written(token), results.receiveMessage());
        assertEquals(List.of(1, big, big + 2, big), store.batches.stream().map(List::size).toList(),
                "b alone (b + c is over the cap), c with d, e alone: in order, no write split");
        assertEquals(3 * big + 3, store.inner.values(Table.LEDGER).size());
    }

    @Test
    void oneWriteOverTheCapIsOneTransaction() throws Exception {
        var store = new GatedStore(false);
        var writer = busyWriter(store, null);
        var results = kit.createTestProbe(StoreWriter.Result.class);
        writer.tell(new StoreWriter.Write(puts("all-", StoreWriter.MAX_BATCH_PUTS * 3), results.getRef(), 7));
        store.open(0);
        assertEquals(new StoreWriter.Written(7), results.receiveMessage());
        assertEquals(List.of(1, StoreWriter.MAX_BATCH_PUTS * 3), store.batches.stream().map(List::size).toList());
    }

    @Test
    void aDocumentWrittenTwiceInABatchIsWrittenOnceTheNewest() throws Exception {
        var store = new GatedStore(false);
        var writer = busyWriter(store, null);
        var results = kit.createTestProbe(StoreWriter.Result.class);
        writer.tell(new StoreWriter.Write(List.of(new StateStore.Put(Table.JOBS, "j", "{\"v\":1}")), results.getRef(), 1));
        writer.tell(new StoreWriter.Write(List.of(new StateStore.Put(Table.JOBS, "j", "{\"v\":2}")), results.getRef(), 2));
        store.open(0);
        results.receiveMessage();
        results.receiveMessage();
        assertEquals(2, store.batches.size(), store.batches.toString());
        assertEquals(List.of(new StateStore.Put(Table.JOBS, "j", "{\"v\":2}")), store.batches.get(1));
        assertEquals("{\"v\":2}", store.get(Table.JOBS, "j").orElseThrow());
    }

    @Test
    void aFencedOffWriterFailsItsBatchEveryQueuedWriteAndEveryWriteInItsMailboxThenStops() throws Exception {
        var store = new GatedStore(true);
        long epoch = store.next("epoch");
        store.atSecond = () -> store.next("epoch"); // a newer job manager takes over while the second batch runs
        var writer = busyWriter(store, new StateStore.Fence("epoch", epoch));
        var results = kit.createTestProbe(StoreWriter.Result.class);
        int big = StoreWriter.MAX_BATCH_PUTS * 3 / 4;
        writer.tell(new StoreWriter.Write(puts("b-", big), results.getRef(), 1));
        writer.tell(new StoreWriter.Write(puts("c-", big), results.getRef(), 2)); // queued: over the cap with b
        store.open(0);
        store.awaitEntered(1); // b's batch is in its transaction, c in the queue
        writer.tell(new StoreWriter.Write(puts("d-", 1), results.getRef(), 3)); // in the mailbox
        store.open(1);
        for (long token = 1; token <= 3; token++) {
            var failed = results.expectMessageClass(StoreWriter.WriteFailed.class, Duration.ofSeconds(5));
            assertEquals(token, failed.token(), "b (its batch), c (the queue), d (the mailbox), in order");
        }
        TestProbe<Object> watcher = kit.createTestProbe();
        watcher.expectTerminated(writer);
        assertEquals(List.of("first-0"), store.inner.entries(Table.LEDGER).keySet().stream().toList(), "nothing after the fence");
    }

    @Test
    void aBatchTheStoreRefusesFailsItsWritesAndTheNextBatchIsWritten() throws Exception {
        var store = new GatedStore(true);
        store.atSecond = () -> {
            throw new IllegalStateException("disk full");
        };
        var writer = busyWriter(store, null);
        var results = kit.createTestProbe(StoreWriter.Result.class);
        writer.tell(new StoreWriter.Write(List.of(new StateStore.Put(Table.JOBS, "j", "{\"v\":1}")), results.getRef(), 1));
        store.open(0);
        store.awaitEntered(1);
        writer.tell(new StoreWriter.Write(List.of(new StateStore.Put(Table.JOBS, "j", "{\"v\":2}")), results.getRef(), 2));
        store.open(1);
        assertEquals(new StoreWriter.WriteFailed(1, "IllegalStateException: disk full"), results.receiveMessage());
        assertEquals(new StoreWriter.Written(2), results.receiveMessage());
        assertEquals("{\"v\":2}", store.get(Table.JOBS, "j").orElseThrow());
    }
}
