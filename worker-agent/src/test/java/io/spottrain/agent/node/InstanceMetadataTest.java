package io.spottrain.agent.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.spottrain.agent.AgentSettings;
import io.spottrain.agent.NodeInfoSource;
import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.wire.NodeInfo;
import java.net.HttpURLConnection;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The AWS SDK IMDS client against the loopback emulator, and node attributes taken from it. */
class InstanceMetadataTest {

    @Test
    void readsAttributesWithAnImdsV2Token() throws Exception {
        try (var imds = new ImdsEmulator(ImdsEmulator.instance("i-0abc", "g5.xlarge", "us-east-1b", true));
                var md = new InstanceMetadata(imds.endpoint(), Duration.ofSeconds(2))) {
            var a = md.read().orElseThrow();
            assertEquals(new InstanceMetadata.Attributes("i-0abc", "g5.xlarge", "us-east-1b", "spot", "127.0.0.1"), a);
            assertNull(md.get(ImdsEmulator.INSTANCE_ACTION), "404 means no notice");
            Instant at = Instant.parse("2026-11-27T10:02:00Z");
            imds.noticeInterruption("terminate", at);
            assertEquals("{\"action\":\"terminate\",\"time\":\"2026-11-27T10:02:00Z\"}", md.get(ImdsEmulator.INSTANCE_ACTION));
        }
    }

    @Test
    void emulatorRefusesRequestsWithoutAToken() throws Exception {
        try (var imds = new ImdsEmulator(ImdsEmulator.instance("i-1", "t3.micro", "z", false))) {
            var c = (HttpURLConnection) URI.create(imds.endpoint() + "/latest/meta-data/instance-id").toURL().openConnection();
            assertEquals(401, c.getResponseCode());
            var put = (HttpURLConnection) URI.create(imds.endpoint() + ImdsEmulator.TOKEN_PATH).toURL().openConnection();
            put.setRequestMethod("PUT");
            assertEquals(400, put.getResponseCode(), "the TTL header is required");
        }
    }

    @Test
    void noImdsMeansConfiguredAttributes() {
        try (var md = new InstanceMetadata(URI.create("http://127.0.0.1:1"), Duration.ofMillis(300))) {
            assertTrue(md.read().isEmpty());
        }
    }

    @Test
    void imdsOverridesTypeZoneMarketAndInstanceId() throws Exception {
        try (var imds = new ImdsEmulator(ImdsEmulator.instance("i-0def", "p4d.24xlarge", "us-west-2a", false))) {
            AgentSettings s = AgentSettings.create(ConfigFactory.parseMap(Map.of(
                    "spottrain.agent.node-id", "n1", "spottrain.agent.imds.endpoint", imds.endpoint().toString()))
                    .withFallback(ConfigFactory.load()));
            NodeInfo n = NodeInfoSource.describe(s, "10.0.0.7");
            assertEquals("n1", n.nodeId());
            assertEquals(NodeMarket.ON_DEMAND, n.market());
            assertEquals("p4d.24xlarge", n.instanceType());
            assertEquals("us-west-2a", n.zone());
            assertEquals("i-0def", n.instanceId());
            assertEquals("10.0.0.7", n.host());
        }
    }
}
