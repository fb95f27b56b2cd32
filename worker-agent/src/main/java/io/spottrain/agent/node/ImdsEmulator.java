package io.spottrain.agent.node;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loopback emulator of the EC2 instance metadata service with IMDSv2 token semantics, for local
 * clusters and tests: {@code PUT /latest/api/token} (the TTL header is required) returns a token;
 * every {@code GET} needs it ({@code 401} otherwise); unknown paths and "no notice" are {@code 404}.
 * A preemption driver sets a Spot interruption notice or a rebalance recommendation.
 */
public final class ImdsEmulator implements AutoCloseable {
    public static final String TOKEN_PATH = "/latest/api/token";
    public static final String INSTANCE_ACTION = "/latest/meta-data/spot/instance-action";
    public static final String REBALANCE = "/latest/meta-data/events/recommendations/rebalance";

    private final HttpServer server;
    private final Map<String, String> metadata = new ConcurrentHashMap<>();
    private final Map<String, Instant> tokens = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();

    public ImdsEmulator(Map<String, String> metadata) throws IOException {
        metadata.forEach((k, v) -> this.metadata.put(k.startsWith("/") ? k : "/latest/meta-data/" + k, v));
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Metadata of a simulated instance: instance-id, instance-type, availability zone, life cycle. */
    public static Map<String, String> instance(String instanceId, String instanceType, String zone, boolean spot) {
        return Map.of("instance-id", instanceId, "instance-type", instanceType, "placement/availability-zone", zone,
                "instance-life-cycle", spot ? "spot" : "on-demand", "local-ipv4", "127.0.0.1");
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Publishes a Spot interruption notice: {@code action} terminate|stop|hibernate at {@code time}. */
    public void noticeInterruption(String action, Instant time) {
        metadata.put(INSTANCE_ACTION, "{\"action\":\"" + action + "\",\"time\":\"" + time + "\"}");
    }

    public void recommendRebalance(Instant noticeTime) {
        metadata.put(REBALANCE, "{\"noticeTime\":\"" + noticeTime + "\"}");
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            if (path.equals(TOKEN_PATH) && ex.getRequestMethod().equals("PUT")) {
                String ttl = ex.getRequestHeaders().getFirst("X-aws-ec2-metadata-token-ttl-seconds");
                int seconds;
                try {
                    seconds = Integer.parseInt(ttl == null ? "" : ttl.strip());
                } catch (NumberFormatException e) {
                    reply(ex, 400, "missing or bad X-aws-ec2-metadata-token-ttl-seconds");
                    return;
                }
                byte[] b = new byte[24];
                random.nextBytes(b);
                String token = HexFormat.of().formatHex(b);
                tokens.put(token, Instant.now().plusSeconds(seconds));
                ex.getResponseHeaders().add("X-aws-ec2-metadata-token-ttl-seconds", Integer.toString(seconds));
                reply(ex, 200, token);
                return;
            }
            if (!ex.getRequestMethod().equals("GET")) {
                reply(ex, 405, "");
                return;
            }
            String token = ex.getRequestHeaders().getFirst("X-aws-ec2-metadata-token");
            Instant expiry = token == null ? null : tokens.get(token);
            if (expiry == null || expiry.isBefore(Instant.now())) {
                reply(ex, 401, "");
                return;
            }
            String value = metadata.get(path);
            if (value == null) {
                reply(ex, 404, "");
            } else {
                reply(ex, 200, value);
            }
        }
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
        if (b.length > 0) ex.getResponseBody().write(b);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
