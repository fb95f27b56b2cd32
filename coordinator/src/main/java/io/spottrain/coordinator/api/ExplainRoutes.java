package io.spottrain.coordinator.api;

import io.javalin.http.Context;
import io.spottrain.coordinator.jobs.JobDocument;
import io.spottrain.coordinator.jobs.JobEvent;
import io.spottrain.coordinator.jobs.JobEventType;
import io.spottrain.coordinator.jobs.JobState;
import io.spottrain.coordinator.jobs.Member;
import io.spottrain.coordinator.jobs.RecoveryKind;
import io.spottrain.coordinator.launch.NodeLauncher;
import io.spottrain.coordinator.scheduling.Explain;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code GET /api/v1/jobs/{id}/explain} (viewer): why the job waits or where it runs, which pools
 * fit it and what keeps the others off, what the launcher could start and which of its pools it
 * left out, and the jobs placed before it ({@link Explain}). Read from this control node's replica
 * of the store and this node's launcher: no round trip to the job manager.
 */
final class ExplainRoutes {
    private final JobReads reads;
    private final AtomicReference<NodeLauncher> launcher;

    ExplainRoutes(JobReads reads, AtomicReference<NodeLauncher> launcher) {
        this.reads = reads;
        this.launcher = launcher;
    }

    void get(Context ctx) {
        String id = ctx.pathParam("id");
        JobDocument d = reads.document(id).orElseThrow(() -> new HttpApi.ApiException(404, ApiError.of("no job named " + id)));
        var spec = reads.spec(id).orElseThrow(() -> new IllegalStateException("job " + id + " has no stored spec"));
        var waiting = reads.jobs().stream()
                .filter(j -> j.state().equals(JobState.PENDING.name()) || j.state().equals(JobState.RECOVERING.name()) && j.pendingReason() != null)
                // a recovering job is placed first (its survivors wait), but not one requeued for another job: it holds nothing
                .map(j -> new Explain.Queued(j.id(), j.priority(), j.submittedAt(), j.state().equals(JobState.RECOVERING.name())
                        && !reads.document(j.id()).map(ExplainRoutes::requeued).orElse(false)))
                .toList();
        NodeLauncher l = launcher.get();
        int target = d.scaling().desired() != null ? d.scaling().desired() : d.maxWorkers();
        var in = new Explain.Input(d.id(), spec, d.state().name(), d.state().terminal(), d.reason(), d.pendingReason(), d.generation(),
                d.members().stream().map(Member::nodeId).toList(), target, reads.workers(false),
                l == null ? List.of() : l.shapes(), l == null ? Map.of() : l.unavailable(), waiting, growthSkipped(d), reads.risks());
        HttpApi.json(ctx, 200, Explain.of(in));
    }

    /** Gave every node back for another job and waits (its last interruption a requeue, its generation closed). */
    static boolean requeued(JobDocument d) {
        var ps = d.elastic().preemptions();
        return d.state() == JobState.RECOVERING && d.elastic().recovery() == null && !ps.isEmpty()
                && ps.get(ps.size() - 1).kind() == RecoveryKind.REQUEUE;
    }

    /** Why the job's last growth in its current generation was skipped (the newest events only), or null. */
    private String growthSkipped(JobDocument d) {
        var page = reads.events(d.id(), Math.max(-1, d.eventCount() - 51), 50);
        if (page.isEmpty()) return null;
        String why = null;
        for (JobEvent e : page.get().items()) {
            if (e.type() == JobEventType.GROWTH_SKIPPED && e.generation() == d.generation()) why = e.message();
        }
        return why;
    }
}
