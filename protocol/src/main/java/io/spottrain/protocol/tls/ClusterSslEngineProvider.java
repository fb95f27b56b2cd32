package io.spottrain.protocol.tls;

import java.net.Socket;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
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
        String peer = peer(session.getPeerHost(), session.getPeerPort());
        X509Certificate cert;
        try {
            cert = (X509Certificate) session.getPeerCertificates()[0];
        } catch (SSLPeerUnverifiedException e) {
            log.warn("refused a cluster connection {} {}: it presented no certificate (only holders of a certificate of this cluster's "
                    + "CA may join)", direction, peer);
            return Option.apply(e);
        }
        if (!clusterSan(cert)) {
            log.warn("refused a cluster connection {} {}: certificate {} is not a spottrain cluster node certificate (no SAN {})",
                    direction, peer, cert.getSubjectX500Principal().getName(), NodeTls.CLUSTER_SAN);
            return Option.apply(new SSLPeerUnverifiedException("peer certificate has no SAN " + NodeTls.CLUSTER_SAN));
        }
        return Option.empty();
    }

    /** The peer as the engine knows it (an accepting engine does not know the remote port: Pekko passes 0). */
    static String peer(String host, int port) {
        if (host == null) return "a peer";
        return port > 0 ? host + ":" + port : "a peer (via " + host + ")";
    }

    static boolean clusterSan(X509Certificate cert) {
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            return sans != null && sans.stream().anyMatch(s -> NodeTls.CLUSTER_SAN.equals(s.get(1)));
        } catch (CertificateParsingException e) {
            return false;
        }
    }

    /** Trusts what the cluster CA trusts; logs (on this side) every certificate it refuses. */
    static final class LoggingTrustManager extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager delegate;

        LoggingTrustManager(X509TrustManager delegate) {
            this.delegate = (X509ExtendedTrustManager) delegate;
        }

        private static CertificateException refused(String direction, String peer, X509Certificate[] chain, CertificateException e) {
            String subject = chain == null || chain.length == 0 ? "(none)" : chain[0].getSubjectX500Principal().getName();
            log.warn("refused a cluster connection {} {}: certificate {} is not signed by this cluster's CA ({})", direction, peer, subject,
                    e.getMessage());
            return e;
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            try {
                delegate.checkClientTrusted(chain, authType, engine);
            } catch (CertificateException e) {
                throw refused("from", peer(engine.getPeerHost(), engine.getPeerPort()), chain, e);
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            try {
                delegate.checkServerTrusted(chain, authType, engine);
            } catch (CertificateException e) {
                throw refused("to", peer(engine.getPeerHost(), engine.getPeerPort()), chain, e);
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            delegate.checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            delegate.checkServerTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            delegate.checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            delegate.checkServerTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return delegate.getAcceptedIssuers();
        }
    }
}
