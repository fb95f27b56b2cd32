package io.spottrain.agent;

import io.spottrain.protocol.wire.AgentProtocol;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.slf4j.Logger;

/**
 * The agent's line to the job manager: reports go to the job manager that last asked this agent to
 * describe itself (after a hand-over, the new one); notices wait until one did; heartbeats prove
 * the agent's actor responsive, not only its machine (a hung agent is found by its silence).
 * Owned by the agent's actor; {@link #send} is safe from any thread.
 */
final class ManagerLink {
    private final String nodeId;
    private final Logger log;
    private volatile ActorRef<AgentProtocol.Report> coordinator;
    private final List<AgentProtocol.Report> undelivered = new ArrayList<>();
    private ActorRef<AgentProtocol.Heartbeat> heartbeatTo;
    private long beats;
    private final Supplier<List<AgentProtocol.GpuSample>> gpus;
    private final IntSupplier rendezvousPort;

    /**
     * {@code gpus}: the node's newest GPU sample, sent with each heartbeat (the job manager's metrics); {@code rendezvousPort}:
     * the port offered for the next generation whose rank 0 is here ({@link RendezvousOffer}).
     */
    ManagerLink(String nodeId, Logger log, Supplier<List<AgentProtocol.GpuSample>> gpus, IntSupplier rendezvousPort) {
        this.nodeId = nodeId;
        this.log = log;
        this.gpus = gpus;
        this.rendezvousPort = rendezvousPort;
    }

    /** A job manager asked this node to describe itself: it gets the reports from now on, and heartbeats every {@code startBeats}. */
    void described(AgentProtocol.DescribeNode m, ActorRef<AgentProtocol.Command> self, AgentProtocol.NodeDescribed description,
            Consumer<Duration> startBeats) {
        m.replyTo().tell(description);
        if (coordinator != null && !coordinator.equals(m.replyTo())) log.info("reporting to a new job manager at {}", m.replyTo().path().address());
        coordinator = m.replyTo();
        undelivered.forEach(coordinator::tell);
        undelivered.clear();
        heartbeatTo = m.heartbeatTo();
        if (heartbeatTo != null && m.heartbeatMillis() > 0) {
            startBeats.accept(Duration.ofMillis(m.heartbeatMillis()));
            beat(self);
        }
    }

    void beat(ActorRef<AgentProtocol.Command> self) {
        if (heartbeatTo != null) heartbeatTo.tell(new AgentProtocol.Heartbeat(nodeId, self, ++beats, gpus.get(), rendezvousPort.getAsInt()));
    }

    /** A report nobody asked for (a notice): to the current job manager, or kept until one describes this node. */
    void unsolicited(AgentProtocol.Report report) {
        if (coordinator != null) coordinator.tell(report);
        else undelivered.add(report);
    }

    /** To the job manager that last described this node; {@code fallback} (the generation's starter) before any did. */
    void send(ActorRef<AgentProtocol.Report> fallback, AgentProtocol.Report r) {
        (coordinator != null ? coordinator : fallback).tell(r);
    }
}
