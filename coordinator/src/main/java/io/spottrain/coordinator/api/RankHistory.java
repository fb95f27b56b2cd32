package io.spottrain.coordinator.api;

import io.spottrain.coordinator.jobs.JobEvent;
import io.spottrain.coordinator.jobs.JobEventType;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Where a rank of an earlier generation ran, from the job's events: the node, and the generation and rank its output file
 * is named after (a rank re-formed in place kept its process, so it wrote on to the file of the generation that started
 * it, on the same node). Pure.
 */
final class RankHistory {
    /** Marks a {@code RANK_STARTED} whose process was kept (the job master's wording). */
    static final String IN_PLACE = "(re-formed in place)";

    record Where(String nodeId, long fileGeneration, int fileRank) {}

    private RankHistory() {}

    static Optional<Where> of(List<JobEvent> events, long generation, int rank) {
        var started = events.stream().filter(e -> e.type() == JobEventType.RANK_STARTED && e.node() != null)
                .sorted(Comparator.comparingLong(JobEvent::seq)).toList();
        var at = started.stream().filter(e -> e.generation() == generation && e.rank() == rank).reduce((a, b) -> b);
        if (at.isEmpty()) return Optional.empty();
        JobEvent e = at.get();
        String node = e.node();
        // kept in place: its file is that of the newest start of a process on the same node before it
        while (e.message() != null && e.message().contains(IN_PLACE)) {
            long before = e.seq();
            var earlier = started.stream().filter(x -> x.seq() < before && node.equals(x.node())).reduce((a, b) -> b);
            if (earlier.isEmpty()) break;
            e = earlier.get();
        }
        return Optional.of(new Where(node, e.generation(), e.rank()));
    }
}
