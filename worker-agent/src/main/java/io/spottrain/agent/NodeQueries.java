package io.spottrain.agent;

import io.spottrain.agent.supervision.ProcessSupervisor;
import io.spottrain.agent.supervision.RankLogs;
import io.spottrain.agent.supervision.Redactor;
import io.spottrain.protocol.wire.AgentProtocol;
import io.spottrain.protocol.wire.NodeInfo;
import java.io.IOException;
import org.slf4j.Logger;

/**
 * What the agent answers about its node without changing anything: a free rendezvous port, the end
 * of a rank's output (secrets masked), and that it is alive (a job probing a silent rank's node).
 */
final class NodeQueries {
    private final NodeInfo node;
    private final ProcessSupervisor supervisor;
    private final Redactor redactor;
    private final Logger log;

    NodeQueries(NodeInfo node, ProcessSupervisor supervisor, Redactor redactor, Logger log) {
        this.node = node;
        this.supervisor = supervisor;
        this.redactor = redactor;
        this.log = log;
    }

    void allocatePort(AgentProtocol.AllocatePort m) {
        try { // no reply on failure: the job manager's port time-out fails the generation with this node named
            m.replyTo().tell(new AgentProtocol.PortAllocated(m.jobId(), m.generation(), node.nodeId(), node.host(),
                    ProcessSupervisor.freePort(node.host())));
        } catch (IOException e) {
            log.error("cannot allocate a rendezvous port on {}: {}", node.host(), e.toString());
        }
    }

    void tail(AgentProtocol.TailRankLog m) {
        m.replyTo().tell(RankLogs.read(node.nodeId(), supervisor, m, redactor));
    }

    void probe(AgentProtocol.Probe m) {
        m.replyTo().tell(new AgentProtocol.ProbeAnswered(m.jobId(), m.generation(), node.nodeId()));
    }
}
