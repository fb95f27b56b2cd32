package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.metrics.ControlMetrics.RendezvousPort;
import io.spottrain.protocol.wire.AgentProtocol;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.pekko.actor.typed.Behavior;

/**
 * Forming a generation: its placement (held, stored with the rendezvous), the rendezvous port from
 * rank 0's agent, the start of every rank (each held until the last one's, which makes it RUNNING),
 * and the time-outs that fail a generation that does not form.
 */
final class JobForming {
    private final JobHandlers h;

    JobForming(JobHandlers h) {
        this.h = h;
    }

    Behavior<JobMaster.Command> onPlaced(JobMaster.Placed p) {
        if (h.job().state() == JobState.RECOVERING && h.job().elastic().recovery() != null) return onPlacedTooLate(p);
        h.capacity.placed();
        var members = new ArrayList<Member>();
        for (int r = 0; r < p.nodes().size(); r++) {
            var info = p.nodes().get(r).info();
            members.add(Member.assigned(r, info.nodeId(), info.market(), info.pricePerHour(), info.onDemandPricePerHour()));
            h.agents.put(info.nodeId(), p.nodes().get(r).agent());
            if (info.peerUrl() != null) h.peerUrls.put(info.nodeId(), info.peerUrl());
        }
        h.timers.cancel(new JobMaster.RecoveryTimedOut(h.job().generation()));
        Job next = h.job().startGeneration(members, h.now());
        h.staging.placed(next, members.stream().map(Member::nodeId).toList());
        h.log.info("job {} generation {} on {}", next.id(), next.generation(), members.stream().map(Member::nodeId).toList());
        var rank0 = p.nodes().get(0);
        h.metrics().rendezvous(rank0.rendezvousPort() > 0 ? RendezvousPort.OFFERED : RendezvousPort.ASKED);
        if (rank0.rendezvousPort() > 0) {
            // the port rank 0's agent offered with its heartbeats: no round trip to ask for one; the placement and the
            // rendezvous are one write, and the ranks start once it is stored
            return rendezvous(next, rank0.info().nodeId(), rank0.info().host(), rank0.rendezvousPort());
        }
        // asking for a port changes nothing on the agent: it goes out now, overlapping the write that opens the generation
        // (the ranks start only once that write and the rendezvous are stored)
        var ask = new AgentProtocol.AllocatePort(next.id(), next.generation(), h.deps.reports());
        var agent0 = h.agents.get(members.get(0).nodeId());
        if (!h.outbox.stored()) h.after(() -> agent0.tell(ask)); // a job not stored yet asks nothing of an agent
        else agent0.tell(ask);
        h.timers.startSingleTimer(new JobMaster.PortTimedOut(next.generation()), h.deps.settings().portAllocationTimeout());
        return h.held(next); // stored with the rendezvous: the ranks start only once both are
    }

    /** Nodes placed for a job that no longer needs them go back. */
    Behavior<JobMaster.Command> onPlacedTooLate(JobMaster.Placed p) {
        var ids = p.nodes().stream().map(a -> a.info().nodeId()).toList();
        h.deps.manager().tell(new JobManager.ReleaseNodes(h.job().id(), ids));
        return h.unchanged();
    }

    Behavior<JobMaster.Command> onPortAllocated(AgentProtocol.PortAllocated p) {
        if (!h.current(p) || h.job().masterPort() != 0) return h.unchanged();
        h.timers.cancel(new JobMaster.PortTimedOut(h.job().generation()));
        return rendezvous(h.job(), p.nodeId(), p.host(), p.port());
    }

    /** The generation's rendezvous is rank 0's {@code host:port}: stored, and then every rank is started. */
    private Behavior<JobMaster.Command> rendezvous(Job placed, String nodeId, String host, int port) {
        Job ready = placed.withRendezvous(host, port)
                .withEvent(JobEventType.RENDEZVOUS, nodeId, 0, "MASTER_ADDR=" + host + " MASTER_PORT=" + port, h.now());
        var spec = ready.spec().spec();
        for (Member m : ready.members()) {
            var agent = h.agents.get(m.nodeId());
            if (agent == null) continue; // its loss is handled when the manager reports it
            List<String> peers = ready.members().stream().filter(o -> !o.nodeId().equals(m.nodeId())).map(o -> h.peerUrls.get(o.nodeId()))
                    .filter(Objects::nonNull).toList();
            var start = new AgentProtocol.StartGeneration(ready.id(), ready.generation(), m.rank(), ready.worldSize(), host, port,
                    ready.elastic().resumeStep(), spec.checkpoint().intervalSteps(), spec.checkpoint().keep(), spec.checkpoint().remote(),
                    peers, peerDigests(ready, m.nodeId()), spec.argv(), spec.env(), spec.secrets(), spec.workingDir(), h.deps.reports());
            h.after(() -> agent.tell(start));
        }
        h.timers.startSingleTimer(new JobMaster.StartTimedOut(ready.generation()), h.deps.settings().generationStartTimeout());
        return h.done(ready);
    }

    /** The recorded manifest digests of the resume step on the other members' nodes, by their peer URL. */
    private Map<String, String> peerDigests(Job j, String self) {
        return peerDigests(j, j.elastic().resumeStep(), self);
    }

    /** The recorded manifest digests of {@code step} on the job's nodes but {@code self} (null: all), by their peer URL. */
    private Map<String, String> peerDigests(Job j, long step, String self) {
        var out = new HashMap<String, String>();
        j.training().entry(step).ifPresent(e -> e.manifests().forEach((node, digest) -> {
            String url = h.peerUrls.get(node);
            if (url != null && !node.equals(self)) out.put(url, digest);
        }));
        return out;
    }

    Behavior<JobMaster.Command> onRankStarted(AgentProtocol.RankStarted s) {
        if (!h.current(s)) {
            // a rank of a generation that was closed while it was starting must not linger
            var agent = h.agents.get(s.nodeId());
            if (agent != null) agent.tell(new AgentProtocol.StopGeneration(s.jobId(), s.generation(), "its generation is closed"));
            return h.unchanged();
        }
        Job next = h.job().withMember(s.rank(), m -> m.started(s.pid(), s.logFile()))
                .withEvent(JobEventType.RANK_STARTED, s.nodeId(), s.rank(), "pid " + s.pid() + (s.inPlace() ? " (re-formed in place)" : ""),
                        h.now());
        if (s.inPlace()) next = next.withElastic(e -> e.reformedInPlace(s.rank()));
        if (next.state() == JobState.STARTING && next.members().stream().allMatch(m -> m.pid() > 0)) {
            h.timers.cancel(new JobMaster.StartTimedOut(next.generation()));
            Instant at = h.now();
            int worldSize = next.worldSize();
            next = next.transition(JobState.RUNNING, "all " + next.worldSize() + " ranks running"
                    + (next.elastic().resumeStep() > 0 ? " from step " + next.elastic().resumeStep() : ""), at)
                    .withElastic(e -> e.resumed(at, worldSize));
            h.log.info("job {} generation {} running with {} ranks", next.id(), next.generation(), next.worldSize());
            if (next.generation() == 1) h.metrics().scheduled(Duration.between(Instant.parse(next.submittedAt()), at).toMillis() / 1000.0);
            return h.done(next);
        }
        // each rank's start is stored with the last one's (the change to RUNNING), not one write per rank: a coordinator that
        // takes over meanwhile learns the pids from the agents (JobReattach)
        return next.state() == JobState.STARTING ? h.held(next) : h.done(next);
    }

    Behavior<JobMaster.Command> onRankFailedToStart(AgentProtocol.RankFailedToStart f) {
        if (!h.current(f)) return h.unchanged();
        return h.end(h.job(), JobState.FAILED, "rank " + f.rank() + " on " + f.nodeId() + " could not start: " + f.reason());
    }

    Behavior<JobMaster.Command> onPortTimeout(JobMaster.PortTimedOut t) {
        Job job = h.job();
        if (t.generation() != job.generation() || job.state() != JobState.STARTING || job.masterPort() != 0) return h.unchanged();
        return h.end(job, JobState.FAILED, "node " + job.members().get(0).nodeId() + " (rank 0) did not report a rendezvous port within "
                + h.deps.settings().portAllocationTimeout().toSeconds() + "s");
    }

    Behavior<JobMaster.Command> onStartTimeout(JobMaster.StartTimedOut t) {
        if (t.generation() != h.job().generation() || h.job().state() != JobState.STARTING) return h.unchanged();
        String missing = String.join(", ", h.job().members().stream().filter(m -> m.pid() == 0)
                .map(m -> "rank " + m.rank() + " on " + m.nodeId()).toList());
        return h.end(h.job(), JobState.FAILED, "generation " + h.job().generation() + " did not start within "
                + h.deps.settings().generationStartTimeout().toSeconds() + "s: " + missing + " never reported started");
    }
}
