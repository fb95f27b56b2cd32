package io.spottrain.coordinator.jobs;

import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.spec.ScaleUp;
import java.util.Comparator;
import java.util.List;

/**
 * Live resize as pure decisions (Nomad's scale API): an operator asks a job for {@code workers}
 * workers; the answer is a refusal naming the bound or the change in flight, no change, a new
 * desired count only, a shrink (which nodes go), or a growth (how many more).
 */
public final class ScalingPolicy {
    private ScalingPolicy() {}

    public sealed interface Verdict permits Refuse, Unchanged, SetDesired, Shrink, Grow {}

    /** Nothing changes; {@code refusal} is the HTTP answer. */
    public record Refuse(Outcome.Refusal refusal, String why) implements Verdict {}

    /** The job already runs and wants exactly that many. */
    public record Unchanged() implements Verdict {}

    /** Only the desired count changes (a pending job is placed on at most that many; a running one stops growing there). */
    public record SetDesired() implements Verdict {}

    /** Give these nodes back at the next common step (a {@link RecoveryKind#SHRINK}). */
    public record Shrink(List<String> nodeIds) implements Verdict {}

    /** Grow by {@code more} workers beyond those already coming: free nodes that fit are taken, the rest asked of the launcher. */
    public record Grow(int more) implements Verdict {}

    /**
     * @param expectedGeneration the generation the operator saw (null: no check)
     * @param busy               why a change of the running generation is already under way (newcomers being staged, a
     *                           notice window), or null
     */
    public static Verdict decide(Job job, int workers, Long expectedGeneration, String busy) {
        return decide(job, workers, expectedGeneration, busy, 0);
    }

    /** As above; {@code launching}: nodes an earlier accepted request asked the launcher for that have not joined yet. */
    public static Verdict decide(Job job, int workers, Long expectedGeneration, String busy, int launching) {
        var w = job.spec().spec().workers();
        if (job.state().terminal()) return new Refuse(Outcome.Refusal.CONFLICT, "job " + job.id() + " already ended " + job.state());
        if (workers < w.min()) {
            return new Refuse(Outcome.Refusal.UNFIT, "workers " + workers + " is below the job's minimum: spec.workers.min is " + w.min());
        }
        if (workers > w.max()) {
            return new Refuse(Outcome.Refusal.UNFIT, "workers " + workers + " is above the job's maximum: spec.workers.max is " + w.max());
        }
        if (expectedGeneration != null && expectedGeneration != job.generation()) {
            return new Refuse(Outcome.Refusal.CONFLICT, "the job is at generation " + job.generation() + ", not the expected "
                    + expectedGeneration + ": look again and retry");
        }
        switch (job.state()) {
            case PENDING -> {
                return job.targetWorkers() == workers ? new Unchanged() : new SetDesired();
            }
            case STARTING -> {
                return new Refuse(Outcome.Refusal.CONFLICT, "generation " + job.generation() + " is forming: retry once it is RUNNING");
            }
            case RECOVERING -> {
                var rec = job.elastic().recovery();
                // its generation closed and it waits for nodes (below min, requeued, held by a budget): like a pending job
                if (rec == null) return job.targetWorkers() == workers ? new Unchanged() : new SetDesired();
                return new Refuse(Outcome.Refusal.CONFLICT, "a generation change is in flight (" + (rec != null ? rec.kind().label()
                        + " recovery of generation " + job.generation() : job.pendingReason()) + "): retry once the job is RUNNING");
            }
            default -> { // RUNNING
            }
        }
        if (busy != null) return new Refuse(Outcome.Refusal.CONFLICT, busy + ": retry once it is done");
        int size = job.worldSize();
        if (workers == size) return job.targetWorkers() == workers ? new Unchanged() : new SetDesired();
        if (workers > size) {
            if (job.spec().spec().elastic().scaleUp() == ScaleUp.NEVER) {
                return new Refuse(Outcome.Refusal.UNFIT, "the job never grows: spec.elastic.scaleUp is never");
            }
            // nodes an earlier accepted request asked the launcher for, still to come, are not asked for again
            Integer desired = job.scaling().desired();
            int coming = desired != null && desired > size ? Math.min(desired - size, launching) : 0;
            int more = workers - size - coming;
            if (more > 0) return new Grow(more);
            return desired != null && desired == workers ? new Unchanged() : new SetDesired();
        }
        var nodes = giveBack(job.members(), size - workers);
        String refusal = ElasticPolicy.shrinkRefusal(job, nodes);
        if (refusal != null) return new Refuse(Outcome.Refusal.CONFLICT, "cannot shrink now: " + refusal);
        return new Shrink(nodes);
    }

    /**
     * The member a node launched for a growth is like: the cheapest to launch (Spot, then on-demand; reserved last: a
     * commitment is bounded, its pool launches through the autoscaler), the lowest rank among equals.
     */
    static String template(List<Member> members) {
        return members.stream().min(Comparator.comparing((Member m) -> m.market() == NodeMarket.RESERVED ? 3 : m.market().preference())
                .thenComparingDouble(Member::pricePerHour).thenComparingInt(Member::rank)).orElseThrow().nodeId();
    }

    /**
     * The {@code n} nodes to give back: the dearest first (on-demand, then Spot, reserved last: giving it back saves
     * nothing), then by price, then the highest rank.
     */
    static List<String> giveBack(List<Member> members, int n) {
        return members.stream()
                .sorted(Comparator.comparing((Member m) -> -m.market().preference())
                        .thenComparing(Comparator.comparingDouble(Member::pricePerHour).reversed())
                        .thenComparing(Comparator.comparingInt(Member::rank).reversed()))
                .limit(n).map(Member::nodeId).toList();
    }
}
