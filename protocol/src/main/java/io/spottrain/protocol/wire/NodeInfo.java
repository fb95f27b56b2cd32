package io.spottrain.protocol.wire;

import io.spottrain.protocol.spec.NodeMarket;

/**
 * What a worker agent knows of its machine: from instance metadata (IMDS) on a cloud machine, from
 * configuration on a local one. {@code pid} is the agent's process id (useful for local clusters).
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
        long pid) implements WireMessage {}
