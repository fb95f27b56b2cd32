package io.spottrain.launchers.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.coordinator.state.IgniteStateStore;
import io.spottrain.coordinator.state.StateStore;
import io.spottrain.coordinator.state.Table;
import io.spottrain.protocol.tls.NodeTls;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.ignite.Ignition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control plane's Ignite nodes over mutual TLS (real Ignite, in one JVM): a node with a
 * certificate of the cluster CA joins the store; one with a certificate it made itself (even
 * trusting the cluster CA) does not, and sees nothing.
 */
@Timeout(120)
class StateStoreTlsTest {
    @TempDir
    Path dir;

    static int freePort() throws IOException {
        try (var s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    IgniteStateStore.Settings settings(String id, int disco, List<String> peers, NodeTls tls) throws IOException {
        return new IgniteStateStore.Settings(id, dir.resolve(id), "127.0.0.1", disco, freePort(), peers, tls);
    }

    @Test
    void onlyNodesWithACertificateOfTheClusterCaJoinTheStore() throws Exception {
        var pki = ClusterPki.ensure(dir.resolve("cluster"));
        int discoA = freePort();
        List<String> peers = List.of("127.0.0.1:" + discoA);
        try (StateStore a = IgniteStateStore.start(settings("tls-a", discoA, peers, pki.issue("tls-a", dir.resolve("tls-a-certs"))))) {
            a.write(List.of(new StateStore.Put(Table.CONTROL, "k", "{\"v\":1}")));

            // an intruder that trusts the cluster CA but holds only a certificate it signed itself
            Path bad = dir.resolve("intruder-certs");
            ClusterPki.ensure(dir.resolve("foreign")).issue("intruder", bad);
            Files.copy(ClusterPki.dir(dir.resolve("cluster")).resolve("ca.crt"), bad.resolve("ca.crt"), StandardCopyOption.REPLACE_EXISTING);
            var intruderSettings = settings("tls-intruder", freePort(), peers, NodeTls.in(bad));
            var intruder = CompletableFuture.supplyAsync(() -> IgniteStateStore.start(intruderSettings));
            try {
                intruder.get(30, TimeUnit.SECONDS).close();
                throw new AssertionError("a node with a self-made certificate joined the state store");
            } catch (ExecutionException refused) {
                // the cluster's node asked for its certificate and refused the handshake
                assertTrue(refused.getCause().getMessage().contains("bad_certificate"), refused.getCause().getMessage());
            } finally {
                Ignition.stop("tls-intruder", true);
            }
            assertTrue(a.describe().startsWith("ignite (1 control node(s)"), a.describe());

            int discoB = freePort();
            try (StateStore b = IgniteStateStore.start(settings("tls-b", discoB, List.of("127.0.0.1:" + discoA, "127.0.0.1:" + discoB),
                    pki.issue("tls-b", dir.resolve("tls-b-certs"))))) {
                assertTrue(a.describe().startsWith("ignite (2 control node(s)"), a.describe());
                assertEquals("{\"v\":1}", b.get(Table.CONTROL, "k").orElseThrow(), "a node of the cluster reads the store");
            }
        }
    }
}
