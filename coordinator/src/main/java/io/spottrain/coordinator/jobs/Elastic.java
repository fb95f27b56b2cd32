package io.spottrain.coordinator.jobs;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The elastic side of a job: which ranks of the current generation speak the training contract
 * (only those can be checkpointed on demand), the steps ranks stalled at and when the first stall
 * came, the recovery in progress, the step the next generation resumes from, every
 * interruption so far, and every growth (kept apart: a growth is no interruption, but what it cost
 * is measured the same way).
 */
public record Elastic(
        Set<Integer> attached,
        Map<Integer, Long> stalls,
        String firstStallAt,
        Recovery recovery,
        long resumeStep,
        List<Preemption> preemptions,
        int restarts,
        Set<Integer> inPlace,
        List<Growth> growths) {

    /** Growths kept in the job's document (the newest; each later one is weighed by these). */
    static final int GROWTHS_KEPT = 32;

    public static final Elastic NONE = new Elastic(Set.of(), Map.of(), null, null, 0, List.of(), 0, Set.of(), List.of());

    public Elastic {
        attached = Set.copyOf(attached);
        stalls = Map.copyOf(stalls);
        preemptions = List.copyOf(preemptions);
        inPlace = inPlace == null ? Set.of() : Set.copyOf(inPlace); // documents stored before in-place re-forms
        growths = growths == null ? List.of() : List.copyOf(growths); // documents stored before growths were recorded
    }

    public Elastic(Set<Integer> attached, Map<Integer, Long> stalls, String firstStallAt, Recovery recovery, long resumeStep,
            List<Preemption> preemptions, int restarts) {
        this(attached, stalls, firstStallAt, recovery, resumeStep, preemptions, restarts, Set.of(), List.of());
    }

    Elastic attach(int rank) {
        var s = new HashSet<>(attached);
        s.add(rank);
        return new Elastic(s, stalls, firstStallAt, recovery, resumeStep, preemptions, restarts, inPlace, growths);
    }

    /** The rank's process of the previous generation re-formed in place for this one (contract v2). */
    Elastic reformedInPlace(int rank) {
        var s = new HashSet<>(inPlace);
        s.add(rank);
        return new Elastic(attached, stalls, firstStallAt, recovery, resumeStep, preemptions, restarts, s, growths);
    }

    Elastic stalled(int rank, long step, Instant now) {
        var m = new HashMap<>(stalls);
        m.put(rank, step);
        return new Elastic(attached, m, firstStallAt == null ? now.toString() : firstStallAt, recovery, resumeStep, preemptions, restarts,
                inPlace, growths);
    }

    Elastic withRecovery(Recovery r) {
        return new Elastic(attached, stalls, firstStallAt, r, resumeStep, preemptions, restarts, inPlace, growths);
    }

    /** Seconds since the first stall report of this generation (0 when none came). */
    public double secondsSinceFirstStall(Instant now) {
        return firstStallAt == null ? 0 : Duration.between(Instant.parse(firstStallAt), now).toMillis() / 1000.0;
    }

    /**
     * A new generation starts from {@code step}: per-generation facts reset, the interruptions
     * stay; a recovery that spent a restart (failure, stall) counts once.
     */
    Elastic nextGeneration(long step, List<Preemption> ps, Growth growth) {
        var all = new ArrayList<>(preemptions);
        all.addAll(ps);
        int failures = ps.isEmpty() || !ps.get(0).kind().spendsRestart() ? 0 : 1;
        var gs = new ArrayList<>(growths);
        if (growth != null) gs.add(growth);
        var kept = gs.size() <= GROWTHS_KEPT ? gs : gs.subList(gs.size() - GROWTHS_KEPT, gs.size());
        return new Elastic(Set.of(), Map.of(), null, null, step, all, restarts + failures, Set.of(), kept);
    }

    /**
     * The generation is running again: every interruption not yet resumed gets its resume time,
     * from its own start (a preemption followed by another before the job ran again included),
     * and how many ranks re-formed in place; a growth also the world size it reached.
     */
    Elastic resumed(Instant now, int worldSize) {
        var all = new ArrayList<Preemption>();
        boolean changed = false;
        for (Preemption p : preemptions) {
            if (p.resumeSeconds() == null && p.startedAt() != null) {
                p = p.resumedAfter(secondsSince(p.startedAt(), now), inPlace.size());
                changed = true;
            }
            all.add(p);
        }
        var gs = new ArrayList<Growth>();
        for (Growth g : growths) {
            if (g.resumeSeconds() == null && g.startedAt() != null) {
                g = g.resumedAfter(secondsSince(g.startedAt(), now), worldSize, inPlace.size());
                changed = true;
            }
            gs.add(g);
        }
        return changed ? new Elastic(attached, stalls, firstStallAt, recovery, resumeStep, all, restarts, inPlace, gs) : this;
    }

    private static double secondsSince(String at, Instant now) {
        return Duration.between(Instant.parse(at), now).toMillis() / 1000.0;
    }

    /** Whether an interruption waits for the first step trained after its resume. */
    boolean awaitsTraining() {
        for (Preemption p : preemptions) if (p.resumeSeconds() != null && p.backToTrainingSeconds() == null) return true;
        for (Growth g : growths) if (g.resumeSeconds() != null && g.backToTrainingSeconds() == null) return true;
        return false;
    }

    /**
     * A step after the resume step completed: interruptions and growths resumed and waiting for it
     * get their back-to-training time. A growth's is what it cost the job: the report's time less
     * {@code reportLagSeconds} (the steps the report came after the first one, at the measured rate,
     * so a trainer that reports every 50 steps does not make growths look dear), never below its resume.
     * Each also gets {@code pausedSeconds} ({@link TrainingPause}; null: not measured).
     */
    Elastic trained(Instant now, double reportLagSeconds, Double pausedSeconds) {
        var all = new ArrayList<Preemption>();
        for (Preemption p : preemptions) {
            if (p.resumeSeconds() != null && p.backToTrainingSeconds() == null && p.startedAt() != null) {
                p = p.backToTrainingAfter(secondsSince(p.startedAt(), now), pausedSeconds);
            }
            all.add(p);
        }
        var gs = new ArrayList<Growth>();
        for (Growth g : growths) {
            if (g.resumeSeconds() != null && g.backToTrainingSeconds() == null && g.startedAt() != null) {
                g = g.backToTrainingAfter(Math.max(g.resumeSeconds(), secondsSince(g.startedAt(), now) - Math.max(0, reportLagSeconds)),
                        pausedSeconds);
            }
            gs.add(g);
        }
        return new Elastic(attached, stalls, firstStallAt, recovery, resumeStep, all, restarts, inPlace, gs);
    }
}
