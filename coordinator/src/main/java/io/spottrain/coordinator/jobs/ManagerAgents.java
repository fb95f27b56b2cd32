package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.membership.AgentDirectory;
import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.protocol.wire.AgentProtocol;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import java.util.function.UnaryOperator;
import io.spottrain.protocol.wire.NodeInfo;

/**
 * The job manager's agent side: what agents report (descriptions, notices, job reports routed to
 * their job's actor) and what the agent directory says about them (gone, silent, unreachable).
 * Registration is refused for a bad node id or a second agent claiming a live node's id.
 */
final class ManagerAgents {
    private final JobManager manager;
    private final Logger log;
    private final WorkerNodes nodes;
    private final Map<String, ActorRef<JobMaster.Command>> masters;
    private final ActorRef<AgentDirectory.Command> directory;
    /** Agents refused because they claimed a live node's id (warned once each). */
    private final Set<ActorRef<AgentProtocol.Command>> impostors = new HashSet<>();

    /** A registering node at what it costs ({@link NodePricing}). */
    private final UnaryOperator<NodeInfo> pricing;
    ManagerAgents(JobManager manager, Logger log, WorkerNodes nodes, Map<String, ActorRef<JobMaster.Command>> masters,
            ActorRef<AgentDirectory.Command> directory, UnaryOperator<NodeInfo> pricing) {
        this.pricing = pricing;
        this.manager = manager;
        this.log = log;
        this.nodes = nodes;
        this.masters = masters;
        this.directory = directory;
    }

    Behavior<JobManager.Command> onReport(AgentProtocol.Report r) {
        if (r instanceof AgentProtocol.NodeDescribed d) return onNodeDescribed(d);
        if (r instanceof AgentProtocol.NodeInterruptionNotice n) return onNotice(n);
        if (r instanceof AgentProtocol.JobReport jr) {
            nodes.reachable(jr.nodeId()); // a suspected node that reports is alive
            var master = masters.get(jr.jobId());
            if (master != null) {
                master.tell(new JobMaster.Reported(jr));
            } else if (jr instanceof AgentProtocol.RankStarted s && nodes.agent(s.nodeId()) != null) {
                nodes.agent(s.nodeId()).tell(new AgentProtocol.StopGeneration(s.jobId(), s.generation(), "its job is not in progress"));
            }
        }
        return Behaviors.same();
    }

    /** The nodes a new job manager expected (alive at the hand-over) that did not register within {@code grace} are gone. */
    Behavior<JobManager.Command> onExpectedGone(Duration grace, Instant now) {
        nodes.expectedGone(now, "did not register with the new job manager within " + grace.toSeconds() + "s");
        return manager;
    }

    /** A job's ranks saw these nodes' collectives fail: nothing new is placed on them until they are heard from again. */
    Behavior<JobManager.Command> onSuspect(JobManager.SuspectNodes m) {
        m.nodeIds().forEach(nodes::unreachable);
        return manager;
    }

    /** The API asks for a rank's output: the node's agent answers the API itself; for a node that is not live, the answer is here. */
    Behavior<JobManager.Command> onTailRankLog(JobManager.TailRankLog t) {
        var agent = nodes.agent(t.nodeId());
        var r = t.request();
        if (agent != null) {
            agent.tell(r);
        } else {
            r.replyTo().tell(new AgentProtocol.RankLog(r.jobId(), r.generation(), r.rank(), t.nodeId(), null, 0, "", "node " + t.nodeId()
                    + " is not live (lost, or stopped): its rank logs stayed on its disk, or went with the machine"));
        }
        return Behaviors.same();
    }

    private Behavior<JobManager.Command> onNodeDescribed(AgentProtocol.NodeDescribed described) {
        var d = described.withNode(pricing.apply(described.node())); // what it costs, where the agent cannot know
        String nodeId = d.node().nodeId();
        var refused = nodes.refusal(d);
        if (refused.isPresent()) {
            if (impostors.add(d.agent())) log.warn(refused.get());
            directory.tell(new AgentDirectory.Forget(d.agent())); // described again on its next heartbeat: it may be welcome then
            return Behaviors.same();
        }
        impostors.remove(d.agent());
        String job = nodes.registered(d, manager.now());
        if (job != null && masters.containsKey(job)) nodes.assign(nodeId, job);
        log.info("node {} registered: {} {} {} GPU(s) ${}/h zone {}", nodeId, d.node().market().label(),
                d.node().instanceType(), d.node().gpus(), d.node().pricePerHour(), d.node().zone());
        // its job hears of it (re-attach); jobs whose ranks it still runs stop what is not theirs any more
        var jobs = new LinkedHashSet<String>();
        if (job != null) jobs.add(job);
        d.ranks().stream().filter(s -> s.exitCode() == null).forEach(s -> jobs.add(s.jobId()));
        for (String j : jobs) {
            var master = masters.get(j);
            if (master != null) {
                master.tell(new JobMaster.NodeRegistered(d.node(), d.agent(), d.ranks()));
            } else {
                d.ranks().stream().filter(s -> s.jobId().equals(j) && s.exitCode() == null).forEach(s -> d.agent().tell(
                        new AgentProtocol.StopGeneration(s.jobId(), s.generation(), "its job is not in progress")));
            }
        }
        manager.schedule();
        return Behaviors.same();
    }

    private Behavior<JobManager.Command> onNotice(AgentProtocol.NodeInterruptionNotice n) {
        log.warn("node {} interruption notice: {} ({}){}", n.nodeId(), n.kind().label(), n.action(),
                n.deadline() == null ? "" : ", deadline " + n.deadline());
        if (n.kind().departs()) nodes.interrupting(n.nodeId(), n.kind());
        nodes.jobOf(n.nodeId()).map(masters::get).ifPresent(master -> master.tell(new JobMaster.NodeNotice(n, manager.canReplace())));
        return Behaviors.same();
    }

    Behavior<JobManager.Command> onMembership(AgentDirectory.Event e) {
        if (e instanceof AgentDirectory.AgentGone g) {
            nodes.nodeOf(g.agent()).ifPresent(n -> nodeLost(n, g.why()));
        } else if (e instanceof AgentDirectory.AgentSilent s) {
            nodes.nodeOf(s.agent()).ifPresent(n -> nodeLost(n, "sent no heartbeat for " + s.silentFor().toMillis() / 1000.0
                    + " s (its agent is hung or cut off)"));
        } else if (e instanceof AgentDirectory.RendezvousOffered o) {
            nodes.offered(o.nodeId(), o.agent(), o.port());
        } else if (e instanceof AgentDirectory.AddressReachability a) {
            for (NodeRecord n : nodes.onAddress(a.address())) {
                if (a.reachable()) {
                    nodes.reachable(n.nodeId());
                } else {
                    nodes.unreachable(n.nodeId());
                    log.warn("node {} is unreachable", n.nodeId());
                    var master = n.jobId() == null ? null : masters.get(n.jobId());
                    if (master != null) master.tell(new JobMaster.NodeUnreachable(n.nodeId()));
                }
            }
            if (a.reachable()) manager.schedule();
        }
        return Behaviors.same();
    }

    /** A worker node is gone: it leaves the live registry for the history; its job recovers without it. */
    private void nodeLost(String nodeId, String why) {
        log.warn("node {} {}", nodeId, why);
        String job = nodes.lost(nodeId, why, manager.now());
        var master = job == null ? null : masters.get(job);
        if (master != null) master.tell(new JobMaster.NodeLost(nodeId, why));
        manager.schedule(false); // a loss frees no node: waiting jobs get new wait reasons, nothing is offered
    }
}
