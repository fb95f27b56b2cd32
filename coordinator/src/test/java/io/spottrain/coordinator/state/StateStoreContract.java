package io.spottrain.coordinator.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

/** What every {@link StateStore} must do; one subclass per implementation. */
abstract class StateStoreContract {

    /** A fresh, empty store. */
    abstract StateStore open() throws Exception;

    /** The same store after its process ended and started again (in memory: the same instance). */
    abstract StateStore reopen(StateStore closed) throws Exception;

    static StateStore.Put put(Table t, String key, String json) {
        return new StateStore.Put(t, key, json);
    }

    @Test
    void aWriteOverSeveralTablesReadsBackAndReplacesOlderVersions() throws Exception {
        try (StateStore store = open()) {
            store.write(List.of(put(Table.SPECS, "a-1", "{\"spec\":1}"), put(Table.EVENTS, Table.seqKey("a-1", 0), "{\"seq\":0}"),
                    put(Table.JOBS, "a-1", "{\"v\":1}")));
            assertEquals("{\"v\":1}", store.get(Table.JOBS, "a-1").orElseThrow());
            assertEquals("{\"spec\":1}", store.get(Table.SPECS, "a-1").orElseThrow());
            store.write(List.of(put(Table.EVENTS, Table.seqKey("a-1", 1), "{\"seq\":1}"), put(Table.JOBS, "a-1", "{\"v\":2}")));
            assertEquals("{\"v\":2}", store.get(Table.JOBS, "a-1").orElseThrow(), "the newer version replaced the older");
            assertEquals(1, store.values(Table.JOBS).size());
            assertTrue(store.get(Table.JOBS, "nope").isEmpty());
            assertTrue(store.get(Table.NODES, "a-1").isEmpty(), "tables are separate");
        }
    }

    @Test
    void putIfAbsentWritesOnlyTheFirstClaimAndItLasts() throws Exception {
        StateStore store = open();
        assertTrue(store.putIfAbsent(Table.ENROLLMENTS, "i-1", "{\"key\":\"a\"}"));
        assertFalse(store.putIfAbsent(Table.ENROLLMENTS, "i-1", "{\"key\":\"b\"}"), "claimed already");
        assertEquals("{\"key\":\"a\"}", store.get(Table.ENROLLMENTS, "i-1").orElseThrow(), "the first claim stands");
        try (StateStore again = reopen(store)) {
            assertEquals("{\"key\":\"a\"}", again.get(Table.ENROLLMENTS, "i-1").orElseThrow(), "durable");
            assertFalse(again.putIfAbsent(Table.ENROLLMENTS, "i-1", "{}"));
        }
    }

    @Test
    void getAllReturnsTheKeysThatExistInTheOrderAsked() throws Exception {
        try (StateStore store = open()) {
            store.write(List.of(put(Table.EVENTS, Table.seqKey("j", 0), "e0"), put(Table.EVENTS, Table.seqKey("j", 1), "e1"),
                    put(Table.EVENTS, Table.seqKey("j", 2), "e2")));
            var page = store.getAll(Table.EVENTS, List.of(Table.seqKey("j", 2), Table.seqKey("j", 9), Table.seqKey("j", 0)));
            assertEquals(List.of("e2", "e0"), List.copyOf(page.values()));
            assertEquals(Map.of(), store.getAll(Table.EVENTS, List.of()));
        }
    }

    @Test
    void statsCountWritesDocumentsAndBytes() throws Exception {
        try (StateStore store = open()) {
            var before = store.stats();
            store.write(List.of(put(Table.JOBS, "k", "1234"), put(Table.NODES, "n", "xy")));
            var after = store.stats();
            assertEquals(1, after.writes() - before.writes());
            assertEquals(2, after.documents() - before.documents());
            assertEquals("k".length() + 4 + "n".length() + 2, after.bytes() - before.bytes());
            assertEquals(StateStore.Stats.WRITE_BUCKETS_MILLIS.size() + 1, after.writesByMillis().size());
            assertEquals(after.writes(), after.writesByMillis().stream().mapToLong(Long::longValue).sum(), "every write in one bucket");
            long slower = 0;
            for (int i = 0; i < after.writesByMillis().size(); i++) slower += after.writesByMillis().get(i) - before.writesByMillis().get(i);
            assertEquals(1, slower, "the write was counted in its time's bucket");
        }
    }

    @Test
    void writesAndCountersSurviveARestart() throws Exception {
        StateStore store = open();
        assertEquals(1, store.next("jobs"));
        assertEquals(2, store.next("jobs"));
        assertEquals(1, store.next("other"));
        store.write(List.of(put(Table.JOBS, "kept-1", "{\"kept\":true}"), put(Table.NODES, "node1@t", "{}")));
        try (StateStore again = reopen(store)) {
            assertEquals(3, again.next("jobs"), "a counter never repeats");
            assertEquals(4, again.reserve("jobs", 10), "a reservation starts after the last value");
            assertEquals(14, again.next("jobs"), "and its 10 values are never handed out again");
            assertEquals("{\"kept\":true}", again.get(Table.JOBS, "kept-1").orElseThrow(), "an acknowledged write survives the restart");
            assertEquals(Set.of("{}"), Set.copyOf(again.values(Table.NODES)));
        }
    }

    @Test
    void aFencedWriteAppliesOnlyWhileItsEpochIsCurrent() throws Exception {
        try (StateStore store = open()) {
            long mine = store.next("epoch");
            var fence = new StateStore.Fence("epoch", mine);
            store.write(List.of(put(Table.JOBS, "j", "{\"by\":1}")), fence);
            assertEquals(mine, store.current("epoch"));
            long newer = store.next("epoch"); // another job manager took over
            var refused = Assertions.assertThrows(FencedException.class,
                    () -> store.write(List.of(put(Table.JOBS, "j", "{\"by\":1, \"late\":true}"), put(Table.EVENTS, "j#1", "{}")), fence));
            assertEquals("fenced: epoch is at epoch " + newer + ", this writer holds epoch " + mine + " (a newer job manager took over)",
                    refused.getMessage());
            assertEquals("{\"by\":1}", store.get(Table.JOBS, "j").orElseThrow(), "nothing of a refused write is applied");
            assertTrue(store.get(Table.EVENTS, "j#1").isEmpty());
            store.write(List.of(put(Table.JOBS, "j", "{\"by\":2}")), new StateStore.Fence("epoch", newer));
            assertEquals("{\"by\":2}", store.get(Table.JOBS, "j").orElseThrow());
        }
    }
}
