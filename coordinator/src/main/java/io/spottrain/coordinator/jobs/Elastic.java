package io.spottrain.coordinator.jobs;

import io.spottrain.protocol.wire.WireMessage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The elastic side of a job: which ranks of the current generation speak the training contract
 * (only those can be checkpointed on demand), the steps survivors stalled at, the recovery in
 * progress, the step the next generation resumes from, and every preemption so far.
 */
public record Elastic(
        Set<Integer> attached,
        Map<Integer, Long> stalls,
        Recovery recovery,
        long resumeStep,
        List<Preemption> preemptions,
        int restarts) implements WireMessage {

    public static final Elastic NONE = new Elastic(Set.of(), Map.of(), null, 0, List.of(), 0);

    public Elastic {
        attached = Set.copyOf(attached);
        stalls = Map.copyOf(stalls);
        preemptions = List.copyOf(preemptions);
    }

    /**
     * A recovery: {@code kind} notice or kill (a node departs), failure (a rank exited with an
     * error; its node stays) or stall (every rank stalled, no node missing; {@code node} null);
     * {@code node} the departing or failing node; {@code survivors}
     * the ranks that go on; {@code agreedStep} the step all of them checkpoint (-1 until known);
     * {@code checkpointed}/{@code exited} the survivors done with each phase; {@code alsoLost} nodes
     * lost during (or together with) this recovery besides {@code node} (a wave of preemptions).
     */
    public record Recovery(String kind, String node, List<Integer> survivors, long agreedStep, Set<Integer> checkpointed,
            Set<Integer> exited, String startedAt, double detectSeconds, long reachedStep, List<String> alsoLost) implements WireMessage {
        public Recovery {
            survivors = List.copyOf(survivors);
            checkpointed = Set.copyOf(checkpointed);
            exited = Set.copyOf(exited);
            alsoLost = alsoLost == null ? List.of() : List.copyOf(alsoLost);
        }

        public Recovery(String kind, String node, List<Integer> survivors, long agreedStep, Set<Integer> checkpointed, Set<Integer> exited,
                String startedAt, double detectSeconds, long reachedStep) {
            this(kind, node, survivors, agreedStep, checkpointed, exited, startedAt, detectSeconds, reachedStep, List.of());
        }

        Recovery agreed(long step) {
            return new Recovery(kind, node, survivors, step, checkpointed, exited, startedAt, detectSeconds, reachedStep, alsoLost);
        }

        Recovery checkpointed(int rank) {
            var s = new HashSet<>(checkpointed);
            s.add(rank);
            return new Recovery(kind, node, survivors, agreedStep, s, exited, startedAt, detectSeconds, reachedStep, alsoLost);
        }

        Recovery exited(int rank) {
            var s = new HashSet<>(exited);
            s.add(rank);
            return new Recovery(kind, node, survivors, agreedStep, checkpointed, s, startedAt, detectSeconds, reachedStep, alsoLost);
        }

        /**
         * Another member is gone while this recovery runs: it is no survivor any more. A notice
         * whose common step is not agreed yet becomes a loss (the ring is broken: the others stall).
         */
        Recovery withAlsoLost(String lostNode, int rank) {
            var lost = new ArrayList<>(alsoLost);
            lost.add(lostNode);
            String k = kind.equals("notice") && agreedStep < 0 ? "kill" : kind;
            return new Recovery(k, node, survivors.stream().filter(r -> r != rank).toList(), agreedStep, checkpointed, exited, startedAt,
                    detectSeconds, reachedStep, lost);
        }

        /** Nodes that leave the job with this recovery (a failing or stalled node stays). */
        public List<String> departing() {
            var all = new ArrayList<String>();
            if (node != null && !isFailure(kind)) all.add(node);
            all.addAll(alsoLost);
            return all;
        }

        public boolean allCheckpointed() {
            return agreedStep >= 0 && checkpointed.containsAll(survivors);
        }
    }

    /** True for the kinds that spend the job's {@code maxRestarts}: failures, not preemptions. */
    public static boolean isFailure(String kind) {
        return kind.equals("failure") || kind.equals("stall");
    }

    /**
     * One interruption as the run summary shows it: a preemption (notice, kill) or a restart after
     * a failure (failure, stall). {@code startedAt} is when the recovery began.
     */
    public record Preemption(String node, String kind, long atStep, double detectSeconds, Double resumeSeconds, Long lostSteps,
            String startedAt) implements WireMessage {}

    Elastic attach(int rank) {
        var s = new HashSet<>(attached);
        s.add(rank);
        return new Elastic(s, stalls, recovery, resumeStep, preemptions, restarts);
    }

    Elastic stalled(int rank, long step) {
        var m = new HashMap<>(stalls);
        m.put(rank, step);
        return new Elastic(attached, m, recovery, resumeStep, preemptions, restarts);
    }

    Elastic withRecovery(Recovery r) {
        return new Elastic(attached, stalls, r, resumeStep, preemptions, restarts);
    }

    /** A new generation starts from {@code step}: per-generation facts reset, the preemption stays. */
    Elastic nextGeneration(long step, Preemption p) {
        return nextGeneration(step, p == null ? List.of() : List.of(p));
    }

    /** As above, for a recovery that lost several nodes (one entry each). */
    Elastic nextGeneration(long step, List<Preemption> ps) {
        var all = new ArrayList<>(preemptions);
        all.addAll(ps);
        int failures = ps.isEmpty() || !isFailure(ps.get(0).kind()) ? 0 : 1; // one restart per recovery
        return new Elastic(Set.of(), Map.of(), null, step, all, restarts + failures);
    }

    /**
     * The generation is running again: every interruption not yet resumed gets its resume time,
     * from its own start (a preemption followed by another before the job ran again included).
     */
    Elastic resumed(java.time.Instant now) {
        var all = new ArrayList<Preemption>();
        boolean changed = false;
        for (Preemption p : preemptions) {
            if (p.resumeSeconds() == null && p.startedAt() != null) {
                double secs = java.time.Duration.between(java.time.Instant.parse(p.startedAt()), now).toMillis() / 1000.0;
                p = new Preemption(p.node(), p.kind(), p.atStep(), p.detectSeconds(), secs, p.lostSteps(), p.startedAt());
                changed = true;
            }
            all.add(p);
        }
        return changed ? new Elastic(attached, stalls, recovery, resumeStep, all, restarts) : this;
    }
}
