package io.spottrain.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.protocol.json.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

/** The CLI's client of the coordinator's HTTP API; every failure becomes a one-line {@link CliException}. */
public final class ApiClient {
    private final String base;
    private final String token;
    private final HttpClient http;

    /** A client that sends {@code token} (null: none) as its bearer token; the token is never printed. */
    public ApiClient(String base, String token) {
        this(base, token, null);
    }

    /** As above; an https API is checked against {@code trust} (null: the JVM's default CAs). */
    public ApiClient(String base, String token, SSLContext trust) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.token = token;
        var b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3));
        if (trust != null) b.sslContext(trust);
        this.http = b.build();
    }

    public String base() {
        return base;
    }

    public JsonNode get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    public JsonNode post(String path, String body, String contentType) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    public boolean healthy() {
        try {
            get("/api/v1/health");
            return true;
        } catch (CliException e) {
            return false;
        }
    }

    private URI uri(String path) {
        try {
            return URI.create(base + path);
        } catch (IllegalArgumentException e) {
            throw new CliException("bad API address " + base + ": " + e.getMessage());
        }
    }

    /**
     * GETs {@code path} and reads the answer to its last byte without decoding or parsing it (a benchmark's reader: the
     * coordinator's latency, not this client's JSON parsing, on a machine they share). Throws as {@link #get} on an error status.
     */
    public void read(String path) {
        HttpResponse<Void> resp = exchange(HttpRequest.newBuilder(uri(path)).GET(), HttpResponse.BodyHandlers.discarding());
        if (resp.statusCode() >= 400) throw new ApiError(resp.statusCode(), "HTTP " + resp.statusCode(), Json.MAPPER.nullNode());
    }

    private JsonNode send(HttpRequest.Builder req) {
        HttpResponse<String> resp = exchange(req, HttpResponse.BodyHandlers.ofString());
        JsonNode body;
        try {
            body = resp.body().isBlank() ? Json.MAPPER.nullNode() : Json.MAPPER.readTree(resp.body());
        } catch (IOException e) {
            throw new CliException("the server at " + base + " did not answer JSON (HTTP " + resp.statusCode() + "): is it a spottrain coordinator?");
        }
        if (resp.statusCode() == 401) {
            throw new ApiError(401, body.path("error").asText("HTTP 401") + (token == null
                    ? " (no token: set $SPOTTRAIN_TOKEN, pass --token-file FILE, or use the local cluster's <state-dir>/token)" : ""), body);
        }
        if (resp.statusCode() >= 400) {
            throw new ApiError(resp.statusCode(), body.path("error").asText("HTTP " + resp.statusCode()), body);
        }
        return body;
    }

    private <T> HttpResponse<T> exchange(HttpRequest.Builder req, HttpResponse.BodyHandler<T> handler) {
        req.timeout(Duration.ofSeconds(20)).header("Accept", "application/json");
        if (token != null) req.header("Authorization", "Bearer " + token);
        try {
            return http.send(req.build(), handler);
        } catch (ConnectException e) {
            throw new CliException("cannot reach the coordinator at " + base + ": connection refused (is the cluster up? ./spottrain up)");
        } catch (SSLException e) {
            throw new CliException("the coordinator at " + base + " failed the TLS handshake: " + e.getMessage()
                    + " (pass --api-ca FILE with its certificate or CA)");
        } catch (HttpTimeoutException e) {
            throw new CliException("the coordinator at " + base + " did not answer within 20s");
        } catch (IOException e) {
            throw new CliException("cannot reach the coordinator at " + base + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        }
    }

    /** An error answer of the API; {@code body} has the field errors of a bad job spec. */
    public static final class ApiError extends RuntimeException {
        public final int status;
        public final JsonNode body;

        ApiError(int status, String message, JsonNode body) {
            super(message, null, false, false);
            this.status = status;
            this.body = body;
        }
    }
}
