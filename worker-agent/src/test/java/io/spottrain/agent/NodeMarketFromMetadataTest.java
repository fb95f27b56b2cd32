package io.spottrain.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spottrain.protocol.spec.NodeMarket;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A node's market from its configuration and what instance metadata says (null: no metadata). */
class NodeMarketFromMetadataTest {

    @ParameterizedTest(name = "configured {0}, metadata {1} -> {2}")
    @CsvSource(nullValues = "null", value = {
            "SPOT, null, SPOT",
            "RESERVED, null, RESERVED",
            "SPOT, on-demand, ON_DEMAND",      // metadata says what the machine is
            "ON_DEMAND, spot, SPOT",
            "ON_DEMAND, scheduled, ON_DEMAND", // a scheduled reserved instance runs on-demand
            "RESERVED, on-demand, RESERVED",   // a reservation is billing: metadata shows on-demand
            "RESERVED, scheduled, RESERVED",
            "RESERVED, spot, SPOT",            // a Spot machine can be taken back whatever it was configured as
            "ON_DEMAND, capacity-block, ON_DEMAND", // a lifecycle we do not know leaves the configuration
    })
    void metadataAndConfiguration(NodeMarket configured, String lifeCycle, NodeMarket expected) {
        assertEquals(expected, NodeInfoSource.market(configured, lifeCycle));
    }
}
