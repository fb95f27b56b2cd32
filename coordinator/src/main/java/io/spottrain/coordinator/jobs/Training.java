package io.spottrain.coordinator.jobs;

import io.spottrain.protocol.checkpoint.CheckpointTier;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the training processes reported over the contract: progress of rank 0, the summary of the
 * checkpoint catalog, the newest catalog steps (bounded: the rest is in the store), and each rank's
 * final parameter hash.
 *
 * @param samples            the samples trained up to {@code step}, as the trainer counts them (0: it does not say)
 * @param paramsSha256ByRank rank -> params-sha256 at the end (all must agree)
 * @param recent             the newest {@link #RECENT} catalog steps, oldest first
 * @param retention          what each tier still holds after its last retention run
 * @param pace               the run's length and measured rates (ETA, growth decisions)
 */
public record Training(
        long step,
        double loss,
        double samplesPerSec,
        long samples,
        Map<String, String> paramsSha256ByRank,
        Double finalLoss,
        CheckpointSummary checkpoints,
        List<CheckpointEntry> recent,
        CheckpointRetention retention,
        Pace pace) {

    /** Catalog steps kept in the job's document (a recovery agrees on one of the newest; the rest is in the store). */
    public static final int RECENT = 8;

    public static final Training NONE = new Training(0, Double.NaN, 0, 0, Map.of(), null, CheckpointSummary.NONE, List.of(),
            CheckpointRetention.NONE, Pace.NONE);

    public Training {
        paramsSha256ByRank = Map.copyOf(paramsSha256ByRank);
        recent = List.copyOf(recent);
        retention = retention == null ? CheckpointRetention.NONE : retention; // documents stored before retention was reported
        pace = pace == null ? Pace.NONE : pace; // documents stored before the pace was measured
    }

    /**
     * The catalog in numbers. {@code steps} is also the next catalog sequence number;
     * {@code newestRank0Step} -1 until rank 0 committed one; the p50s cover the newest reports.
     */
    public record CheckpointSummary(long steps, long files, Long latestStep, long newestRank0Step, Long remoteLatestStep, long uploads,
            int backlogSteps, long backlogBytes, Double stallMsP50, Double persistMsP50, Double uploadMsP50, Long autoIntervalSeconds,
            String autoIntervalWhy) {

        public static final CheckpointSummary NONE = new CheckpointSummary(0, 0, null, -1, null, 0, 0, 0, null, null, null, null, null);
    }

    /** Rank 0 reported step {@code s} with loss {@code l}, {@code sps} samples/s and {@code n} samples trained (0: not said). */
    public Training progress(long s, double l, double sps, long n) {
        return new Training(Math.max(step, s), l, sps, Math.max(samples, n), paramsSha256ByRank, finalLoss, checkpoints, recent, retention,
                pace);
    }

    Training withPace(Pace p) {
        return new Training(step, loss, samplesPerSec, samples, paramsSha256ByRank, finalLoss, checkpoints, recent, retention, p);
    }

    Training done(int rank, long s, double l, String sha) {
        var hashes = new LinkedHashMap<>(paramsSha256ByRank);
        hashes.put(Integer.toString(rank), sha);
        return new Training(Math.max(step, s), rank == 0 ? l : loss, samplesPerSec, samples, hashes, rank == 0 ? Double.valueOf(l) : finalLoss,
                checkpoints, recent, retention, pace);
    }

    /**
     * Bytes of the job's steps the remote tier holds now (uploaded, not removed by retention), among
     * the {@value #RECENT} newest catalog steps (retention keeps fewer unless {@code checkpoint.keep}
     * is larger): what the job's checkpoints occupy in S3, metered by the cost ledger.
     */
    public long remoteBytes() {
        return recent.stream().filter(e -> e.remote() && retention.remoteHas(e.step())).mapToLong(CheckpointEntry::bytes).sum();
    }

    public Optional<CheckpointEntry> entry(long s) {
        return recent.stream().filter(e -> e.step() == s).reduce((a, b) -> b);
    }

    /** A rank committed {@code s} to its node's local tier. */
    Training committed(long s, long generation, int rank, String node, long bytes, double stallMs, double persistMs, String digest) {
        var c = checkpoints;
        var found = entry(s);
        long steps = found.isPresent() ? c.steps() : c.steps() + 1;
        var e = found.orElseGet(() -> CheckpointEntry.first(c.steps(), s, generation)).committed(generation, rank, node, bytes, stallMs,
                persistMs, digest);
        var sum = new CheckpointSummary(steps, c.files() + 1, c.latestStep() == null ? s : Math.max(c.latestStep(), s),
                rank == 0 ? Math.max(c.newestRank0Step(), s) : c.newestRank0Step(), c.remoteLatestStep(), c.uploads(), c.backlogSteps(),
                c.backlogBytes(), c.stallMsP50(), c.persistMsP50(), c.uploadMsP50(), c.autoIntervalSeconds(), c.autoIntervalWhy());
        return new Training(step, loss, samplesPerSec, samples, paramsSha256ByRank, finalLoss, sum, with(e), retention, pace);
    }

    /** A node's uploader committed {@code s} to the remote tier, leaving this backlog behind. */
    Training uploaded(long s, long generation, long bytes, long millis, int backlogSteps, long backlogBytes) {
        var c = checkpoints;
        var found = entry(s);
        long steps = found.isPresent() ? c.steps() : c.steps() + 1;
        var e = found.orElseGet(() -> CheckpointEntry.first(c.steps(), s, generation)).uploaded(bytes, millis);
        var sum = new CheckpointSummary(steps, c.files(), c.latestStep() == null ? s : Math.max(c.latestStep(), s), c.newestRank0Step(),
                c.remoteLatestStep() == null ? s : Math.max(c.remoteLatestStep(), s), c.uploads() + 1, backlogSteps, backlogBytes,
                c.stallMsP50(), c.persistMsP50(), c.uploadMsP50(), c.autoIntervalSeconds(), c.autoIntervalWhy());
        return new Training(step, loss, samplesPerSec, samples, paramsSha256ByRank, finalLoss, sum, with(e), retention, pace);
    }

    /** A tier reported what retention left of the job. */
    Training retained(CheckpointTier tier, String node, List<Long> kept) {
        return new Training(step, loss, samplesPerSec, samples, paramsSha256ByRank, finalLoss, checkpoints, recent,
                retention.reported(tier, node, kept), pace);
    }

    /** The interval {@code checkpoint.interval: auto} chose, and why. */
    Training withAutoInterval(CheckpointInterval.Choice choice) {
        var c = checkpoints;
        var sum = new CheckpointSummary(c.steps(), c.files(), c.latestStep(), c.newestRank0Step(), c.remoteLatestStep(), c.uploads(),
                c.backlogSteps(), c.backlogBytes(), c.stallMsP50(), c.persistMsP50(), c.uploadMsP50(), choice.seconds(), choice.why());
        return new Training(step, loss, samplesPerSec, samples, paramsSha256ByRank, finalLoss, sum, recent, retention, pace);
    }

    Training withP50s(Double stall, Double persist, Double upload) {
        var c = checkpoints;
        var sum = new CheckpointSummary(c.steps(), c.files(), c.latestStep(), c.newestRank0Step(), c.remoteLatestStep(), c.uploads(),
                c.backlogSteps(), c.backlogBytes(), stall, persist, upload, c.autoIntervalSeconds(), c.autoIntervalWhy());
        return new Training(step, loss, samplesPerSec, samples, paramsSha256ByRank, finalLoss, sum, recent, retention, pace);
    }

    /**
     * The newest step of {@code generation} that every one of {@code ranks} committed, at least
     * {@code atLeast} (returned when none is newer).
     */
    public long newestCommonStep(long generation, List<Integer> ranks, long atLeast) {
        return recent.stream().filter(e -> e.generation() == generation && e.step() >= atLeast && e.ranks().containsAll(ranks))
                .mapToLong(CheckpointEntry::step).max().orElse(atLeast);
    }

    private List<CheckpointEntry> with(CheckpointEntry e) {
        var all = new ArrayList<CheckpointEntry>();
        for (CheckpointEntry r : recent) if (r.step() != e.step()) all.add(r);
        all.add(e);
        all.sort(Comparator.comparingLong(CheckpointEntry::step));
        return all.size() <= RECENT ? all : all.subList(all.size() - RECENT, all.size());
    }
}
