package io.spottrain.protocol.tls;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.remote.artery.tcp.SSLEngineProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;

/**
 * Artery's TLS for a spottrain cluster (TLS 1.3, {@link NodeTls} files named by
 * {@code spottrain.cluster-tls.dir}): each end presents its node certificate, trusts only the
 * cluster CA, and requires the peer's certificate to carry {@link NodeTls#CLUSTER_SAN}. Unlike
 * Pekko's own providers it says on the refusing side why a connection was refused (no
 * certificate, one the cluster CA did not sign, one not made for this cluster), so an operator
 * sees who tried to join.
 */
public final class ClusterSslEngineProvider implements SSLEngineProvider {
    private static final Logger log = LoggerFactory.getLogger(ClusterSslEngineProvider.class);
    /** Config key of the directory with node.crt, node.key, ca.crt. */
    public static final String DIR = "spottrain.cluster-tls.dir";
    private static final String[] PROTOCOLS = {"TLSv1.3"};

    private final SSLContext context;

    public ClusterSslEngineProvider(ActorSystem system) {
        this.context = NodeTls.in(Path.of(system.settings().config().getString(DIR))).sslContext();
    }

    @Override
    public SSLEngine createServerSSLEngine(String hostname, int port) {
        SSLEngine e = context.createSSLEngine(hostname, port);
        e.setUseClientMode(false);
        e.setEnabledProtocols(PROTOCOLS);
        // "want": a client without a certificate completes the handshake and is refused (and logged) in verifyClientSession
        e.setWantClientAuth(true);
        return e;
    }

    @Override
    public SSLEngine createClientSSLEngine(String hostname, int port) {
        SSLEngine e = context.createSSLEngine(hostname, port);
        e.setUseClientMode(true);
        e.setEnabledProtocols(PROTOCOLS);
        return e;
    }

    /** Called on the connecting side, about the node it connected to. */
    @Override
    public Option<Throwable> verifyClientSession(String hostname, SSLSession session) {
        return verify("to", session);
    }

    /** Called on the accepting side, about the node that connected. */
    @Override
    public Option<Throwable> verifyServerSession(String hostname, SSLSession session) {
        return verify("from", session);
    }

    private Option<Throwable> verify(String direction, SSLSession session) {
        String peer = RefusalLoggingTrustManager.peer(session.getPeerHost(), session.getPeerPort());
        X509Certificate cert;
        try {
            cert = (X509Certificate) session.getPeerCertificates()[0];
        } catch (SSLPeerUnverifiedException e) {
            log.warn("refused a cluster connection {} {}: it presented no certificate (only holders of a certificate of this cluster's "
                    + "CA may join)", direction, peer);
            return Option.apply(e);
        }
        if (!NodeTls.clusterSan(cert)) {
            log.warn("refused a cluster connection {} {}: certificate {} is not a spottrain cluster node certificate (no SAN {})",
                    direction, peer, cert.getSubjectX500Principal().getName(), NodeTls.CLUSTER_SAN);
            return Option.apply(new SSLPeerUnverifiedException("peer certificate has no SAN " + NodeTls.CLUSTER_SAN));
        }
        return Option.empty();
    }
}
