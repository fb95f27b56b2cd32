package io.spottrain.launchers.ec2;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.spottrain.protocol.json.Json;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * SSM Parameter Store on a loopback port, speaking the service's JSON protocol
 * ({@code X-Amz-Target: AmazonSSM.<Action>}, {@code application/x-amz-json-1.1}) for the two calls
 * the join uses: {@code PutParameter} and {@code GetParameters}. It records every request (headers
 * and body) so tests can check what the real SDK client sent (signed, decrypted, SecureString).
 */
public final class FakeSsm implements AutoCloseable {
    /** A call as it arrived: the action, the Authorization header, the JSON body. */
    public record Call(String action, String authorization, JsonNode body) {}

    /** Parameters by name: value and type. */
    public final Map<String, String[]> parameters = new ConcurrentHashMap<>();
    public final List<Call> calls = new CopyOnWriteArrayList<>();
    /** When set, every call is refused with this error type (e.g. AccessDeniedException). */
    public volatile String refuseWith;
    private final HttpServer server;

    public FakeSsm() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::serve);
        server.start();
    }

    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void serve(HttpExchange x) throws IOException {
        String target = String.valueOf(x.getRequestHeaders().getFirst("X-Amz-Target"));
        String action = target.startsWith("AmazonSSM.") ? target.substring("AmazonSSM.".length()) : target;
        JsonNode body = Json.MAPPER.readTree(new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        calls.add(new Call(action, x.getRequestHeaders().getFirst("Authorization"), body));
        if (refuseWith != null) {
            reply(x, 400, "{\"__type\":\"" + refuseWith + "\",\"message\":\"User: arn:aws:sts::123456789012:assumed-role/agent is not "
                    + "authorized to perform: ssm:" + action + "\"}");
            return;
        }
        switch (action) {
            case "PutParameter" -> {
                String name = body.path("Name").asText();
                if (parameters.containsKey(name) && !body.path("Overwrite").asBoolean()) {
                    reply(x, 400, "{\"__type\":\"ParameterAlreadyExists\",\"message\":\"The parameter already exists.\"}");
                    return;
                }
                parameters.put(name, new String[] {body.path("Value").asText(), body.path("Type").asText()});
                reply(x, 200, "{\"Version\":1,\"Tier\":\"Standard\"}");
            }
            case "GetParameters" -> {
                ObjectNode out = Json.MAPPER.createObjectNode();
                var found = out.putArray("Parameters");
                var invalid = out.putArray("InvalidParameters");
                for (JsonNode n : body.path("Names")) {
                    String[] p = parameters.get(n.asText());
                    if (p == null) {
                        invalid.add(n.asText());
                        continue;
                    }
                    boolean plain = !"SecureString".equals(p[1]) || body.path("WithDecryption").asBoolean();
                    found.addObject().put("Name", n.asText()).put("Type", p[1]).put("Value", plain ? p[0] : "AQICAHh-encrypted").put("Version", 1);
                }
                reply(x, 200, Json.MAPPER.writeValueAsString(out));
            }
            default -> reply(x, 400, "{\"__type\":\"InvalidAction\",\"message\":\"not served here: " + action + "\"}");
        }
    }

    private static void reply(HttpExchange x, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.1");
        x.sendResponseHeaders(status, b.length);
        try (var o = x.getResponseBody()) {
            o.write(b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
