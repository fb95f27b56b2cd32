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
 * came, the recovery in progress, the step the next generation resumes from, and every
 * interruption so far.
 */
public record Elastic(
        Set<Integer> attached,
        Map<Integer, Long> stalls,
        String firstStallAt,
        Recovery recovery,
        long resumeStep,
        List<Preemption> preemptions,
        int restarts,
        Set<Integer> inPlace) {

    public static final Elastic NONE = new Elastic(Set.of(), Map.of(), null, null, 0, List.of(), 0, Set.of());

    public Elastic {
        attached = Set.copyOf(attached);
        stalls = Map.copyOf(stalls);
        preemptions = List.copyOf(preemptions);
        inPlace = inPlace == null ? Set.of() : Set.copyOf(inPlace); // documents stored before in-place re-forms
    }

    public Elastic(Set<Integer> attached, Map<Integer, Long> stalls, String firstStallAt, Recovery recovery, long resumeStep,
            List<Preemption> preemptions, int restarts) {
        this(attached, stalls, firstStallAt, recovery, resumeStep, preemptions, restarts, Set.of());
    }

    Elastic attach(int rank) {
        var s = new HashSet<>(attached);
        s.add(rank);
        return new Elastic(s, stalls, firstStallAt, recovery, resumeStep, preemptions, restarts, inPlace);
    }

    /** The rank's process of the previous generation re-formed in place for this one (contract v2). */
    Elastic reformedInPlace(int rank) {
        var s = new HashSet<>(inPlace);
        s.add(rank);
        return new Elastic(attached, stalls, firstStallAt, recovery, resumeStep, preemptions, restarts, s);
    }

    Elastic stalled(int rank, long step, Instant now) {
        var m = new HashMap<>(stalls);
        m.put(rank, step);
        return new Elastic(attached, m, firstStallAt == null ? now.toString() : firstStallAt, recovery, resumeStep, preemptions, restarts,
                inPlace);
    }

    Elastic withRecovery(Recovery r) {
        return new Elastic(attached, stalls, firstStallAt, r, resumeStep, preemptions, restarts, inPlace);
    }

    /** Seconds since the first stall report of this generation (0 when none came). */
    public double secondsSinceFirstStall(Instant now) {
        return firstStallAt == null ? 0 : Duration.between(Instant.parse(firstStallAt), now).toMillis() / 1000.0;
    }

    /**
     * A new generation starts from {@code step}: per-generation facts reset, the interruptions
     * stay; a recovery that spent a restart (failure, stall) counts once.
     */
    Elastic nextGeneration(long step, List<Preemption> ps) {
        var all = new ArrayList<>(preemptions);
        all.addAll(ps);
        int failures = ps.isEmpty() || !ps.get(0).kind().spendsRestart() ? 0 : 1;
        return new Elastic(Set.of(), Map.of(), null, null, step, all, restarts + failures, Set.of());
    }

    /**
     * The generation is running again: every interruption not yet resumed gets its resume time,
     * from its own start (a preemption followed by another before the job ran again included),
     * and how many ranks re-formed in place.
     */
    Elastic resumed(Instant now) {
        var all = new ArrayList<Preemption>();
        boolean changed = false;
        for (Preemption p : preemptions) {
            if (p.resumeSeconds() == null && p.startedAt() != null) {
                p = p.resumedAfter(Duration.between(Instant.parse(p.startedAt()), now).toMillis() / 1000.0, inPlace.size());
                changed = true;
            }
            all.add(p);
        }
        return changed ? new Elastic(attached, stalls, firstStallAt, recovery, resumeStep, all, restarts, inPlace) : this;
    }

    /** Whether an interruption waits for the first step trained after its resume. */
    boolean awaitsTraining() {
        for (Preemption p : preemptions) if (p.resumeSeconds() != null && p.backToTrainingSeconds() == null) return true;
        return false;
    }

    /** A step after the resume step completed: interruptions resumed and waiting for it get their back-to-training time. */
    Elastic trained(Instant now) {
        var all = new ArrayList<Preemption>();
        for (Preemption p : preemptions) {
            if (p.resumeSeconds() != null && p.backToTrainingSeconds() == null && p.startedAt() != null) {
                p = p.backToTrainingAfter(Duration.between(Instant.parse(p.startedAt()), now).toMillis() / 1000.0);
            }
            all.add(p);
        }
        return new Elastic(attached, stalls, firstStallAt, recovery, resumeStep, all, restarts, inPlace);
    }
}
