package io.spottrain.launchers.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.checkpoint.Progress;
import io.spottrain.checkpoint.restore.PeerSource;
import io.spottrain.checkpoint.restore.PeerTierServer;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import io.spottrain.protocol.tls.NodeTls;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent's peer checkpoint server over mutual TLS: a node of the cluster restores from it; a
 * caller without a certificate, or with one it made itself, gets nothing; a request for a job the
 * node does not hold is 404 and creates nothing.
 */
class PeerTierTlsTest {
    @TempDir
    Path dir;

    @Test
    void onlyClusterNodesReadAPeersLocalTier() throws Exception {
        var pki = ClusterPki.ensure(dir.resolve("cluster"));
        SSLContext serverTls = pki.issue("node1", dir.resolve("node1-tls"), List.of("127.0.0.1")).sslContext();
        SSLContext clientTls = pki.issue("node2", dir.resolve("node2-tls"), List.of("127.0.0.1")).sslContext();
        var tier = new CheckpointDir(dir.resolve("node1/checkpoints/j"));
        tier.write(20, 2, 1, "j", Map.of("params.bin", "params@20".getBytes()), Map.of(), Map.of());
        Path checkpoints = dir.resolve("node1/checkpoints");
        try (var server = new PeerTierServer("127.0.0.1", 0,
                job -> Files.isDirectory(checkpoints.resolve(job)) ? new CheckpointDir(checkpoints.resolve(job)) : null, serverTls)) {
            assertTrue(server.url().startsWith("https://127.0.0.1:"), server.url());
            var peer = new PeerSource("node1", server.url(), clientTls);
            assertEquals(List.of(20L), peer.steps("j"));
            var mine = new CheckpointDir(dir.resolve("node2/checkpoints/j"));
            peer.fetchInto("j", 20, mine, Progress.NONE);
            assertTrue(mine.isCommitted(20), "restored and verified from the peer");

            // no certificate at all: trusts the cluster CA, presents nothing
            var anonymous = SSLContext.getInstance("TLS");
            anonymous.init(null, new TrustManager[] {NodeTls.in(dir.resolve("node2-tls")).trustManager()}, null);
            assertThrows(IOException.class, () -> get(anonymous, server.url() + "/checkpoints/j/steps"));
            assertEquals(List.of(), new PeerSource("x", server.url(), anonymous).steps("j"));

            // a self-made certificate that trusts the cluster CA
            Path bad = dir.resolve("intruder-tls");
            ClusterPki.ensure(dir.resolve("foreign")).issue("intruder", bad, List.of("127.0.0.1"));
            Files.copy(ClusterPki.dir(dir.resolve("cluster")).resolve("ca.crt"), bad.resolve("ca.crt"), StandardCopyOption.REPLACE_EXISTING);
            assertThrows(IOException.class, () -> get(NodeTls.in(bad).sslContext(), server.url() + "/checkpoints/j/step-20/params.bin"));

            // a job this node does not hold: 404, and nothing is made for it
            assertEquals(404, get(clientTls, server.url() + "/checkpoints/nosuchjob/steps").statusCode());
            assertFalse(Files.exists(checkpoints.resolve("nosuchjob")));
        }
    }

    static HttpResponse<String> get(SSLContext tls, String url) throws IOException, InterruptedException {
        var http = HttpClient.newBuilder().sslContext(tls).build();
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
