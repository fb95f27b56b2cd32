package io.spottrain.protocol.tls;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trusts what the cluster CA trusts and logs (on the refusing side, under ClusterSslEngineProvider's
 * logger) every certificate it refuses.
 */
public final class RefusalLoggingTrustManager extends X509ExtendedTrustManager {
    /** The provider's logger name (this class must not load the provider: it needs Pekko, the checkpoint store does not). */
    private static final Logger log = LoggerFactory.getLogger("io.spottrain.protocol.tls.ClusterSslEngineProvider");

    private final X509ExtendedTrustManager delegate;

    public RefusalLoggingTrustManager(X509TrustManager delegate) {
        this.delegate = (X509ExtendedTrustManager) delegate;
    }

    /** The peer as the engine knows it (an accepting engine does not know the remote port: Pekko passes 0). */
    static String peer(String host, int port) {
        if (host == null) return "a peer";
        return port > 0 ? host + ":" + port : "a peer (via " + host + ")";
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
