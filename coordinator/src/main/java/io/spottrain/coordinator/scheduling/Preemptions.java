package io.spottrain.coordinator.scheduling;

import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.protocol.spec.JobSpec;
import io.spottrain.protocol.spec.PriorityClass;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;

/**
 * Which running jobs give nodes back to a waiting job of a higher priority class (pure): jobs of a
 * lower class, the lowest priority first, then the youngest; only nodes the waiting job can use
 * count. Shrinking comes first (elastic jobs, each down to its {@code workers.min}); when that is
 * not enough, whole jobs are requeued (each checkpoints every rank, gives back all its nodes and
 * waits to resume from that step; only jobs whose ranks can checkpoint on request), and shrinks a
 * requeue made needless are dropped again. Nothing when even that would not make room: a job is
 * never interrupted for nothing.
 */
public final class Preemptions {

    /**
     * A running job: its spec, when it was submitted, the nodes it holds (its world size is their
     * number) and whether it can be requeued (every rank can checkpoint on request).
     */
    public record Running(String jobId, JobSpec spec, Instant submittedAt, List<NodeRecord> nodes, boolean requeueable) {
        public Running(String jobId, JobSpec spec, Instant submittedAt, List<NodeRecord> nodes) {
            this(jobId, spec, submittedAt, nodes, false);
        }
    }

    /** Give these nodes of this job back; {@code whole}: all of them, the job is requeued. */
    public record Take(String jobId, List<String> nodeIds, boolean whole) {
        public Take(String jobId, List<String> nodeIds) {
            this(jobId, nodeIds, false);
        }
    }

    private Preemptions() {}

    /** {@code freeFitting}: free nodes the waiting job can use already. */
    public static List<Take> plan(JobSpec waiting, int freeFitting, List<Running> running) {
        return plan(waiting, freeFitting, running, PoolRisks.NONE);
    }

    /** As above; a node of a Spot pool riskier than the waiting job allows ({@code risks}) is of no use to it. */
    public static List<Take> plan(JobSpec waiting, int freeFitting, List<Running> running, PoolRisks risks) {
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
            var usable = r.nodes().stream().filter(n -> GangScheduler.fits(waiting.spec(), n, risks))
                    .sorted(Comparator.comparing(NodeRecord::nodeId, Comparator.comparingInt(String::length).thenComparing(Comparator.naturalOrder()))
                            .reversed())
                    .map(NodeRecord::nodeId).limit(Math.min(spare, need)).toList();
            if (usable.isEmpty()) continue;
            takes.add(new Take(r.jobId(), usable));
            need -= usable.size();
        }
        if (need == 0) return List.copyOf(takes);
        // shrinking is not enough: requeue whole jobs (a job that shrank gives back the rest too)
        var whole = new ArrayList<Take>();
        var usableOf = new HashMap<String, Integer>();
        for (Running r : victims) {
            if (need <= 0) break;
            if (!r.requeueable()) continue;
            long usable = r.nodes().stream().filter(n -> GangScheduler.fits(waiting.spec(), n, risks)).count();
            if (usable == 0) continue;
            var shrunk = takes.stream().filter(t -> t.jobId().equals(r.jobId())).findFirst();
            if (shrunk.isPresent()) {
                takes.remove(shrunk.get());
                need += shrunk.get().nodeIds().size();
            }
            whole.add(new Take(r.jobId(), r.nodes().stream().map(NodeRecord::nodeId).toList(), true));
            usableOf.put(r.jobId(), (int) usable);
            need -= (int) usable;
        }
        if (need > 0) return List.of();
        // a later, larger requeue may have made an earlier one needless: it stays running
        for (int i = 0; i < whole.size(); i++) {
            int usable = usableOf.get(whole.get(i).jobId());
            if (need + usable <= 0) {
                need += usable;
                whole.remove(i--);
            }
        }
        // and the room to spare spares shrinks too, the last planned first (the higher priority, the older)
        for (int i = takes.size() - 1; i >= 0; i--) {
            int size = takes.get(i).nodeIds().size();
            if (need + size <= 0) {
                need += size;
                takes.remove(i);
            }
        }
        var all = new ArrayList<>(takes);
        all.addAll(whole);
        return List.copyOf(all);
    }
}
