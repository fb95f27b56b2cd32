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
        NodeMarket market = md.lifeCycle() == null ? s.market()
                : NodeMarket.fromLabel(md.lifeCycle().equals("scheduled") ? "on-demand" : md.lifeCycle()).orElse(s.market());
        return new NodeInfo(s.nodeId(), market, or(md.instanceType(), s.instanceType()), s.gpus(), s.pricePerHour(),
                s.onDemandPricePerHour(), or(md.zone(), s.zone()), host, or(md.instanceId(), ""), ProcessHandle.current().pid(), null,
                s.launchedAt());
    }

    private static String or(String v, String dflt) {
        return v == null || v.isBlank() ? dflt : v;
    }
}
