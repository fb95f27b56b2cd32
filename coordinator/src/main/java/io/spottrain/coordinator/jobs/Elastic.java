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
        List<Preemption> preemptions) implements WireMessage {

    public static final Elastic NONE = new Elastic(Set.of(), Map.of(), null, 0, List.of());

    public Elastic {
        attached = Set.copyOf(attached);
        stalls = Map.copyOf(stalls);
        preemptions = List.copyOf(preemptions);
    }

    /**
     * A recovery: {@code kind} notice or kill; {@code node} the departing node; {@code survivors}
     * the ranks that go on; {@code agreedStep} the step all of them checkpoint (-1 until known);
     * {@code checkpointed}/{@code exited} the survivors done with each phase.
     */
    public record Recovery(String kind, String node, List<Integer> survivors, long agreedStep, Set<Integer> checkpointed,
            Set<Integer> exited, String startedAt, double detectSeconds, long reachedStep) implements WireMessage {
        public Recovery {
            survivors = List.copyOf(survivors);
            checkpointed = Set.copyOf(checkpointed);
            exited = Set.copyOf(exited);
        }

        Recovery agreed(long step) {
            return new Recovery(kind, node, survivors, step, checkpointed, exited, startedAt, detectSeconds, reachedStep);
        }

        Recovery checkpointed(int rank) {
            var s = new HashSet<>(checkpointed);
            s.add(rank);
            return new Recovery(kind, node, survivors, agreedStep, s, exited, startedAt, detectSeconds, reachedStep);
        }

        Recovery exited(int rank) {
            var s = new HashSet<>(exited);
            s.add(rank);
            return new Recovery(kind, node, survivors, agreedStep, checkpointed, s, startedAt, detectSeconds, reachedStep);
        }

        public boolean allCheckpointed() {
            return agreedStep >= 0 && checkpointed.containsAll(survivors);
        }
    }

    /** One preemption as the run summary shows it. */
    public record Preemption(String node, String kind, long atStep, double detectSeconds, Double resumeSeconds, Long lostSteps)
            implements WireMessage {}

    Elastic attach(int rank) {
        var s = new HashSet<>(attached);
        s.add(rank);
        return new Elastic(s, stalls, recovery, resumeStep, preemptions);
    }

    Elastic stalled(int rank, long step) {
        var m = new HashMap<>(stalls);
        m.put(rank, step);
        return new Elastic(attached, m, recovery, resumeStep, preemptions);
    }

    Elastic withRecovery(Recovery r) {
        return new Elastic(attached, stalls, r, resumeStep, preemptions);
    }

    /** A new generation starts from {@code step}: per-generation facts reset, the preemption stays. */
    Elastic nextGeneration(long step, Preemption p) {
        var all = new ArrayList<>(preemptions);
        if (p != null) all.add(p);
        return new Elastic(Set.of(), Map.of(), null, step, all);
    }

    /** The generation is running again: the last preemption gets its resume time. */
    Elastic resumed(double resumeSeconds) {
        if (preemptions.isEmpty()) return this;
        var all = new ArrayList<>(preemptions);
        Preemption last = all.get(all.size() - 1);
        if (last.resumeSeconds() != null) return this;
        all.set(all.size() - 1, new Preemption(last.node(), last.kind(), last.atStep(), last.detectSeconds(), resumeSeconds, last.lostSteps()));
        return new Elastic(attached, stalls, recovery, resumeStep, all);
    }
}
