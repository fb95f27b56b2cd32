package io.spottrain.coordinator.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contract against a real embedded Ignite node with native persistence, restarted from its work dir. */
class IgniteStateStoreTest extends StateStoreContract {
    @TempDir
    Path dir;

    private IgniteStateStore.Settings settings;

    @Override
    StateStore open() throws Exception {
        int disco = freePort();
        settings = new IgniteStateStore.Settings("control-test-" + disco, dir.resolve("ignite"), "127.0.0.1", disco, freePort(),
                List.of("127.0.0.1:" + disco), null);
        return IgniteStateStore.start(settings);
    }

    @Override
    StateStore reopen(StateStore closed) {
        closed.close();
        return IgniteStateStore.start(settings);
    }

    static int freePort() throws IOException {
        try (var s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void aNewStoreHasFewPartitionsAndOneMadeWithIgnitesDefaultReopensWithItsOwn() throws Exception {
        int disco = freePort();
        var old = new IgniteStateStore.Settings("control-old-" + disco, dir.resolve("old"), "127.0.0.1", disco, freePort(),
                List.of("127.0.0.1:" + disco), null);
        try (IgniteStateStore before = IgniteStateStore.start(old, 1024)) { // as every store was made before PARTITIONS
            assertEquals(1024, before.partitions(Table.JOBS));
            assertEquals(1, before.next("jobs"));
            before.write(List.of(put(Table.JOBS, "kept-1", "{\"kept\":true}"), put(Table.EVENTS, Table.seqKey("kept-1", 0), "{}")));
        }
        try (IgniteStateStore after = IgniteStateStore.start(old)) {
            assertEquals(1024, after.partitions(Table.JOBS), "a table keeps the partitioning it was created with");
            assertEquals("{\"kept\":true}", after.get(Table.JOBS, "kept-1").orElseThrow(), "what the old layout stored reads back");
            assertEquals(1, after.values(Table.EVENTS).size());
            assertEquals(2, after.next("jobs"), "its counters continue");
            after.write(List.of(put(Table.JOBS, "new-2", "{}")));
            assertEquals(2, after.values(Table.JOBS).size());
        }
        try (IgniteStateStore fresh = (IgniteStateStore) open()) {
            for (Table t : Table.values()) assertEquals(IgniteStateStore.PARTITIONS, fresh.partitions(t), t + " of a new store");
        }
    }

    @Test
    void bothWaysIgniteSaysItsStateIsChangingAreWaitedOutOthersAreNot() {
        assertTrue(IgniteStateStore.stateChanging(new IllegalStateException("wrapped", new RuntimeException(
                "Failed to perform cache operation (cluster state change is in progress)"))));
        assertTrue(IgniteStateStore.stateChanging(new RuntimeException("Failed to activate cluster, because another state change operation "
                + "is currently in progress: activate cluster")), "two control nodes activating at once (ControlDistributionIT)");
        assertFalse(IgniteStateStore.stateChanging(new RuntimeException("Failed to start cache: disk full")));
    }
}
