package io.spottrain.checkpoint.restore;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import io.spottrain.protocol.json.Json;
import io.spottrain.protocol.tls.NodeTls;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * An agent serves its local tier to peers (read-only): {@code GET /checkpoints/<job>/steps} lists
 * committed steps (newest first) and {@code GET /checkpoints/<job>/step-<n>/<file>} returns a file
 * of a committed step. Only plain names of jobs this node holds are served; anything else is 404
 * and creates nothing. With a TLS context (every real cluster: the node's certificate of the
 * cluster CA) it serves HTTPS and requires the caller's certificate of the same CA with the
 * cluster SAN (403 otherwise); 4 threads serve, and a request must arrive within 10 s.
 */
public final class PeerTierServer implements AutoCloseable {
    private static final Pattern STEPS = Pattern.compile("/checkpoints/([A-Za-z0-9._-]+)/steps");
    private static final Pattern FILE = Pattern.compile("/checkpoints/([A-Za-z0-9._-]+)/step-(\\d+)/([A-Za-z0-9._-]+)");

    static {
        // the JDK server's own bound on reading a request (seconds); set before its first use in this JVM
        if (System.getProperty("sun.net.httpserver.maxReqTime") == null) System.setProperty("sun.net.httpserver.maxReqTime", "10");
    }

    private final HttpServer server;
    private final Function<String, CheckpointDir> tierOfJob;
    private final boolean tls;

    /** Plain HTTP, for tests in one JVM: {@code tierOfJob} maps a job id to its local tier on this node (null: none). */
    public PeerTierServer(String host, int port, Function<String, CheckpointDir> tierOfJob) throws IOException {
        this(host, port, tierOfJob, null);
    }

    /** HTTPS with client certificates when {@code tls} is given (see the class comment). */
    public PeerTierServer(String host, int port, Function<String, CheckpointDir> tierOfJob, SSLContext tls) throws IOException {
        this.tierOfJob = tierOfJob;
        this.tls = tls != null;
        if (tls != null) {
            var https = HttpsServer.create(new InetSocketAddress(host, port), 16);
            https.setHttpsConfigurator(new HttpsConfigurator(tls) {
                @Override
                public void configure(HttpsParameters params) {
                    SSLParameters p = tls.getDefaultSSLParameters();
                    p.setNeedClientAuth(true);
                    p.setProtocols(new String[] {"TLSv1.3"});
                    params.setSSLParameters(p);
                }
            });
            this.server = https;
        } else {
            this.server = HttpServer.create(new InetSocketAddress(host, port), 16);
        }
        server.setExecutor(Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "peer-tier");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/checkpoints/", this::handle);
        server.start();
    }

    public String url() {
        return (tls ? "https://" : "http://") + server.getAddress().getHostString() + ":" + server.getAddress().getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            Matcher s = STEPS.matcher(path);
            Matcher f = FILE.matcher(path);
            if (ex instanceof HttpsExchange https && !clusterPeer(https)) {
                send(ex, 403, new byte[0]);
            } else if (!ex.getRequestMethod().equals("GET")) {
                send(ex, 405, new byte[0]);
            } else if (s.matches()) {
                CheckpointDir tier = tierOfJob.apply(s.group(1));
                if (tier == null) {
                    send(ex, 404, new byte[0]);
                    return;
                }
                send(ex, 200, Json.write(tier.committedSteps()).getBytes());
            } else if (f.matches()) {
                CheckpointDir tier = tierOfJob.apply(f.group(1));
                if (tier == null) {
                    send(ex, 404, new byte[0]);
                    return;
                }
                long step = Long.parseLong(f.group(2));
                Path file = tier.stepDir(step).resolve(f.group(3));
                if (!tier.isCommitted(step) || !Files.isRegularFile(file)) {
                    send(ex, 404, new byte[0]);
                    return;
                }
                ex.sendResponseHeaders(200, Files.size(file));
                try (OutputStream out = ex.getResponseBody()) {
                    Files.copy(file, out);
                }
            } else {
                send(ex, 404, new byte[0]);
            }
        }
    }

    /** The caller presented a certificate of the cluster CA (checked by the handshake) made for a cluster node. */
    private static boolean clusterPeer(HttpsExchange ex) {
        try {
            var certs = ex.getSSLSession().getPeerCertificates();
            return certs.length > 0 && certs[0] instanceof X509Certificate c && NodeTls.clusterSan(c);
        } catch (SSLPeerUnverifiedException e) {
            return false;
        }
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) ex.getResponseBody().write(body);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
