package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.autoscale.FleetView;
import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.coordinator.scheduling.GangScheduler;
import io.spottrain.coordinator.scheduling.Placement;
import io.spottrain.coordinator.scheduling.PoolRisks;
import io.spottrain.protocol.spec.GpuCatalog;
import io.spottrain.protocol.spec.JobSpec;
import io.spottrain.protocol.spec.PriorityClass;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Jobs waiting for nodes, and the order they get them: jobs resuming after a recovery first
 * (their survivors wait, idle; not a requeued job, which holds nothing), then by priority, then by
 * submission. Not thread-safe: the job
 * manager's. {@link #next} is a pure step over the free nodes.
 */
final class PlacementQueue {

    /** One decision: the job is placed on these nodes, or waits for this reason (null: unchanged). */
    record Outcome(JobManager.WantsNodes job, Placement placement, String waitReason) {}

    private final Map<String, JobManager.WantsNodes> waiting = new LinkedHashMap<>();
    private final Map<String, String> reasons = new HashMap<>();

    void add(JobManager.WantsNodes w) {
        waiting.put(w.jobId(), w);
    }

    /** The job's desired worker count changed: its waiting request (if any) asks for no more than {@code desired} (null: its max). */
    void capAt(String jobId, Integer desired) {
        waiting.computeIfPresent(jobId, (id, w) -> new JobManager.WantsNodes(w.jobId(), w.spec(), w.preferred(), w.resumeStep(),
                w.submittedAt(), desired == null ? 0 : desired, w.requeued()));
    }

    void remove(String jobId) {
        waiting.remove(jobId);
        reasons.remove(jobId);
    }

    private List<JobManager.WantsNodes> order() {
        return waiting.values().stream().sorted(Comparator.comparing((JobManager.WantsNodes w) -> !resumesFirst(w))
                .thenComparingInt(w -> -w.spec().spec().priority()).thenComparing(JobManager.WantsNodes::submittedAt)).toList();
    }

    /** The waiting jobs' requests in placement order. */
    List<JobManager.WantsNodes> requests() {
        return order();
    }

    /** The waiting jobs in placement order, as the autoscaler counts them: each needs its min workers. */
    List<FleetView.Waiting> waiting(PoolRisks risks) {
        return order().stream().map(w -> {
            var spec = w.spec().spec();
            var p = spec.placement();
            double max = p.maxInterruptRisk();
            boolean tooRisky = max > 0 && risks.noPoolWithin(max, (type, gpus) -> gpus >= spec.workers().gpusPerWorker()
                    && (p.instanceTypes().isEmpty() || p.instanceTypes().contains(type)) && GpuCatalog.satisfies(type, p.gpuModels(), p.minGpuMemoryGiB()));
            return new FleetView.Waiting(w.jobId(), spec.workers().min(), spec.workers().gpusPerWorker(), p.market(), p.instanceTypes(),
                    p.gpuModels(), p.minGpuMemoryGiB(), max, tooRisky);
        }).toList();
    }

    boolean isEmpty() {
        return waiting.isEmpty();
    }

    int size() {
        return waiting.size();
    }

    /** Without fair-share information: every team holds nothing; nothing is held back. */
    List<Outcome> next(List<NodeRecord> free) {
        return next(free, Map.of(), id -> null);
    }

    /** Without interruption risks (every Spot pool's is 0). */
    List<Outcome> next(List<NodeRecord> free, Map<String, Integer> held, Function<String, String> holdReason) {
        return next(free, held, holdReason, PoolRisks.NONE);
    }

    /**
     * Places what fits on {@code free}, in order; each placed job's nodes are taken out before the
     * next is tried. Within a priority, the team (label {@code team}) holding the fewest GPUs goes
     * first ({@code held}: GPUs per team now), and what a team is given here counts at once, so two
     * teams alternate instead of the older team's queue going first entirely. Returns the
     * placements and the changed wait reasons; placed jobs leave the queue. A job
     * {@code holdReason} names a reason for (a budget holds it) is placed on nothing and waits
     * with that reason. {@code risks}: the Spot pools' interruption risks ({@code spec.placement.maxInterruptRisk}).
     */
    List<Outcome> next(List<NodeRecord> free, Map<String, Integer> held, Function<String, String> holdReason, PoolRisks risks) {
        var out = new ArrayList<Outcome>();
        var left = new ArrayList<>(free);
        var usage = new HashMap<>(held);
        var pending = new ArrayList<>(order());
        JobManager.WantsNodes blocked = null; // the highest-priority job this round could not place
        while (!pending.isEmpty()) {
            var w = pending.stream().min(Comparator.comparing((JobManager.WantsNodes x) -> !resumesFirst(x))
                    .thenComparingInt(x -> -x.spec().spec().priority())
                    .thenComparingInt(x -> usage.getOrDefault(team(x.spec()), 0))
                    .thenComparing(JobManager.WantsNodes::submittedAt)).orElseThrow();
            pending.remove(w);
            String hold = holdReason.apply(w.jobId());
            if (hold == null && w.requeued() && blocked != null
                    && PriorityClass.of(blocked.spec().spec().priority()).compareTo(PriorityClass.of(w.spec().spec().priority())) > 0) {
                // it stepped aside for a job of a higher class: not back onto the nodes it gave up while that one still waits
                hold = "requeued: waits while job " + blocked.jobId() + " of a higher priority class waits for nodes";
            }
            if (hold != null) {
                if (!Objects.equals(reasons.put(w.jobId(), hold), hold)) out.add(new Outcome(w, Placement.waitFor(hold), hold));
                continue;
            }
            Placement p = GangScheduler.place(w.spec(), left, w.preferred(), w.atMost(), risks);
            if (p.placed()) {
                left.removeIf(n -> p.nodeIds().contains(n.nodeId()));
                remove(w.jobId());
                usage.merge(team(w.spec()), p.nodeIds().size() * Math.max(1, w.spec().spec().workers().gpusPerWorker()), Integer::sum);
                out.add(new Outcome(w, p, null));
            } else {
                if (blocked == null || PriorityClass.of(w.spec().spec().priority()).compareTo(PriorityClass.of(blocked.spec().spec().priority())) > 0) {
                    blocked = w;
                }
                String reason = (w.resumeStep() < 0 ? "waiting for capacity: " : "waiting for capacity to resume from step "
                        + w.resumeStep() + ": ") + p.waitReason();
                if (!Objects.equals(reasons.put(w.jobId(), reason), reason)) out.add(new Outcome(w, p, reason));
            }
        }
        return out;
    }

    /** Resuming with survivors that wait idle (not a requeued job: it holds nothing): placed before every other waiting job. */
    static boolean resumesFirst(JobManager.WantsNodes w) {
        return w.resumeStep() >= 0 && !w.requeued();
    }

    /** GPUs each team's jobs hold now, from the nodes assigned per job. */
    static Map<String, Integer> heldByTeam(Map<String, Long> assigned, Map<String, Job> jobs) {
        var held = new HashMap<String, Integer>();
        assigned.forEach((jobId, n) -> {
            var job = jobs.get(jobId);
            if (job != null) held.merge(team(job.spec()), (int) (n * Math.max(1, job.spec().spec().workers().gpusPerWorker())), Integer::sum);
        });
        return held;
    }

    /** A job's team for fair share: its {@code team} label; jobs without one share one team. */
    static String team(JobSpec spec) {
        return spec.metadata().labels().getOrDefault("team", "");
    }
}
