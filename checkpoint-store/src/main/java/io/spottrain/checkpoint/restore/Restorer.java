package io.spottrain.checkpoint.restore;

import io.spottrain.checkpoint.Progress;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import io.spottrain.protocol.checkpoint.CheckpointException;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/**
 * Finds the newest step that is complete somewhere — the local tier, else a peer's local tier,
 * else S3 (sources in that order) — brings it into the local tier and verifies it before the
 * training process starts. A step that fails verification everywhere is skipped for the previous
 * one, and the result says which file was bad where.
 */
public final class Restorer {
    private final CheckpointDir local;
    private final List<CheckpointSource> sources;

    public Restorer(CheckpointDir local, List<CheckpointSource> sources) {
        this.local = local;
        this.sources = List.copyOf(sources);
    }

    /** {@code step} is 0 and {@code source} null when nothing usable was found. */
    public record Restored(long step, String source, List<String> skipped) {
        public boolean found() {
            return source != null;
        }
    }

    /** The newest step complete anywhere, in the local tier and verified. */
    public Restored restore(String job, Progress progress) throws IOException {
        return restore(job, -1, progress);
    }

    /** Exactly {@code step} (a resume the coordinator chose), in the local tier and verified. */
    public Restored restoreStep(String job, long step, Progress progress) throws IOException {
        return restore(job, step, progress);
    }

    private Restored restore(String job, long only, Progress progress) throws IOException {
        return only >= 0 ? restoreExactly(job, only, progress) : restoreNewest(job, progress);
    }

    /**
     * One step: the local tier first, then each source in order, asking a source for its steps only
     * when the ones before it could not serve (a resume from the local tier costs no network call).
     */
    private Restored restoreExactly(String job, long step, Progress progress) throws IOException {
        var skipped = new ArrayList<String>();
        if (fromLocal(step, skipped)) return new Restored(step, "local", skipped);
        for (CheckpointSource s : sources) {
            if (s.steps(job).contains(step) && fetched(s, job, step, progress, skipped)) return new Restored(step, s.name(), skipped);
        }
        return new Restored(0, null, skipped);
    }

    private Restored restoreNewest(String job, Progress progress) throws IOException {
        var skipped = new ArrayList<String>();
        var candidates = new TreeSet<Long>(Comparator.reverseOrder());
        candidates.addAll(local.committedSteps());
        var stepsBySource = new ArrayList<List<Long>>();
        for (CheckpointSource s : sources) {
            List<Long> steps = s.steps(job);
            stepsBySource.add(steps);
            candidates.addAll(steps);
        }
        for (long step : candidates) {
            if (fromLocal(step, skipped)) return new Restored(step, "local", skipped);
            for (int i = 0; i < sources.size(); i++) {
                CheckpointSource s = sources.get(i);
                if (stepsBySource.get(i).contains(step) && fetched(s, job, step, progress, skipped)) {
                    return new Restored(step, s.name(), skipped);
                }
            }
        }
        return new Restored(0, null, skipped);
    }

    /** The step is committed here and verifies; a copy that does not is quarantined and noted. */
    private boolean fromLocal(long step, List<String> skipped) throws IOException {
        if (!local.isCommitted(step)) return false;
        try {
            local.verify(step);
            return true;
        } catch (CheckpointException e) {
            skipped.add("local: " + e.getMessage());
            quarantine(step);
            return false;
        }
    }

    /** Copies the step from {@code s} and verifies it here; a failure is noted with the source's name. */
    private boolean fetched(CheckpointSource s, String job, long step, Progress progress, List<String> skipped) {
        try {
            s.fetchInto(job, step, local, progress);
            local.verify(step);
            return true;
        } catch (CheckpointException | IOException e) {
            skipped.add(s.name() + ": " + e.getMessage());
            return false;
        }
    }

    /** A local step that failed verification is moved aside (kept for inspection, never used). */
    private void quarantine(long step) throws IOException {
        var from = local.stepDir(step);
        var to = local.root().resolve("corrupt-step-" + step + "-" + System.currentTimeMillis());
        Files.move(from, to);
    }
}
