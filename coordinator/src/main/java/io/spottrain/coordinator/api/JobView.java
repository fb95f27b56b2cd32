package io.spottrain.coordinator.api;

import io.spottrain.coordinator.jobs.Job;
import io.spottrain.coordinator.jobs.JobEvent;
import io.spottrain.coordinator.jobs.Member;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** A job as the API, the CLI and the console show it. */
public record JobView(
        String id,
        String name,
        String state,
        String reason,
        String pendingReason,
        long generation,
        int worldSize,
        int minWorkers,
        int maxWorkers,
        String market,
        Map<String, String> labels,
        List<String> command,
        List<Member> members,
        String masterAddr,
        int masterPort,
        String submittedAt,
        String startedAt,
        String finishedAt,
        double wallSeconds,
        List<JobEvent> events) {

    public static JobView of(Job j, Instant now) {
        var spec = j.spec();
        double wall = 0;
        if (j.startedAt() != null) {
            Instant end = j.finishedAt() == null ? now : Instant.parse(j.finishedAt());
            wall = Duration.between(Instant.parse(j.startedAt()), end).toMillis() / 1000.0;
        }
        return new JobView(j.id(), spec.metadata().name(), j.state().name(), j.reason(), j.pendingReason(),
                j.generation(), j.worldSize(), spec.spec().workers().min(), spec.spec().workers().max(),
                spec.spec().placement().market().label(), spec.metadata().labels(), spec.spec().argv(), j.members(),
                j.masterAddr(), j.masterPort(), j.submittedAt(), j.startedAt(), j.finishedAt(), wall, j.events());
    }
}
