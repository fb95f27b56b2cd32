package io.spottrain.coordinator.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.coordinator.state.InMemoryStateStore;
import java.util.HashSet;
import java.util.concurrent.ConcurrentHashMap;
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
    void concurrentSubmitsNeverShareANumber() {
        var ids = new JobIds(new InMemoryStateStore());
        var seen = ConcurrentHashMap.<Long>newKeySet();
        IntStream.range(0, 500).parallel().forEach(i -> assertTrue(seen.add(number(ids.next("j"))), "a number handed out twice"));
        assertEquals(500, seen.size());
    }
}
