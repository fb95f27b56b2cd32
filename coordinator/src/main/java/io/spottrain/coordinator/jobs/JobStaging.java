package io.spottrain.coordinator.jobs;

import io.spottrain.protocol.wire.AgentProtocol;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.apache.pekko.actor.typed.Behavior;

/**
 * Staged newcomers (training contract v2). When a recovery begins and every rank that stays can
 * re-form in place, free nodes that fit are reserved for the job's next generation and a process
 * is started on each ahead of time ({@code StartGeneration} with {@code standby}: restored from a
 * survivor's tier, parked), so the next generation waits for a re-form, not for a process start
 * (JVM, Python, {@code import torch}, model build). At the close the reserved nodes are released
 * with the generation's and preferred right after the survivors; staged processes the next
 * generation does not take are stopped. Kept in memory: after a hand-over a staged process stops on
 * its own (the agent's park timeout) and its node is free again.
 */
final class JobStaging {
    private final JobHandlers h;
    /** Ranks of the current generation that said they can re-form in place. */
    private final Set<Integer> reformable = new HashSet<>();
    private final List<JobMaster.Assignment> reserved = new ArrayList<>();
    private final Set<String> ready = new HashSet<>();
    private long stagedFor = -1;
    /** A notice-window swap waits for its staged newcomer to be ready (then the recovery begins). */
    private String swapWaiting;

    JobStaging(JobHandlers h) {
        this.h = h;
    }

    void attached(AgentProtocol.RankAttached a) {
        if (a.reformable()) reformable.add(a.rank());
    }

    /** A recovery began: ask for nodes to stage when every rank that stays can re-form in place and the job has room. */
    void recoveryBegun(Job job) {
        var rec = job.elastic().recovery();
        if (rec == null) return;
        var departing = rec.departing();
        reserve(job, job.members().stream().filter(m -> rec.survivors().contains(m.rank()) && !departing.contains(m.nodeId())).toList());
    }

    /**
     * The notice window: a replacement is free while {@code node} trains on under notice. Stage the
     * newcomer first and swap once it is ready ({@link #onStaged}); false when nothing can be
     * staged (the swap begins now).
     */
    boolean stageForSwap(Job job, String node) {
        if (!reserve(job, job.members().stream().filter(m -> !m.nodeId().equals(node)).toList())) return false;
        swapWaiting = node;
        return true;
    }

    private boolean reserve(Job job, List<Member> staying) {
        if (!reserved.isEmpty() || stagedFor == job.generation() + 1) return false;
        int room = job.spec().spec().workers().max() - staying.size();
        if (staying.isEmpty() || room <= 0 || !staying.stream().allMatch(m -> reformable.contains(m.rank()))) return false;
        stagedFor = job.generation() + 1;
        h.deps.manager().tell(new JobManager.Reserve(job.id(), job.spec(), room));
        return true;
    }

    /** A staged newcomer is ready; a swap that waited for it begins now. */
    Behavior<JobMaster.Command> onStaged(AgentProtocol.RankStaged s) {
        if (s.generation() != stagedFor) return h.unchanged();
        ready.add(s.nodeId());
        if (swapWaiting != null && job().state() == JobState.RUNNING && ready.containsAll(reservedIds()) && !reserved.isEmpty()) {
            String node = swapWaiting;
            swapWaiting = null;
            h.log.info("job {}: the staged replacement is ready: swapping out {}", job().id(), node);
            return h.recoveries.swapNow(node);
        }
        return h.unchanged();
    }

    private Job job() {
        return h.job();
    }

    /** Nodes reserved for the next generation: a process is staged on each (or they go back when no longer needed). */
    Behavior<JobMaster.Command> onReserved(JobMaster.Reserved r) {
        Job job = h.job();
        if (r.nodes().isEmpty()) {
            stagedFor = -1;
            if (swapWaiting != null) { // nothing free to stage on any more: swap now
                String node = swapWaiting;
                swapWaiting = null;
                return h.recoveries.swapNow(node);
            }
            return h.unchanged();
        }
        boolean swapping = swapWaiting != null && job.state() == JobState.RUNNING;
        if (!swapping && (job.state() != JobState.RECOVERING || job.elastic().recovery() == null) || job.generation() + 1 != stagedFor) {
            h.deps.manager().tell(new JobManager.ReleaseNodes(job.id(), ids(r.nodes())));
            if (swapping) return h.recoveries.swapNow(swapWaiting); // nothing to stage on: swap without
            return h.unchanged();
        }
        var rec = job.elastic().recovery();
        var members = job.members().stream().filter(m -> rec == null ? !m.nodeId().equals(swapWaiting)
                : rec.survivors().contains(m.rank()) && !rec.departing().contains(m.nodeId())).toList();
        var ranks = members.stream().map(Member::rank).toList();
        long step = job.training().newestCommonStep(job.generation(), ranks, job.elastic().resumeStep());
        var peers = members.stream().map(m -> h.peerUrls.get(m.nodeId())).filter(Objects::nonNull).toList();
        var digests = h.peerDigests(job, step, null);
        var spec = job.spec().spec();
        for (var a : r.nodes()) {
            reserved.add(a);
            a.agent().tell(new AgentProtocol.StartGeneration(job.id(), stagedFor, 0, 1, a.info().host(), 0, step,
                    spec.checkpoint().intervalSteps(), spec.checkpoint().keep(), spec.checkpoint().remote(), peers, digests, spec.argv(),
                    spec.env(), spec.secrets(), spec.workingDir(), h.deps.reports(), true));
        }
        h.log.info("job {}: staging a process for generation {} on {} (from step {})", job.id(), stagedFor, ids(r.nodes()), step);
        return h.unchanged();
    }

    /** Reserved nodes, released with the generation's nodes at its close and preferred after the survivors. */
    List<String> reservedIds() {
        return ids(reserved);
    }

    /** The next generation is placed: staged processes it did not take stop (their nodes were released at the close). */
    void placed(Job next, List<String> placed) {
        for (var a : reserved) {
            if (!placed.contains(a.info().nodeId())) {
                a.agent().tell(new AgentProtocol.StopGeneration(next.id(), stagedFor, "not needed in generation " + next.generation()));
            }
        }
        reserved.clear();
        ready.clear();
        reformable.clear();
        stagedFor = -1;
        swapWaiting = null;
    }

    /** The job ended: staged processes stop; returns their nodes, to go back with the job's. */
    List<String> ended(Job job) {
        for (var a : reserved) a.agent().tell(new AgentProtocol.StopGeneration(job.id(), stagedFor, "the job ended"));
        var ids = ids(reserved);
        reserved.clear();
        ready.clear();
        swapWaiting = null;
        return ids;
    }

    private static List<String> ids(List<JobMaster.Assignment> nodes) {
        return nodes.stream().map(a -> a.info().nodeId()).toList();
    }
}
