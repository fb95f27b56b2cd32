package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.coordinator.membership.NodeState;
import io.spottrain.coordinator.scheduling.GangScheduler;
import io.spottrain.coordinator.scheduling.Preemptions;
import io.spottrain.protocol.spec.PriorityClass;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.slf4j.Logger;

/**
 * The job manager's side of priority preemption: after each placement round, a waiting job of a
 * higher priority class than some running job asks those jobs to give nodes back
 * ({@link Preemptions}, pure; each victim shrinks through a checkpoint, {@link RecoveryKind#SHRINK},
 * or, where shrinking is not enough, is requeued whole after one, {@link RecoveryKind#REQUEUE}),
 * at most once per 30 s per waiting job (a shrink takes a few seconds; the freed nodes are placed
 * by the next round, the waiting job ahead of the victims' growth). Not thread-safe: the job manager's.
 */
final class ManagerPreemption {
    private static final Duration AGAIN_AFTER = Duration.ofSeconds(30);
    /** How long the nodes a waiting job's preemptions give back may take before it plans again (a victim that refused or hung). */
    private static final Duration PROMISE_MAX = Duration.ofMinutes(3);

    /** A job master says whether its job can be requeued now (running, every rank attached) or no longer. */
    record Requeueable(String jobId, boolean can) implements JobManager.Command {}

    private final Map<String, Instant> asked = new HashMap<>();
    /** Per waiting job, the nodes its preemptions are giving back and still hold (a checkpoint may take minutes): not planned twice. */
    private final Map<String, Set<String>> promised = new HashMap<>();
    /** Jobs that can be requeued now (their masters say so as it changes; the manager's copies of jobs are as submitted). */
    private final Set<String> requeueable = new HashSet<>();
    private final Logger log;

    ManagerPreemption(Logger log) {
        this.log = log;
    }

    boolean requeueable(String jobId) {
        return requeueable.contains(jobId);
    }

    /**
     * A job became requeueable (or no longer is). One that just became so may be what a waiting job
     * of a higher class was short of (it was planned without it): {@code reschedule} runs the
     * placement round again, which considers preemption anew.
     */
    <T> Behavior<T> onRequeueable(Requeueable r, Runnable reschedule, Behavior<T> same) {
        if (!r.can()) {
            requeueable.remove(r.jobId());
        } else if (requeueable.add(r.jobId())) {
            reschedule.run();
        }
        return same;
    }

    void consider(List<JobManager.WantsNodes> waiting, WorkerNodes nodes, Map<String, Job> jobs, Map<String, ActorRef<JobMaster.Command>> masters,
            Instant now) {
        asked.keySet().retainAll(waiting.stream().map(JobManager.WantsNodes::jobId).toList());
        promised.keySet().retainAll(asked.keySet());
        if (waiting.isEmpty()) return;
        var assigned = new HashSet<String>();
        for (NodeRecord n : nodes.all()) if (n.jobId() != null) assigned.add(n.nodeId());
        // the running jobs and their nodes, once; nothing to do unless some waiting job outranks one of them
        var byJob = new LinkedHashMap<String, List<NodeRecord>>();
        // only nodes running a rank (not those under notice, unreachable, or reserved while free)
        for (NodeRecord n : nodes.all()) {
            if (n.jobId() != null && n.state() == NodeState.BUSY) byJob.computeIfAbsent(n.jobId(), k -> new ArrayList<>()).add(n);
        }
        var running = new ArrayList<Preemptions.Running>();
        byJob.forEach((id, held) -> {
            Job j = jobs.get(id);
            if (j != null && waiting.stream().noneMatch(w -> w.jobId().equals(id))) {
                running.add(new Preemptions.Running(id, j.spec(), Instant.parse(j.submittedAt()), held, requeueable.contains(id)));
            }
        });
        int lowest = running.stream().mapToInt(r -> PriorityClass.of(r.spec().spec().priority()).ordinal()).min().orElse(Integer.MAX_VALUE);
        for (var w : waiting) {
            if (PriorityClass.of(w.spec().spec().priority()).ordinal() <= lowest) continue;
            Instant last = asked.get(w.jobId());
            var coming = promised.get(w.jobId());
            if (coming != null) {
                coming.retainAll(assigned); // freed, or gone
                if (!coming.isEmpty() && now.isBefore(last.plus(PROMISE_MAX))) continue; // still on their way: no second victim
                promised.remove(w.jobId());
            }
            if (last != null && now.isBefore(last.plus(AGAIN_AFTER))) continue;
            var risks = nodes.risks(now);
            int freeFitting = GangScheduler.fitting(w.spec(), nodes.free(), risks).size();
            var takes = Preemptions.plan(w.spec(), freeFitting, running, risks);
            if (takes.isEmpty()) continue;
            asked.put(w.jobId(), now);
            var promise = new HashSet<String>();
            takes.forEach(t -> promise.addAll(t.nodeIds()));
            promised.put(w.jobId(), promise);
            taken(running, takes); // a second waiting job this round does not plan on the same nodes
            for (var t : takes) {
                var master = masters.get(t.jobId());
                if (master == null) continue;
                String why = "job " + w.jobId() + " (priority " + PriorityClass.of(w.spec().spec().priority()).label() + ") waits for "
                        + w.spec().spec().workers().min() + " node(s)";
                if (t.whole()) {
                    log.info("preempting: job {} is requeued (gives back {}) for {}", t.jobId(), t.nodeIds(), why);
                    master.tell(new JobMaster.Requeue(why));
                } else {
                    log.info("preempting: job {} gives back {} for {}", t.jobId(), t.nodeIds(), why);
                    master.tell(new JobMaster.Shrink(t.nodeIds(), why));
                }
            }
        }
    }

    /** The running jobs as they are once {@code takes} are done: a requeued job gone, a shrunk one without its given-back nodes. */
    private static void taken(List<Preemptions.Running> running, List<Preemptions.Take> takes) {
        for (var t : takes) {
            for (int i = 0; i < running.size(); i++) {
                var r = running.get(i);
                if (!r.jobId().equals(t.jobId())) continue;
                if (t.whole()) {
                    running.remove(i);
                } else {
                    running.set(i, new Preemptions.Running(r.jobId(), r.spec(), r.submittedAt(),
                            r.nodes().stream().filter(n -> !t.nodeIds().contains(n.nodeId())).toList(), false));
                }
                break;
            }
        }
    }
}
