package io.spottrain.coordinator.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spottrain.coordinator.api.RankHistory.Where;
import io.spottrain.coordinator.jobs.JobEvent;
import io.spottrain.coordinator.jobs.JobEventType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RankHistoryTest {
    private static long seq;

    private static JobEvent started(long generation, String node, int rank, boolean inPlace) {
        return new JobEvent(seq++, "2026-12-03T12:00:00Z", JobEventType.RANK_STARTED, generation, node, rank,
                "pid " + (100 + seq) + (inPlace ? " " + RankHistory.IN_PLACE : ""), null);
    }

    private static JobEvent other(long generation, String node, int rank) {
        return new JobEvent(seq++, "2026-12-03T12:00:00Z", JobEventType.RANK_EXITED, generation, node, rank, "exit code 3", null);
    }

    @Test
    void anEarlierGenerationsRankIsFoundOnItsNodeAndAKeptProcessByTheFileItStartedWith() {
        seq = 0;
        var events = new ArrayList<>(List.of(
                started(1, "node1", 0, false), started(1, "node2", 1, false), other(1, "node2", 1),
                // generation 2: node2 restarted its rank; generation 3: node3 joins as rank 0, node1 kept as rank 1, node2 kept as 2
                started(2, "node1", 0, false), started(2, "node2", 1, false),
                started(3, "node3", 0, false), started(3, "node1", 1, true), started(3, "node2", 2, true),
                // generation 4: node2's process kept again, as rank 0 now
                started(4, "node2", 0, true)));
        Collections.reverse(events); // read in any order
        record Row(long generation, int rank, Optional<Where> expected) {}
        for (Row r : List.of(
                new Row(1, 1, Optional.of(new Where("node2", 1, 1))), // the rank that failed: its own file
                new Row(2, 0, Optional.of(new Where("node1", 2, 0))),
                new Row(3, 0, Optional.of(new Where("node3", 3, 0))),
                new Row(3, 1, Optional.of(new Where("node1", 2, 0))), // kept: still writing generation 2's rank 0 file
                new Row(4, 0, Optional.of(new Where("node2", 2, 1))), // kept twice: back to the start of its process
                new Row(2, 5, Optional.empty()), // no such rank
                new Row(9, 0, Optional.empty()))) {
            assertEquals(r.expected(), RankHistory.of(events, r.generation(), r.rank()), r.toString());
        }
    }

    @Test
    void aStartReplayedAfterAHandOverIsKnownToBeKeptByItsPid() {
        seq = 0;
        var events = List.of(
                new JobEvent(seq++, "t", JobEventType.RANK_STARTED, 1, "node1", 0, "pid 4242", null),
                new JobEvent(seq++, "t", JobEventType.RANK_STARTED, 2, "node1", 1, "pid 4242", null), // replayed: no mark, same process
                new JobEvent(seq++, "t", JobEventType.RANK_STARTED, 3, "node1", 0, "pid 5151", null)); // a new process
        assertEquals(Optional.of(new Where("node1", 1, 0)), RankHistory.of(events, 2, 1));
        assertEquals(Optional.of(new Where("node1", 3, 0)), RankHistory.of(events, 3, 0));
    }
}
