package io.spottrain.coordinator.api;

import io.spottrain.coordinator.jobs.JobEvent;
import io.spottrain.coordinator.jobs.JobEventType;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where a rank of an earlier generation ran, from the job's events: the node, and the generation and rank its output file
 * is named after (a rank re-formed in place kept its process, so it wrote on to the file of the generation that started
 * it, on the same node). Pure.
 */
final class RankHistory {
    /** Marks a {@code RANK_STARTED} whose process was kept (the job master's wording). */
    static final String IN_PLACE = "(re-formed in place)";

    private static final Pattern PID = Pattern.compile("pid (\\d+)");

    record Where(String nodeId, long fileGeneration, int fileRank) {}

    private RankHistory() {}

    static Optional<Where> of(List<JobEvent> events, long generation, int rank) {
        var started = events.stream().filter(e -> e.type() == JobEventType.RANK_STARTED && e.node() != null)
                .sorted(Comparator.comparingLong(JobEvent::seq)).toList();
        var at = started.stream().filter(e -> e.generation() == generation && e.rank() == rank).reduce((a, b) -> b);
        if (at.isEmpty()) return Optional.empty();
        JobEvent e = at.get();
        String node = e.node();
        // kept in place: its file is that of the newest start of a process on the same node before it. Marked so, or (a start
        // replayed after a hand-over carries no mark) the same pid as that earlier start
        while (true) {
            long before = e.seq();
            var earlier = started.stream().filter(x -> x.seq() < before && node.equals(x.node())).reduce((a, b) -> b);
            if (earlier.isEmpty()) break;
            boolean kept = e.message() != null && e.message().contains(IN_PLACE);
            if (!kept && (pid(e) == null || !pid(e).equals(pid(earlier.get())))) break;
            e = earlier.get();
        }
        return Optional.of(new Where(node, e.generation(), e.rank()));
    }

    /** The process id a {@code RANK_STARTED} names ("pid 4242 ..."), null when it names none. */
    private static String pid(JobEvent e) {
        var m = PID.matcher(e.message() == null ? "" : e.message());
        return m.lookingAt() && !m.group(1).equals("0") ? m.group(1) : null;
    }
}
