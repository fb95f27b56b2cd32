package io.spottrain.coordinator.jobs;

import static io.spottrain.coordinator.jobs.Jobs.aJob;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.coordinator.state.InMemoryStateStore;
import io.spottrain.coordinator.state.Table;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressSeriesTest {
    static final Instant T = Instant.parse("2026-12-02T10:00:00Z");

    final InMemoryStateStore store = new InMemoryStateStore();
    final long[] written = {-1, -1};

    /** Rank 0 reports {@code step} at {@code at}: the points due then are stored. */
    void report(Job job, long step, Instant at) {
        store.write(ProgressSeries.due(job.withTraining(t -> t.progress(step, 0.5, 0, 0)), at, written));
    }

    @Test
    void aPointPerIntervalPerRingOnlyTheFirstReportOfASlotWrites() {
        Job job = aJob().running(2).build();
        report(job, 10, T);
        report(job, 11, T.plusSeconds(3)); // the same 10 s slot: nothing
        report(job, 30, T.plusSeconds(12));
        var points = ProgressSeries.read(store, job.id(), 0, T.plusSeconds(13));
        assertEquals(List.of(10L, 30L), points.stream().map(ProgressSeries.Point::step).toList(), points::toString);
        assertEquals(2, points.get(0).worldSize());
        assertEquals(3, store.values(Table.SERIES).size(), "two fine points and one coarse (both reports in T's 5-minute slot)");
        // the cursor: only what is newer
        assertEquals(List.of(30L), ProgressSeries.read(store, job.id(), T.plusSeconds(5).getEpochSecond(), T.plusSeconds(13)).stream()
                .map(ProgressSeries.Point::step).toList());
    }

    @Test
    void oldTimeComesFromTheCoarseRingAndTheStoreNeverGrowsWithAge() {
        Job job = aJob().running(3).build();
        for (int i = 0; i <= 6 * 3600 / 10; i++) report(job, i, T.plusSeconds(10L * i)); // 6 hours, a report every 10 s
        Instant now = T.plusSeconds(6 * 3600);
        int stored = store.values(Table.SERIES).size();
        assertEquals(ProgressSeries.Ring.FINE.slots + 6 * 3600 / 300 + 1, stored, "the fine ring full, a coarse point per 5 min");
        var points = ProgressSeries.read(store, job.id(), 0, now);
        // the first 2 hours at 5 min, the last 4 hours at 10 s
        assertEquals(0, points.get(0).step());
        assertEquals(300, points.get(1).t() - points.get(0).t());
        assertEquals(10, points.get(points.size() - 1).t() - points.get(points.size() - 2).t());
        for (int i = 1; i < points.size(); i++) assertTrue(points.get(i).t() > points.get(i - 1).t(), "oldest first, no repeats");
        assertEquals(6 * 3600 / 10, points.get(points.size() - 1).step());
        // 4 more hours: the fine ring laps over its slots, the store holds the same number of fine points
        for (int i = 6 * 360 + 1; i <= 10 * 360; i++) report(job, i, T.plusSeconds(10L * i));
        assertEquals(ProgressSeries.Ring.FINE.slots + 10 * 3600 / 300 + 1, store.values(Table.SERIES).size());
        var later = ProgressSeries.read(store, job.id(), 0, T.plusSeconds(10 * 3600));
        assertEquals(10 * 360, later.get(later.size() - 1).step());
    }

    @Test
    void aSlotHoldingAnOlderLapIsNotReadAsNow() {
        Job job = aJob().running(2).build();
        report(job, 5, T);
        // 4 h later the fine slot of T is this slot again; a reader then must not take the old point for a new one
        Instant lapped = T.plus(Duration.ofSeconds(ProgressSeries.Ring.FINE.seconds * ProgressSeries.Ring.FINE.slots));
        var points = ProgressSeries.read(store, job.id(), 0, lapped.plusSeconds(1));
        assertEquals(1, points.size(), "the coarse ring's point of T only, not the fine slot's old lap as a new point: " + points);
        assertEquals(T.getEpochSecond(), points.get(0).t());
    }
}
