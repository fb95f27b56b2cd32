package io.spottrain.coordinator.jobs;

import org.apache.pekko.actor.typed.Behavior;

/**
 * The node side of a {@link JobMaster}: a node of the job registering (again) with what its ranks
 * did while nobody listened, a node that never came back after a hand-over, reachability, and the
 * replacement launches the manager reports.
 */
final class JobNodes {
    private final JobHandlers h;

    JobNodes(JobHandlers h) {
        this.h = h;
    }

    Behavior<JobMaster.Command> onNodeRegistered(JobMaster.NodeRegistered r) {
        String nodeId = r.node().nodeId();
        h.agents.put(nodeId, r.agent());
        if (r.node().peerUrl() != null) h.peerUrls.put(nodeId, r.node().peerUrl());
        var member = h.job().memberOn(nodeId);
        if (member.isEmpty() || !h.job().inProgress()) return h.unchanged();
        var replay = JobReattach.replay(h.job(), member.get(), r.ranks());
        // replayed as messages, in order, after this one; then what a recovery still misses is asked again
        replay.forEach(x -> h.self().tell(new JobMaster.Reported(x)));
        h.self().tell(new JobMaster.ResumeRecoveryOn(nodeId));
        if (replay.isEmpty()) return h.unchanged();
        Job next = h.job().withEvent(JobEventType.RANK_REATTACHED, nodeId, member.get().rank(), "applying " + replay.stream()
                .map(x -> x.getClass().getSimpleName()).toList() + " reported while no job manager listened", h.now());
        return h.done(next);
    }

    /** A node came back to a job manager that took over mid-recovery: ask it again for what the recovery still needs. */
    Behavior<JobMaster.Command> onResumeRecoveryOn(JobMaster.ResumeRecoveryOn r) {
        var agent = h.agents.get(r.nodeId());
        var member = h.job().memberOn(r.nodeId());
        if (agent != null && member.isPresent()) JobReattach.stillNeeded(h.job(), member.get()).ifPresent(agent::tell);
        return h.unchanged();
    }

    Behavior<JobMaster.Command> onReattachTimeout(JobMaster.ReattachTimedOut t) {
        if (t.generation() != h.job().generation() || !h.job().inProgress()) return h.unchanged();
        var missing = h.job().members().stream().filter(m -> !h.agents.containsKey(m.nodeId()) && m.exitCode() == null).toList();
        Behavior<JobMaster.Command> b = h.unchanged();
        for (Member m : missing) {
            b = h.recoveries.onNodeLost(m.nodeId(), "did not register with the new job manager within "
                    + h.deps.settings().reattachGrace().toSeconds() + "s");
        }
        return b;
    }

    Behavior<JobMaster.Command> onNodeUnreachable(JobMaster.NodeUnreachable u) {
        var m = h.job().memberOn(u.nodeId());
        if (m.isEmpty() || !h.job().inProgress()) return h.unchanged();
        return h.done(h.job().withEvent(JobEventType.NODE_UNREACHABLE, u.nodeId(), m.get().rank(), "no heartbeat", h.now()));
    }

    Behavior<JobMaster.Command> onReplacementLaunched(JobMaster.ReplacementLaunched r) {
        String why = h.scaling.launchedForResize(r.departed()) ? "for the resize to " + h.job().targetWorkers() + " workers, like "
                + r.departed() : "replacing " + r.departed();
        return h.done(h.job().withEvent(JobEventType.REPLACEMENT_LAUNCHED, r.nodeId(), -1, why + " (" + r.what() + ")", h.now()));
    }

    Behavior<JobMaster.Command> onReplacementFailed(JobMaster.ReplacementFailed r) {
        if (r.gaveUp()) {
            h.capacity.gaveUp(r.departed());
            h.scaling.launchedForResize(r.departed()); // no longer coming
        }
        return h.done(h.job().withEvent(JobEventType.REPLACEMENT_FAILED, r.departed(), -1, "replacing " + r.departed() + ": " + r.error()
                + (r.gaveUp() ? " (gave up)" : " (will retry)"), h.now()));
    }
}
