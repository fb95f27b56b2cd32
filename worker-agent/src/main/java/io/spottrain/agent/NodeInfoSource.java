package io.spottrain.agent;

import io.spottrain.agent.node.InstanceMetadata;
import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.wire.NodeInfo;
import java.net.URI;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** This node's attributes: from IMDS where it answers, else from the agent's settings. */
public final class NodeInfoSource {
    private static final Logger log = LoggerFactory.getLogger(NodeInfoSource.class);

    private NodeInfoSource() {}

    public static NodeInfo describe(AgentSettings s, String host) {
        Optional<InstanceMetadata.Attributes> imds = Optional.empty();
        if (!s.imdsEndpoint().isBlank()) {
            URI endpoint = s.imdsEndpoint().equals("auto") ? InstanceMetadata.EC2_ENDPOINT : URI.create(s.imdsEndpoint());
            try (var md = new InstanceMetadata(endpoint, s.imdsTimeout())) {
                imds = md.read();
            }
            if (imds.isEmpty()) {
                log.warn("no instance metadata at {}; using configured node attributes", endpoint);
            }
        }
        return describe(s, host, imds.orElse(null));
    }

    /** Settings overridden by whatever IMDS said (null: nothing). */
    static NodeInfo describe(AgentSettings s, String host, InstanceMetadata.Attributes md) {
        if (md == null) {
            return new NodeInfo(s.nodeId(), s.market(), s.instanceType(), s.gpus(), s.pricePerHour(), s.onDemandPricePerHour(),
                    s.zone(), host, "", ProcessHandle.current().pid(), null, s.launchedAt());
        }
        NodeMarket market = market(s.market(), md.lifeCycle());
        return new NodeInfo(s.nodeId(), market, or(md.instanceType(), s.instanceType()), s.gpus(), s.pricePerHour(),
                s.onDemandPricePerHour(), or(md.zone(), s.zone()), host, or(md.instanceId(), ""), ProcessHandle.current().pid(), null,
                s.launchedAt());
    }

    /**
     * The node's market: what instance metadata says ({@code spot}, {@code on-demand}; {@code scheduled} is on-demand), except
     * that a machine configured as reserved stays reserved when metadata says on-demand: a reservation or a savings plan is
     * billing, which metadata does not show. Metadata saying spot wins over any configuration (the machine can be taken back).
     */
    public static NodeMarket market(NodeMarket configured, String lifeCycle) {
        if (lifeCycle == null) return configured;
        var seen = NodeMarket.fromLabel(lifeCycle.equals("scheduled") ? "on-demand" : lifeCycle);
        if (seen.isEmpty()) return configured;
        return configured == NodeMarket.RESERVED && seen.get() == NodeMarket.ON_DEMAND ? NodeMarket.RESERVED : seen.get();
    }

    private static String or(String v, String dflt) {
        return v == null || v.isBlank() ? dflt : v;
    }
}
