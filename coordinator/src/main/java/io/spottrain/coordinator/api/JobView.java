package io.spottrain.coordinator.api;

import io.spottrain.coordinator.jobs.Job;
import io.spottrain.coordinator.jobs.JobEvent;
import io.spottrain.coordinator.jobs.Member;
import io.spottrain.coordinator.jobs.Training;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

/**
 * A job as the API, the CLI and the console show it. For a finished job it is also the run
 * summary of DESIGN.md: job, state, steps, finalLoss, paramsSha256, generations, wallSeconds,
 * preemptions, checkpoints, cost.
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
        long steps,
        Double loss,
        Double finalLoss,
        String paramsSha256,
        boolean paramsAgree,
        List<Object> preemptions,
        int restarts,
        int maxRestarts,
        Checkpoints checkpoints,
        Cost cost,
        List<JobEvent> events) {

    /**
     * {@code uploadMsP50}, {@code remoteLatestStep} are null until checkpoints reach a remote tier;
     * the backlog is what the last upload report left behind (steps and bytes not yet remote).
     */
    public record Checkpoints(int count, int files, Double stallMsP50, Double persistMsP50, Double uploadMsP50, Long latestStep,
            Long remoteLatestStep, int uploads, int backlogSteps, long backlogBytes) {}

    public record Cost(double actualUsd, double onDemandUsd, double savingsPct) {}

    public static JobView of(Job j, Instant now) {
        var spec = j.spec();
        double wall = 0;
        if (j.startedAt() != null) {
            Instant end = j.finishedAt() == null ? now : Instant.parse(j.finishedAt());
            wall = Duration.between(Instant.parse(j.startedAt()), end).toMillis() / 1000.0;
        }
        Training t = j.training();
        var hashes = t.paramsSha256ByRank();
        String sha = hashes.get("0");
        boolean agree = !hashes.isEmpty() && new HashSet<>(hashes.values()).size() == 1;
        double[] cost = j.costAt(j.finishedAt() == null ? now : Instant.parse(j.finishedAt()));
        double savings = cost[1] > 0 ? round(100 * (cost[1] - cost[0]) / cost[1], 1) : 0;
        return new JobView(j.id(), j.id(), spec.metadata().name(), j.state().name(), j.reason(), j.pendingReason(),
                j.generation(), j.generation(), j.worldSize(), spec.spec().workers().min(), spec.spec().workers().max(),
                spec.spec().placement().market().label(), spec.metadata().labels(), spec.spec().argv(), j.members(),
                j.masterAddr(), j.masterPort(), j.submittedAt(), j.startedAt(), j.finishedAt(), wall, t.step(),
                Double.isNaN(t.loss()) ? null : t.loss(), t.finalLoss(), sha, agree, List.copyOf(j.elastic().preemptions()),
                j.elastic().restarts(), spec.spec().maxRestarts(), checkpoints(t),
                new Cost(round(cost[0], 6), round(cost[1], 6), savings), j.events());
    }

    static Checkpoints checkpoints(Training t) {
        var records = t.checkpoints();
        var ups = t.uploads();
        Double upP50 = ups.isEmpty() ? null : round(p50(ups.stream().map(u -> (double) u.millis()).toList()), 1);
        Long remoteLatest = ups.isEmpty() ? null : ups.stream().mapToLong(Training.UploadRecord::step).max().getAsLong();
        var last = ups.isEmpty() ? null : ups.get(ups.size() - 1);
        int backlogSteps = last == null ? 0 : last.backlogSteps();
        long backlogBytes = last == null ? 0 : last.backlogBytes();
        if (records.isEmpty()) return new Checkpoints(0, 0, null, null, upP50, null, remoteLatest, ups.size(), backlogSteps, backlogBytes);
        long steps = records.stream().mapToLong(Training.CheckpointRecord::step).distinct().count();
        long latest = records.stream().mapToLong(Training.CheckpointRecord::step).max().getAsLong();
        return new Checkpoints((int) steps, records.size(), round(p50(records.stream().map(Training.CheckpointRecord::stallMs).toList()), 3),
                round(p50(records.stream().map(Training.CheckpointRecord::persistMs).toList()), 3), upP50, latest, remoteLatest,
                ups.size(), backlogSteps, backlogBytes);
    }

    static double p50(Collection<Double> values) {
        var sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
