package io.spottrain.coordinator.api;

import io.spottrain.coordinator.jobs.Growth;
import io.spottrain.coordinator.jobs.JobDocument;
import io.spottrain.coordinator.jobs.JobEvent;
import io.spottrain.coordinator.jobs.Member;
import io.spottrain.coordinator.jobs.Preemption;
import io.spottrain.coordinator.jobs.Training;
import io.spottrain.protocol.spec.JobSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

/**
 * A job as the API, the CLI and the console show it, built from its stored document, its spec and
 * a page of its newest events. For a finished job it is also the run summary of DESIGN.md: job,
 * state, steps, finalLoss, paramsSha256, generations, wallSeconds, preemptions, checkpoints, cost.
 * {@code events} are the newest {@code events.size()} of {@code eventCount} (all of them through
 * {@code GET /api/v1/jobs/{id}/events}). {@code totalSteps} is where the trainer said the run
 * ends (null: it did not say); {@code etaSeconds} the time left at the newest measured
 * {@code stepsPerSec} while the job is in progress; {@code growths} the times it grew into free
 * nodes, and what each cost.
 */
public record JobView(
        String id,
        String job,
        String name,
        String state,
        String reason,
        String pendingReason,
        long generation,
        long generations,
        int worldSize,
        int minWorkers,
        int maxWorkers,
        Integer desiredWorkers,
        String market,
        int priority,
        Map<String, String> labels,
        List<String> command,
        List<Member> members,
        String masterAddr,
        int masterPort,
        String submittedAt,
        String startedAt,
        String finishedAt,
        double wallSeconds,
        long steps,
        Long totalSteps,
        Double stepsPerSec,
        Double etaSeconds,
        Double loss,
        Double samplesPerSec,
        Long samples,
        Double finalLoss,
        String paramsSha256,
        boolean paramsAgree,
        List<Preemption> preemptions,
        List<Growth> growths,
        int restarts,
        int maxRestarts,
        Checkpoints checkpoints,
        Cost cost,
        long eventCount,
        List<JobEvent> events) {

    /**
     * {@code uploadMsP50}, {@code remoteLatestStep} are null until checkpoints reach a remote tier;
     * the backlog is what the last upload report left behind (steps and bytes not yet remote); the
     * medians cover the newest 512 reports. {@code interval} is "auto" or the spec's steps;
     * {@code autoIntervalSeconds}/{@code autoIntervalWhy} what auto chose last, and why (null until then).
     */
    public record Checkpoints(long count, long files, Double stallMsP50, Double persistMsP50, Double uploadMsP50, Long latestStep,
            Long remoteLatestStep, long uploads, int backlogSteps, long backlogBytes, String interval, Long autoIntervalSeconds,
            String autoIntervalWhy) {}

    public record Cost(double actualUsd, double onDemandUsd, double savingsPct) {}

    public static JobView of(JobDocument d, JobSpec spec, List<JobEvent> events, Instant now) {
        double wall = 0;
        if (d.startedAt() != null) {
            Instant end = d.finishedAt() == null ? now : Instant.parse(d.finishedAt());
            wall = Duration.between(Instant.parse(d.startedAt()), end).toMillis() / 1000.0;
        }
        Training t = d.training();
        var hashes = t.paramsSha256ByRank();
        boolean agree = !hashes.isEmpty() && new HashSet<>(hashes.values()).size() == 1;
        var c = t.checkpoints();
        var checkpoints = new Checkpoints(c.steps(), c.files(), c.stallMsP50(), c.persistMsP50(), c.uploadMsP50(), c.latestStep(),
                c.remoteLatestStep(), c.uploads(), c.backlogSteps(), c.backlogBytes(), spec.spec().checkpoint().auto() ? "auto"
                        : Integer.toString(spec.spec().checkpoint().intervalSteps()), c.autoIntervalSeconds(), c.autoIntervalWhy());
        return new JobView(d.id(), d.id(), d.name(), d.state().name(), d.reason(), d.pendingReason(), d.generation(), d.generation(),
                d.members().size(), d.minWorkers(), d.maxWorkers(), d.scaling().desired(), d.market(), d.priority(), d.labels(), spec.spec().argv(), d.members(),
                d.masterAddr(), d.masterPort(), d.submittedAt(), d.startedAt(), d.finishedAt(), wall, t.step(),
                totalSteps(d), t.pace().stepsPerSec() > 0 ? round(t.pace().stepsPerSec(), 3) : null, eta(d),
                Double.isNaN(t.loss()) ? null : t.loss(),
                t.samplesPerSec() > 0 ? t.samplesPerSec() : null, t.samples() > 0 ? t.samples() : null, t.finalLoss(), hashes.get("0"), agree, d.elastic().preemptions(),
                d.elastic().growths(), d.elastic().restarts(), d.maxRestarts(), checkpoints, cost(d, now), d.eventCount(), events);
    }

    static Long totalSteps(JobDocument d) {
        long total = d.training().pace().totalSteps();
        return total > 0 ? total : null;
    }

    /** Seconds left at the newest measured rate, while the job is in progress and its trainer said where it ends. */
    static Double eta(JobDocument d) {
        if (d.state().terminal()) return null;
        var eta = d.training().pace().etaSeconds(d.training().step());
        return eta.isPresent() ? round(eta.getAsDouble(), 1) : null;
    }

    /** Cost so far: closed generations plus the open one up to now (or the end). */
    static Cost cost(JobDocument d, Instant now) {
        double[] open = Member.cost(d.members(), d.generationOpenedAt(), d.finishedAt() == null ? now : Instant.parse(d.finishedAt()));
        double actual = d.actualUsd() + open[0];
        double onDemand = d.onDemandUsd() + open[1];
        double savings = onDemand > 0 ? round(100 * (onDemand - actual) / onDemand, 1) : 0;
        return new Cost(round(actual, 6), round(onDemand, 6), savings);
    }

    static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
