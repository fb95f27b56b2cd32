package io.spottrain.protocol.wire;

import io.spottrain.protocol.spec.NodeMarket;

/**
 * What a worker agent knows of its machine: from instance metadata (IMDS) on a cloud machine, from
 * configuration on a local one. {@code pid} is the agent's process id (useful for local clusters);
 * {@code peerUrl} is where it serves its local checkpoint tier to peers (null: not served);
 * {@code launchedAt} when the machine was asked for (ISO-8601; the launcher passes it, else the
 * agent's own start), the start of its billed time.
 */
public record NodeInfo(
        String nodeId,
        NodeMarket market,
        String instanceType,
        int gpus,
        double pricePerHour,
        double onDemandPricePerHour,
        String zone,
        String host,
        String instanceId,
        long pid,
        String peerUrl,
        String launchedAt) implements WireMessage {

    /** The same node at these prices (the coordinator's, where the agent's own are not the bill: {@code NodePricing}). */
    public NodeInfo withPrices(double price, double onDemandPrice) {
        return new NodeInfo(nodeId, market, instanceType, gpus, price, onDemandPrice, zone, host, instanceId, pid, peerUrl, launchedAt);
    }

    public NodeInfo withPeerUrl(String url) {
        return new NodeInfo(nodeId, market, instanceType, gpus, pricePerHour, onDemandPricePerHour, zone, host, instanceId, pid, url,
                launchedAt);
    }
}
