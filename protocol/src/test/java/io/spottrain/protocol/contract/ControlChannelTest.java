package io.spottrain.protocol.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Both ends of SPOTTRAIN_CONTROL over a real loopback socket. */
class ControlChannelTest {

    @Test
    void reportsAndRequestsRoundTrip() throws Exception {
        var received = new LinkedBlockingQueue<JsonNode>();
        try (var server = new ControlServer(received::add);
                var client = ControlClient.fromEnv(Map.of(Contract.CONTROL, server.address()))) {
            assertTrue(client.attached());
            client.hello(1, 3, 40);
            client.progress(41, 0.5, 1000);
            client.checkpointWritten(50, "/tmp/x/step-50", 3, 1234, 0.4, 7.5, "interval");
            client.stalled(50, "peer closed");
            client.done(60, 0.25, "abc");
            JsonNode hello = received.poll(5, TimeUnit.SECONDS);
            assertEquals("hello", hello.path("type").asText());
            assertEquals(1, hello.path("rank").asInt());
            assertEquals(40, hello.path("resumeStep").asLong());
            assertEquals(41, received.poll(5, TimeUnit.SECONDS).path("step").asLong());
            JsonNode ck = received.poll(5, TimeUnit.SECONDS);
            assertEquals(7.5, ck.path("persistMs").asDouble());
            assertEquals("stalled", received.poll(5, TimeUnit.SECONDS).path("type").asText());
            assertEquals("abc", received.poll(5, TimeUnit.SECONDS).path("paramsSha256").asText());

            assertTrue(server.send(ControlServer.message(Contract.CHECKPOINT_NOW).put("step", 70)));
            JsonNode req = client.poll(5000);
            assertEquals("checkpoint-now", req.path("type").asText());
            assertEquals(70, req.path("step").asLong());
            assertNull(client.poll());
        }
    }

    @Test
    void garbageLinesAreReportedNotDropped() throws Exception {
        var received = new LinkedBlockingQueue<JsonNode>();
        try (var server = new ControlServer(received::add); var s = new java.net.Socket("127.0.0.1", server.address().split(":")[1].isEmpty() ? 0
                : Integer.parseInt(server.address().split(":")[1]))) {
            s.getOutputStream().write("not json\n[1,2]\n".getBytes());
            s.getOutputStream().flush();
            assertEquals("invalid", received.poll(5, TimeUnit.SECONDS).path("type").asText());
            assertEquals("[1,2]", received.poll(5, TimeUnit.SECONDS).path("line").asText());
        }
    }

    @Test
    void withoutControlTheClientIsANoOpAndDrainReturns() throws Exception {
        try (var client = ControlClient.fromEnv(Map.of())) {
            assertFalse(client.attached());
            client.progress(1, 1, 1); // no exception, nothing sent
            assertNull(client.poll());
        }
        try (var server = new ControlServer(m -> { })) {
            assertFalse(server.connected());
            assertFalse(server.send(ControlServer.message(Contract.STOP)));
            server.awaitDrained(Duration.ofSeconds(5)); // never connected: returns at once
        }
    }
}
