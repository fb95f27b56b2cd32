package io.spottrain.coordinator.api;

import io.spottrain.coordinator.jobs.Job;
import io.spottrain.coordinator.jobs.Training;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * The coordinator's catalog of a job's checkpoints, per step: on which nodes' local tiers it was
 * committed, whether it reached the remote tier, its size and its stall/persist/upload times. It
 * is built from what agents reported; local retention on the nodes may since have removed old steps.
 */
public final class CheckpointCatalog {
    private CheckpointCatalog() {}

    public record Entry(long step, long generation, List<String> localNodes, boolean remote, long bytes, double stallMs,
            double persistMs, Long uploadMs) {}

    public static List<Entry> of(Job job) {
        Training t = job.training();
        var bySteps = new TreeMap<Long, List<Training.CheckpointRecord>>(java.util.Comparator.reverseOrder());
        for (var c : t.checkpoints()) bySteps.computeIfAbsent(c.step(), s -> new ArrayList<>()).add(c);
        for (var u : t.uploads()) bySteps.computeIfAbsent(u.step(), s -> new ArrayList<>());
        var out = new ArrayList<Entry>();
        for (var e : bySteps.entrySet()) {
            var recs = e.getValue();
            var up = t.uploads().stream().filter(u -> u.step() == e.getKey()).findFirst();
            out.add(new Entry(e.getKey(), recs.stream().mapToLong(Training.CheckpointRecord::generation).max().orElse(0),
                    recs.stream().map(Training.CheckpointRecord::node).distinct().sorted().toList(), up.isPresent(),
                    recs.stream().mapToLong(Training.CheckpointRecord::bytes).max().orElse(up.map(Training.UploadRecord::bytes).orElse(0L)),
                    recs.stream().mapToDouble(Training.CheckpointRecord::stallMs).max().orElse(0),
                    recs.stream().mapToDouble(Training.CheckpointRecord::persistMs).max().orElse(0),
                    up.map(Training.UploadRecord::millis).orElse(null)));
        }
        return out;
    }
}
