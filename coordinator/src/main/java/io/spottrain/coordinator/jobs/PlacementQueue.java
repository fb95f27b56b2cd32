package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.autoscale.FleetView;
import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.coordinator.scheduling.GangScheduler;
import io.spottrain.coordinator.scheduling.Placement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Jobs waiting for nodes, and the order they get them: jobs resuming after a recovery first
 * (their survivors wait, idle), then by priority, then by submission. Not thread-safe: the job
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

    void remove(String jobId) {
        waiting.remove(jobId);
        reasons.remove(jobId);
    }

    private List<JobManager.WantsNodes> order() {
        return waiting.values().stream().sorted(Comparator.comparing((JobManager.WantsNodes w) -> w.resumeStep() < 0)
                .thenComparingInt(w -> -w.spec().spec().priority()).thenComparing(JobManager.WantsNodes::submittedAt)).toList();
    }

    /** The waiting jobs in placement order, as the autoscaler counts them: each needs its min workers. */
    List<FleetView.Waiting> waiting() {
        return order().stream().map(w -> new FleetView.Waiting(w.jobId(), w.spec().spec().workers().min(),
                w.spec().spec().workers().gpusPerWorker(), w.spec().spec().placement().market())).toList();
    }

    boolean isEmpty() {
        return waiting.isEmpty();
    }

    int size() {
        return waiting.size();
    }

    /**
     * Places what fits on {@code free}, in order; each placed job's nodes are taken out before the
     * next is tried. Returns the placements and the changed wait reasons; placed jobs leave the queue.
     */
    List<Outcome> next(List<NodeRecord> free) {
        var out = new ArrayList<Outcome>();
        var left = new ArrayList<>(free);
        for (var w : order()) {
            Placement p = GangScheduler.place(w.spec(), left, w.preferred());
            if (p.placed()) {
                left.removeIf(n -> p.nodeIds().contains(n.nodeId()));
                remove(w.jobId());
                out.add(new Outcome(w, p, null));
            } else {
                String reason = (w.resumeStep() < 0 ? "waiting for capacity: " : "waiting for capacity to resume from step "
                        + w.resumeStep() + ": ") + p.waitReason();
                if (!Objects.equals(reasons.put(w.jobId(), reason), reason)) out.add(new Outcome(w, p, reason));
            }
        }
        return out;
    }
}
