package io.spottrain.coordinator.jobs;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.Behavior;

/**
 * A {@link JobMaster} waiting for capacity: it never waits silently. When the launcher gave up on
 * a departed node's replacement while the job is below {@code min}, the request is made again
 * after a back-off (the configured capacity retry, doubling, at most 5 minutes), for as long as
 * the job waits; and a job whose spec sets {@code elastic.capacityTimeout} fails once it waited
 * that long for {@code min} workers, naming what it waited for.
 */
final class JobCapacity {
    static final Duration MAX_RETRY = Duration.ofMinutes(5);

    private final JobHandlers h;
    /** Rounds of asking again, per departed node. */
    private final Map<String, Integer> rounds = new HashMap<>();
    /** The generation whose wait has a deadline running (-1: none). */
    private long deadlineFor = -1;
    /** The generation in which a growth not worth its cost was recorded (once per generation: offers repeat). */
    private long notWorthIn = -1;

    JobCapacity(JobHandlers h) {
        this.h = h;
    }

    /**
     * The job is waiting for workers (pending, or recovering below min): start the deadline once per
     * wait; not while a budget holds it or it stepped aside for another job (its wait is a decision, not missing capacity).
     */
    void waiting(String reason) {
        if (reason != null && (reason.startsWith("held: ") || reason.startsWith("requeued: "))) {
            h.timers.cancel(new JobMaster.CapacityTimedOut(deadlineFor));
            deadlineFor = -1;
            return;
        }
        var timeout = h.job().spec().spec().elastic().capacityTimeout();
        // a job requeued for another waits as long as it takes: its wait is the scheduler's choice, not missing capacity
        if (timeout.isEmpty() || deadlineFor == h.job().generation() || ElasticPolicy.requeued(h.job())) return;
        deadlineFor = h.job().generation();
        h.timers.startSingleTimer(new JobMaster.CapacityTimedOut(h.job().generation()), timeout.get());
    }

    /** The job got its workers: no deadline, and departed nodes are no longer asked for. */
    void placed() {
        h.timers.cancel(new JobMaster.CapacityTimedOut(deadlineFor));
        deadlineFor = -1;
        rounds.keySet().forEach(d -> h.timers.cancel(new JobMaster.AskAgain(d)));
        rounds.clear();
    }

    /** The launcher gave up on a replacement: ask again later while the job still waits. */
    void gaveUp(String departed) {
        if (!waitingBelowMin()) return;
        int round = rounds.merge(departed, 1, Integer::sum);
        Duration delay = h.deps.settings().capacityRetry().multipliedBy(1L << Math.min(round - 1, 10));
        h.timers.startSingleTimer(new JobMaster.AskAgain(departed), delay.compareTo(MAX_RETRY) > 0 ? MAX_RETRY : delay);
    }

    Behavior<JobMaster.Command> onAskAgain(JobMaster.AskAgain a) {
        if (!waitingBelowMin()) return h.unchanged();
        String departed = a.departed();
        h.after(() -> h.deps.manager().tell(new JobManager.RequestReplacement(h.job().id(), departed)));
        return h.done(h.job().withEvent(JobEventType.REPLACEMENT_REQUESTED, departed, -1, "asking again for a node like " + departed
                + " (round " + (rounds.getOrDefault(departed, 0) + 1) + "): " + h.job().pendingReason(), h.now()));
    }

    /**
     * Free fitting nodes: grow into them when the policy says so. Where every rank can re-form in
     * place a process is staged on each node first and the job grows once they are up (training
     * goes on meanwhile); otherwise a collective checkpoint, then a bigger generation, now.
     */
    Behavior<JobMaster.Command> onCapacityFree(JobMaster.CapacityFree c) {
        if (c.nodes() > 0 && h.notices.swapDeferred()) return h.unchanged(); // the notice window's replacement is here
        if (h.staging.growing()) return h.unchanged(); // newcomers are being staged for a growth already
        // an operator who asked the job to grow waits for no cooldown, and the growth is not weighed
        boolean asked = h.job().scaling().growthAsked(h.job().worldSize());
        var cooldown = asked ? Duration.ZERO : h.deps.settings().scaleUpCooldown();
        var d = ElasticPolicy.onCapacityFree(h.job(), c.nodes(), h.now(), cooldown, !asked);
        if (d instanceof ElasticPolicy.NotWorthGrowing n) {
            // the manager offers the nodes to other jobs (this one is left out of offers for a while)
            h.deps.manager().tell(new JobManager.OfferCapacity(h.job().id()));
            if (notWorthIn == h.job().generation()) return h.unchanged();
            notWorthIn = h.job().generation();
            h.log.info("job {}: {}", h.job().id(), n.why());
            return h.done(h.job().withEvent(JobEventType.GROWTH_SKIPPED, null, -1, n.why(), h.now()));
        }
        if (d instanceof ElasticPolicy.GrowAfter g) {
            // the nodes stay free with no event to offer them again: ask for the offer when the cooldown ends
            h.timers.startSingleTimer(new JobMaster.OfferAgain(h.job().generation()), g.after().plusMillis(10));
            return h.unchanged();
        }
        if (!(d instanceof ElasticPolicy.BeginRecovery)) return h.unchanged();
        if (h.staging.stageForGrowth(h.job())) return h.unchanged(); // it grows once they are up
        h.log.info("job {} grows: {} free node(s) fit it, world size {} of {}", h.job().id(), c.nodes(), h.job().worldSize(),
                h.job().targetWorkers());
        return h.recoveries.begin(h.job(), RecoveryKind.GROW, null, 0);
    }

    /** The cooldown that held a growth back ended: the manager offers what is free now (to every job, by its rules). */
    Behavior<JobMaster.Command> onOfferAgain(JobMaster.OfferAgain o) {
        if (o.generation() == h.job().generation() && h.job().state() == JobState.RUNNING) h.deps.manager().tell(new JobManager.OfferCapacity(null));
        return h.unchanged();
    }

    Behavior<JobMaster.Command> onTimedOut(JobMaster.CapacityTimedOut t) {
        Job job = h.job();
        boolean waits = job.state() == JobState.PENDING || job.state() == JobState.RECOVERING;
        if (t.generation() != job.generation() || !waits) return h.unchanged();
        var timeout = job.spec().spec().elastic().capacityTimeout().orElseThrow();
        return h.end(job, JobState.FAILED, "no capacity for " + job.spec().spec().workers().min() + " worker(s) within spec.elastic."
                + "capacityTimeout (" + timeout.toSeconds() + " s)" + (job.pendingReason() == null ? "" : ": " + job.pendingReason()));
    }

    private boolean waitingBelowMin() {
        Job job = h.job();
        return job.state() == JobState.RECOVERING && job.pendingReason() != null;
    }
}
