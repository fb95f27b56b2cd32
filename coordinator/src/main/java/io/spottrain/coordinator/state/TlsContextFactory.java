package io.spottrain.coordinator.state;

import io.spottrain.protocol.tls.NodeTls;
import java.nio.file.Path;
import javax.cache.configuration.Factory;
import javax.net.ssl.SSLContext;

/**
 * Ignite's SSL context (discovery and communication) from this control node's {@link NodeTls}
 * files: it presents the node's certificate and trusts only the cluster CA; Ignite asks the peer
 * for its certificate on both, so a process without one signed by the CA cannot join the store.
 */
final class TlsContextFactory implements Factory<SSLContext> {
    private static final long serialVersionUID = 1L;

    private final String dir;

    TlsContextFactory(NodeTls tls) {
        this.dir = tls.cert().getParent().toString();
    }

    @Override
    public SSLContext create() {
        return NodeTls.in(Path.of(dir)).sslContext();
    }
}
