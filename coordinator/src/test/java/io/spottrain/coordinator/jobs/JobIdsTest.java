package io.spottrain.coordinator.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.coordinator.state.InMemoryStateStore;
import io.spottrain.coordinator.state.StateStore;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class JobIdsTest {

    private static long number(String id) {
        String[] parts = id.split("-");
        return Long.parseLong(parts[parts.length - 2]);
    }

    @Test
    void numbersAreConsecutiveWithinABlockAndANewManagerStartsAfterEveryReservedOne() {
        var store = new InMemoryStateStore();
        var first = new JobIds(store);
        var numbers = IntStream.range(0, JobIds.BLOCK + 1).mapToObj(i -> number(first.next("train"))).toList();
        assertEquals(1, numbers.get(0));
        assertEquals(JobIds.BLOCK + 1, numbers.get(JobIds.BLOCK), "the next block follows the first");
        assertEquals(JobIds.BLOCK + 1, new HashSet<>(numbers).size());
        // a job manager that takes over never hands out a number its predecessor reserved, used or not
        assertEquals(2L * JobIds.BLOCK + 1, number(new JobIds(store).next("train")));
        assertEquals(3L * JobIds.BLOCK + 1, store.next("jobs"), "the store's counter is past all three blocks");
    }

    @Test
    void aReservedNumberIsHandedOutWithoutTheStoreAndNoneBeforeTheFirstBlock() {
        var store = new InMemoryStateStore();
        var ids = new JobIds(store);
        assertTrue(ids.nextReserved("train").isEmpty(), "nothing reserved yet: the store must be asked");
        assertEquals(1, number(ids.next("train")));
        long peek = store.next("jobs"); // a peek moves the counter by one
        var numbers = new ArrayList<Long>();
        for (int i = 1; i < JobIds.BLOCK; i++) numbers.add(number(ids.nextReserved("train").orElseThrow()));
        assertEquals(IntStream.rangeClosed(2, JobIds.BLOCK).mapToObj(i -> (long) i).toList(), numbers);
        assertTrue(ids.nextReserved("train").isEmpty(), "the block is used up");
        assertEquals(peek + 1, store.next("jobs"), "the store was not asked meanwhile");
    }

    /** While a pool thread waits for the store to reserve a block, the job manager's thread is never held up by it. */
    @Test
    void aReservationInFlightNeverBlocksTheManagersThreadAndABurstReservesOneBlock() throws Exception {
        var inner = new InMemoryStateStore();
        var entered = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        var reservations = new AtomicInteger();
        var store = (StateStore) Proxy.newProxyInstance(StateStore.class.getClassLoader(), new Class<?>[] {StateStore.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("reserve")) {
                        reservations.incrementAndGet();
                        entered.countDown();
                        assertTrue(release.await(10, TimeUnit.SECONDS));
                    }
                    return method.invoke(inner, args);
                });
        var ids = new JobIds(store);
        var pool = Executors.newFixedThreadPool(4);
        try {
            var first = pool.submit(() -> ids.next("a"));
            assertTrue(entered.await(10, TimeUnit.SECONDS));
            var others = List.of(pool.submit(() -> ids.next("b")), pool.submit(() -> ids.next("c")), pool.submit(() -> ids.next("d")));
            assertTrue(CompletableFuture.supplyAsync(() -> ids.nextReserved("m")).get(2, TimeUnit.SECONDS).isEmpty(),
                    "nothing reserved yet, and no wait for the store");
            release.countDown();
            var numbers = new HashSet<Long>(List.of(number(first.get(10, TimeUnit.SECONDS))));
            for (var f : others) numbers.add(number(f.get(10, TimeUnit.SECONDS)));
            assertEquals(Set.of(1L, 2L, 3L, 4L), numbers);
            assertEquals(1, reservations.get(), "the burst waited for one reservation instead of each making its own");
            assertEquals(5, number(ids.nextReserved("m").orElseThrow()));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void concurrentSubmitsNeverShareANumber() {
        var ids = new JobIds(new InMemoryStateStore());
        var seen = ConcurrentHashMap.<Long>newKeySet();
        IntStream.range(0, 500).parallel().forEach(i -> assertTrue(seen.add(number(ids.next("j"))), "a number handed out twice"));
        assertEquals(500, seen.size());
    }
}
