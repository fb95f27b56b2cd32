package io.spottrain.protocol.tls;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * A cluster node's TLS identity: PEM files in one directory, {@code node.crt} (signed by the
 * cluster CA), {@code node.key} (PKCS#8 RSA, owner-only) and {@code ca.crt} (the cluster CA: the
 * only issuer whose certificates are trusted). Every certificate of a cluster carries the SAN
 * {@link #CLUSTER_SAN}, which Pekko's provider checks on both ends. Used for the Pekko cluster
 * (Artery over TLS with mutual authentication) and the control plane's Ignite nodes.
 */
public record NodeTls(Path cert, Path key, Path ca) {
    public static final String CERT = "node.crt";
    public static final String KEY = "node.key";
    public static final String CA = "ca.crt";
    /** The subject alternative name every node certificate of a spottrain cluster shares. */
    public static final String CLUSTER_SAN = "spottrain-cluster";
    /**
     * The name only control nodes' certificates carry besides {@link #CLUSTER_SAN}: an agent that enrolls checks it on the
     * server it sends its instance identity to (another agent's certificate, from the same CA, does not carry it).
     */
    public static final String CONTROL_SAN = "spottrain-control";

    /** The identity in {@code dir}; the error names the first file missing. */
    public static NodeTls in(Path dir) {
        var t = new NodeTls(dir.resolve(CERT).toAbsolutePath(), dir.resolve(KEY).toAbsolutePath(), dir.resolve(CA).toAbsolutePath());
        for (Path f : List.of(t.cert, t.key, t.ca)) {
            if (!Files.isRegularFile(f)) {
                throw new IllegalArgumentException("no " + f.getFileName() + " in the TLS directory " + dir
                        + " (a node needs node.crt, node.key and ca.crt from its cluster's CA; see docs/security.md)");
            }
        }
        return t;
    }

    /** Pekko settings: Artery over TLS 1.3, both ends present a certificate of the cluster CA ({@link ClusterSslEngineProvider}). */
    public Config artery() {
        return ConfigFactory.parseMap(Map.of(
                "pekko.remote.artery.transport", "tls-tcp",
                "pekko.remote.artery.ssl.ssl-engine-provider", ClusterSslEngineProvider.class.getName(),
                ClusterSslEngineProvider.DIR, cert.getParent().toString()));
    }

    /** An SSL context that presents this node's certificate and trusts only the cluster CA, logging every certificate it refuses. */
    public SSLContext sslContext() {
        try {
            var ctx = SSLContext.getInstance("TLS");
            ctx.init(keyManagers(), new TrustManager[] {new RefusalLoggingTrustManager(trustManager())}, new SecureRandom());
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot load the node's TLS identity from " + cert.getParent() + ": " + e.getMessage(), e);
        }
    }

    /** Presents this node's certificate (and key). */
    public KeyManager[] keyManagers() {
        try {
            return keyManagers(cert, key);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot load the node's key and certificate from " + cert.getParent() + ": " + e.getMessage(), e);
        }
    }

    private static KeyManager[] keyManagers(Path certPem, Path keyPem) throws GeneralSecurityException, IOException {
        var keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        char[] none = new char[0];
        keys.setKeyEntry("key", privateKey(keyPem), none, certificates(certPem).toArray(Certificate[]::new));
        var kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, none);
        return kmf.getKeyManagers();
    }

    /** Trusts certificates of the cluster CA only. */
    public X509TrustManager trustManager() {
        try {
            var trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            int i = 0;
            for (X509Certificate c : certificates(ca)) trusted.setCertificateEntry("ca" + i++, c);
            var tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted);
            for (TrustManager t : tmf.getTrustManagers()) if (t instanceof X509TrustManager x) return x;
            throw new GeneralSecurityException("no X.509 trust manager in this JVM");
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot load the cluster CA from " + ca + ": " + e.getMessage(), e);
        }
    }

    /**
     * A server-only context from a PEM certificate (chain) and its PKCS#8 private key (RSA or EC):
     * the API's HTTPS ({@code --tls-cert/--tls-key}). Errors name the file.
     */
    public static SSLContext server(Path certPem, Path keyPem) {
        try {
            var ctx = SSLContext.getInstance("TLS");
            ctx.init(keyManagers(certPem, keyPem), null, new SecureRandom());
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot use " + certPem + " / " + keyPem + " for TLS: " + e.getMessage(), e);
        }
    }

    /** A client context that trusts the certificates in {@code pem} (a CA, or a server's own certificate). */
    public static SSLContext trusting(Path pem) {
        try {
            var trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            int i = 0;
            for (X509Certificate c : certificates(pem)) trusted.setCertificateEntry("t" + i++, c);
            var tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted);
            var ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), new SecureRandom());
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot trust " + pem + ": " + e.getMessage(), e);
        }
    }

    static List<X509Certificate> certificates(Path pem) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(pem)) {
            var out = new ArrayList<X509Certificate>();
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) out.add((X509Certificate) c);
            if (out.isEmpty()) throw new GeneralSecurityException(pem + " holds no certificate");
            return out;
        }
    }

    static PrivateKey privateKey(Path pem) throws IOException, GeneralSecurityException {
        String text = Files.readString(pem);
        int from = text.indexOf("-----BEGIN PRIVATE KEY-----");
        int to = text.indexOf("-----END PRIVATE KEY-----");
        if (from < 0 || to < 0) throw new GeneralSecurityException(pem + " is not a PKCS#8 PEM private key (BEGIN PRIVATE KEY)");
        byte[] der = Base64.getMimeDecoder().decode(text.substring(from + 27, to));
        try {
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException notRsa) {
            return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
        }
    }

    /** Whether {@code cert} is a spottrain cluster node certificate (carries {@link #CLUSTER_SAN}). */
    public static boolean clusterSan(X509Certificate cert) {
        return hasName(cert, CLUSTER_SAN);
    }

    /** Whether {@code cert} is a control node's (carries {@link #CONTROL_SAN} too). */
    public static boolean controlSan(X509Certificate cert) {
        return clusterSan(cert) && hasName(cert, CONTROL_SAN);
    }

    private static boolean hasName(X509Certificate cert, String name) {
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            return sans != null && sans.stream().anyMatch(s -> name.equals(s.get(1)));
        } catch (CertificateParsingException e) {
            return false;
        }
    }
}
