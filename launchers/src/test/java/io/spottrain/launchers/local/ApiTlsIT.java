package io.spottrain.launchers.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.cli.Main;
import io.spottrain.client.ApiClient;
import io.spottrain.client.CliException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The API over HTTPS (up --tls-cert/--tls-key): the CLI trusts the cluster's certificate, plain HTTP and strangers get nothing. */
@Timeout(180)
class ApiTlsIT {
    @TempDir
    Path dir;

    @Test
    void theApiServesHttpsOnlyAndTheLocalCliTrustsIt() throws Exception {
        var tls = ClusterPki.ensure(dir.resolve("api-ca")).issue("api", dir.resolve("api-tls"), List.of("127.0.0.1"));
        Path state = dir.resolve("state");
        try (var cluster = TestCluster.start(state, 0, "--api-tls-cert", tls.cert().toString(), "--api-tls-key", tls.key().toString())) {
            String url = cluster.state.apiUrl();
            assertTrue(url.startsWith("https://127.0.0.1:"), url);
            assertEquals("ok", cluster.api.get("/api/v1/health").path("status").asText());
            assertTrue(cluster.api.get("/api/v1/nodes").size() >= 1, "the admin token works over HTTPS");
            assertEquals(0, Main.run("nodes", "--state-dir", state.toString()), "the CLI finds and trusts the local cluster's API");

            // plain HTTP on the same port: no answer a client could use
            var plain = HttpClient.newHttpClient();
            assertThrows(Exception.class, () -> {
                var r = plain.send(HttpRequest.newBuilder(URI.create(url.replace("https://", "http://") + "/api/v1/health")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) throw new AssertionError("not reached");
                throw new IllegalStateException("HTTP " + r.statusCode());
            });
            // a client that does not trust the certificate refuses the server, saying why
            var stranger = new ApiClient(url, null);
            var e = assertThrows(CliException.class, () -> stranger.get("/api/v1/health"));
            assertTrue(e.getMessage().contains("failed the TLS handshake"), e.getMessage());
        }
    }
}
