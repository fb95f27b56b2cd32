package io.spottrain.coordinator.scheduling;

import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.protocol.spec.JobSpec;
import io.spottrain.protocol.spec.PriorityClass;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Which running jobs give nodes back to a waiting job of a higher priority class (pure): only
 * elastic jobs of a lower class, each down to its {@code workers.min} at most, the lowest
 * priority first, then the youngest; only nodes the waiting job can use. Nothing when shrinking
 * all of them would still not make room: a job is never interrupted for nothing. (Jobs at their
 * min are not preempted: checkpointing and requeueing them is not built yet.)
 */
public final class Preemptions {

    /** A running job: its spec, when it was submitted, and the nodes it holds (its world size is their number). */
    public record Running(String jobId, JobSpec spec, Instant submittedAt, List<NodeRecord> nodes) {}

    /** Give these nodes of this job back. */
    public record Take(String jobId, List<String> nodeIds) {}

    private Preemptions() {}

    /** {@code freeFitting}: free nodes the waiting job can use already. */
    public static List<Take> plan(JobSpec waiting, int freeFitting, List<Running> running) {
        int need = waiting.spec().workers().min() - freeFitting;
        if (need <= 0) return List.of();
        PriorityClass mine = PriorityClass.of(waiting.spec().priority());
        var victims = running.stream().filter(r -> PriorityClass.of(r.spec().spec().priority()).compareTo(mine) < 0)
                .sorted(Comparator.comparingInt((Running r) -> r.spec().spec().priority())
                        .thenComparing(Running::submittedAt, Comparator.reverseOrder()).thenComparing(Running::jobId))
                .toList();
        var takes = new ArrayList<Take>();
        for (Running r : victims) {
            if (need == 0) break;
            int spare = r.nodes().size() - r.spec().spec().workers().min();
            if (spare <= 0) continue;
            var usable = r.nodes().stream().filter(n -> GangScheduler.fits(waiting.spec(), n))
                    .sorted(Comparator.comparing(NodeRecord::nodeId, Comparator.comparingInt(String::length).thenComparing(Comparator.naturalOrder()))
                            .reversed())
                    .map(NodeRecord::nodeId).limit(Math.min(spare, need)).toList();
            if (usable.isEmpty()) continue;
            takes.add(new Take(r.jobId(), usable));
            need -= usable.size();
        }
        return need == 0 ? List.copyOf(takes) : List.of();
    }
}
