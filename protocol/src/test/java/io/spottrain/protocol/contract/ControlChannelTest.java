package io.spottrain.protocol.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
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
                var client = ControlClient.fromEnv(server.env())) {
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

    static Socket connect(ControlServer server) throws IOException {
        String[] hp = server.address().split(":");
        return new Socket(hp[0], Integer.parseInt(hp[1]));
    }

    static void send(Socket s, String lines) throws IOException {
        s.getOutputStream().write(lines.getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().flush();
    }

    static String hello(ControlServer server) {
        return "{\"type\":\"hello\",\"token\":\"" + server.token() + "\",\"rank\":0}\n";
    }

    @Test
    void garbageLinesAreReportedNotDropped() throws Exception {
        var received = new LinkedBlockingQueue<JsonNode>();
        try (var server = new ControlServer(received::add); var s = connect(server)) {
            send(s, hello(server) + "not json\n[1,2]\n");
            assertEquals("hello", received.poll(5, TimeUnit.SECONDS).path("type").asText());
            assertEquals("invalid", received.poll(5, TimeUnit.SECONDS).path("type").asText());
            assertEquals("[1,2]", received.poll(5, TimeUnit.SECONDS).path("line").asText());
        }
    }

    @Test
    void aConnectionWithoutTheRanksTokenIsRefusedAndTheRankStillAttaches() throws Exception {
        var received = new LinkedBlockingQueue<JsonNode>();
        try (var server = new ControlServer(received::add)) {
            try (var intruder = connect(server)) {
                send(intruder, "{\"type\":\"hello\",\"token\":\"guess\",\"rank\":0}\n{\"type\":\"done\",\"step\":1}\n");
                JsonNode refused = received.poll(5, TimeUnit.SECONDS);
                assertEquals(ControlServer.REFUSED, refused.path("type").asText());
                assertFalse(refused.toString().contains("guess"));
                assertEquals(-1, intruder.getInputStream().read(), "the intruder is disconnected");
            }
            try (var noHello = connect(server)) {
                send(noHello, "{\"type\":\"done\",\"step\":1}\n");
                assertEquals(ControlServer.REFUSED, received.poll(5, TimeUnit.SECONDS).path("type").asText());
            }
            assertFalse(server.connected());
            try (var client = ControlClient.fromEnv(server.env())) {
                client.hello(0, 1, 0);
                client.progress(3, 0.1, 10);
                assertEquals("hello", received.poll(5, TimeUnit.SECONDS).path("type").asText());
                assertEquals(3, received.poll(5, TimeUnit.SECONDS).path("step").asLong(), "nothing the intruder sent got through");
            }
        }
    }

    @Test
    void aHundredMegabyteLineCutsTheRankOffAndOtherRanksGoOn() throws Exception {
        var flooded = new LinkedBlockingQueue<JsonNode>();
        var calm = new LinkedBlockingQueue<JsonNode>();
        try (var a = new ControlServer(flooded::add); var b = new ControlServer(calm::add);
                var rankA = connect(a); var rankB = ControlClient.fromEnv(b.env())) {
            send(rankA, hello(a));
            assertEquals("hello", flooded.poll(5, TimeUnit.SECONDS).path("type").asText());
            byte[] chunk = new byte[1 << 20];
            Arrays.fill(chunk, (byte) 'x');
            boolean cut = false;
            try {
                for (int i = 0; i < 100; i++) rankA.getOutputStream().write(chunk);
            } catch (IOException e) {
                cut = true; // the agent closed the connection while the line was still coming
            }
            JsonNode v = flooded.poll(10, TimeUnit.SECONDS);
            assertEquals(ControlServer.VIOLATION, v.path("type").asText(), String.valueOf(v));
            assertTrue(v.path("reason").asText().contains("longer than 65536 bytes"), v.toString());
            assertTrue(cut || rankA.getInputStream().read() == -1, "the flooding rank is disconnected");
            rankB.hello(1, 2, 0);
            rankB.progress(7, 0.5, 1);
            assertEquals("hello", calm.poll(5, TimeUnit.SECONDS).path("type").asText());
            assertEquals(7, calm.poll(5, TimeUnit.SECONDS).path("step").asLong());
        }
    }

    @Test
    void aRankOverTheMessageRateIsCutOff() throws Exception {
        var received = new LinkedBlockingQueue<JsonNode>();
        try (var server = new ControlServer(received::add); var s = connect(server)) {
            var sb = new StringBuilder(hello(server));
            for (int i = 0; i < ControlServer.BURST + ControlServer.RATE_PER_SECOND; i++) sb.append("{\"type\":\"progress\",\"step\":1}\n");
            try {
                send(s, sb.toString());
            } catch (IOException e) {
                // cut off while still sending
            }
            JsonNode last = null;
            for (JsonNode n = received.poll(10, TimeUnit.SECONDS); n != null; n = received.poll(2, TimeUnit.SECONDS)) last = n;
            assertEquals(ControlServer.VIOLATION, last.path("type").asText(), String.valueOf(last));
            assertTrue(last.path("reason").asText().contains("control messages a second"), last.toString());
        }
    }

    @Test
    void theRateBucketRefillsOverTime() {
        var bucket = new ControlServer.RateBucket(10, 2);
        assertTrue(bucket.take(0));
        assertTrue(bucket.take(0));
        assertFalse(bucket.take(0));
        assertTrue(bucket.take(100_000_000L), "one token back after 0.1 s at 10/s");
        assertFalse(bucket.take(100_000_000L));
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
