package io.spottrain.coordinator.api;

import io.spottrain.coordinator.jobs.JobDocument;
import java.time.Instant;
import java.util.Map;

/** A job in the API's job list: what a table of jobs shows, from the stored document alone. */
public record JobSummary(
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
        int priority,
        Map<String, String> labels,
        long steps,
        Long samples,
        Long totalSteps,
        Double etaSeconds,
        Double loss,
        String submittedAt,
        String startedAt,
        String finishedAt,
        JobView.Cost cost) {

    public static JobSummary of(JobDocument d, Instant now) {
        var t = d.training();
        return new JobSummary(d.id(), d.name(), d.state().name(), d.reason(), d.pendingReason(), d.generation(), d.members().size(),
                d.minWorkers(), d.maxWorkers(), d.market(), d.priority(), d.labels(), t.step(), t.samples() > 0 ? t.samples() : null, JobView.totalSteps(d), JobView.eta(d), Double.isNaN(t.loss()) ? null : t.loss(),
                d.submittedAt(), d.startedAt(), d.finishedAt(), JobView.cost(d, now));
    }
}
