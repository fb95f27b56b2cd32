package io.spottrain.agent.node;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.protocol.json.Json;
import io.spottrain.protocol.tls.NodeTls;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.net.ssl.HttpsURLConnection;
import software.amazon.awssdk.services.ssm.SsmClient;
import java.security.KeyFactory;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * An EC2 agent's own certificate, asked for when it boots without one: it makes its key pair (the
 * private key never leaves the machine), sends its instance identity document and AWS's signature
 * over it with the public key to a control node's enrollment endpoint, and writes the certificate
 * it gets, named by its instance id, beside the key into its TLS directory. It talks only to a
 * server whose certificate the cluster CA signed and that is a control node's
 * ({@link NodeTls#CONTROL_SAN}, checked in the TLS handshake itself, whatever the address): another
 * agent, whose certificate the same CA signed, cannot pose as one to collect identity documents.
 * The key it made is kept ({@code enroll.key}, owner-only) until a certificate is written for it,
 * so an attempt whose reply was lost is answered again for the same key. The CA comes first, from SSM ({@code <join path>/ca.crt},
 * the instance role) or already in the directory. {@code bin/spottrain-agent} runs {@link #main}
 * when {@code SPOTTRAIN_ENROLL_URLS} is set and the directory holds no valid certificate.
 */
public final class Enrollment {
    private Enrollment() {}

    /** The machine's signed identity: the document exactly as served, and AWS's PKCS#7 signature (base64). */
    public interface Identity {
        String document() throws IOException;

        String pkcs7() throws IOException;
    }

    /** From instance metadata (IMDSv2). */
    public static Identity imds(InstanceMetadata md) {
        return new Identity() {
            @Override
            public String document() throws IOException {
                String d = md.raw("/latest/dynamic/instance-identity/document");
                if (d == null) throw new IOException("instance metadata has no instance identity document (not an EC2 instance?)");
                return d;
            }

            @Override
            public String pkcs7() throws IOException {
                String s = md.raw("/latest/dynamic/instance-identity/pkcs7");
                if (s == null) throw new IOException("instance metadata has no instance identity signature");
                return s;
            }
        };
    }

    /**
     * Enrolls with the first control node of {@code urls} that answers (a refusal, 4xx, is final: the next would say the
     * same), writes {@code node.key} (owner-only), {@code node.crt} and keeps {@code ca.crt}, which must be in {@code dir}.
     */
    public static NodeTls enroll(List<URI> urls, Path dir, Identity identity, Duration timeout) throws JoinMaterial.JoinException {
        Path caFile = dir.resolve(NodeTls.CA);
        if (!Files.isRegularFile(caFile)) throw new JoinMaterial.JoinException("no cluster CA in " + caFile + " to check the control nodes with");
        KeyPair kp;
        String body;
        SSLContext tls;
        try {
            kp = pendingKey(dir);
            body = Json.write(Map.of("document", identity.document(), "pkcs7", identity.pkcs7(),
                    "publicKey", Base64.getEncoder().encodeToString(kp.getPublic().getEncoded())));
            tls = controlNodesOnly(caFile);
        } catch (GeneralSecurityException | IOException e) {
            throw new JoinMaterial.JoinException("cannot prepare the enrollment: " + e.getMessage());
        }
        var failures = new ArrayList<String>();
        for (URI url : urls) {
            try {
                var c = (HttpsURLConnection) url.resolve("/v1/enroll").toURL().openConnection();
                c.setSSLSocketFactory(tls.getSocketFactory());
                // the handshake checked the chain and the control SAN; the address it was reached at is not in its certificate
                c.setHostnameVerifier((host, session) -> true);
                c.setConnectTimeout((int) timeout.toMillis());
                c.setReadTimeout((int) timeout.toMillis());
                c.setRequestMethod("POST");
                c.setDoOutput(true);
                c.setRequestProperty("Content-Type", "application/json");
                try (OutputStream out = c.getOutputStream()) {
                    out.write(body.getBytes(StandardCharsets.UTF_8));
                }
                int status = c.getResponseCode();
                JsonNode reply;
                try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
                    reply = in == null ? Json.MAPPER.createObjectNode() : Json.MAPPER.readTree(in);
                }
                if (status == 201) {
                    var written = written(reply, kp, dir, caFile);
                    Files.deleteIfExists(dir.resolve(PENDING_KEY));
                    return written;
                }
                String why = url + " answered " + status + ": " + reply.path("error").asText("(no reason)");
                if (status >= 400 && status < 500) throw new JoinMaterial.JoinException(why);
                failures.add(why);
            } catch (IOException e) {
                failures.add(url + ": " + e.getMessage());
            }
        }
        throw new JoinMaterial.JoinException("no control node enrolled this machine: " + String.join("; ", failures));
    }

    /** The key this machine enrolls with: made once and kept (owner-only) until its certificate is written. */
    static final String PENDING_KEY = "enroll.key";

    private static KeyPair pendingKey(Path dir) throws IOException, GeneralSecurityException {
        Path f = dir.resolve(PENDING_KEY);
        if (Files.isRegularFile(f)) {
            byte[] der = Base64.getMimeDecoder().decode(Files.readString(f).replaceAll("-----(BEGIN|END) PRIVATE KEY-----", ""));
            var priv = (RSAPrivateCrtKey) KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
            var pub = KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(priv.getModulus(), priv.getPublicExponent()));
            return new KeyPair(pub, priv);
        }
        var g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        var kp = g.generateKeyPair();
        Path tmp = dir.resolve(PENDING_KEY + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, pem(kp));
        Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return kp;
    }

    private static String pem(KeyPair kp) {
        return "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(kp.getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n";
    }

    /** Trusts the cluster CA's certificates that are control nodes' only ({@link NodeTls#controlSan}), in the handshake. */
    private static SSLContext controlNodesOnly(Path caFile) throws GeneralSecurityException {
        X509TrustManager ca = new NodeTls(caFile, caFile, caFile).trustManager();
        var onlyControl = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                throw new CertificateException("an enrolling agent serves nothing");
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                ca.checkServerTrusted(chain, authType);
                if (!NodeTls.controlSan(chain[0])) {
                    throw new CertificateException(chain[0].getSubjectX500Principal().getName() + " is not a control node's certificate");
                }
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return ca.getAcceptedIssuers();
            }
        };
        var ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {onlyControl}, new SecureRandom());
        return ctx;
    }

    private static NodeTls written(JsonNode reply, KeyPair kp, Path dir, Path caFile) throws JoinMaterial.JoinException, IOException {
        String ca = Files.readString(caFile);
        if (!sameCertificates(ca, reply.path("ca").asText(""))) {
            throw new JoinMaterial.JoinException("the control node's CA is not the one in " + caFile);
        }
        var m = new JoinMaterial.Material(ca, reply.path("certificate").asText(""), pem(kp));
        JoinMaterial.check(m); // signed by the CA, valid now, the cluster's, and for this key
        return JoinMaterial.write(m, dir);
    }

    private static boolean sameCertificates(String a, String b) {
        return Arrays.equals(der(a), der(b));
    }

    private static byte[] der(String pem) {
        String b64 = pem.replaceAll("-----(BEGIN|END) CERTIFICATE-----", "").replaceAll("\\s", "");
        try {
            return Base64.getDecoder().decode(b64);
        } catch (IllegalArgumentException e) {
            return new byte[0];
        }
    }

    /** The CA only, from SSM ({@code <path>/ca.crt}): public, but read with the instance role like the rest of the join material. */
    static void fetchCa(SsmClient ssm, String path, Path dir) throws JoinMaterial.JoinException, IOException {
        String name = JoinMaterial.names(path).get(0);
        String pem;
        try { // ssm:GetParameters, the action the agents' policy grants (examples/iam/agent-policy.json)
            var r = ssm.getParameters(b -> b.names(name).withDecryption(true));
            if (!r.hasParameters() || r.parameters().isEmpty()) {
                throw new JoinMaterial.JoinException("no SSM parameter " + name + " (publish it with `spottrain ec2 publish-join`)");
            }
            pem = r.parameters().get(0).value();
        } catch (RuntimeException e) {
            throw new JoinMaterial.JoinException("reading the cluster CA from SSM (" + name + ") failed: " + e.getMessage());
        }
        if (!Files.isDirectory(dir)) Files.createDirectories(dir);
        Files.writeString(dir.resolve(NodeTls.CA), pem.endsWith("\n") ? pem : pem + "\n");
    }

    /**
     * {@code Enrollment URLS TLS-DIR [SSM-PATH]}: URLS comma-separated {@code https://host:port}. A directory that holds a
     * certificate valid for another day is kept (a restarted agent); otherwise the CA is read (from SSM where a path is
     * given), then the machine enrolls. Exit 1 with the reason.
     */
    public static void main(String[] args) {
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: Enrollment URLS TLS-DIR [SSM-PATH]");
            System.exit(2);
        }
        Path dir = Path.of(args[1]);
        if (JoinMaterial.currentIn(dir, Duration.ofDays(1))) return;
        var urls = Arrays.stream(args[0].split(",")).map(String::strip).filter(s -> !s.isEmpty()).map(URI::create).toList();
        try {
            if (args.length == 3) {
                try (SsmClient ssm = JoinMaterial.client(System.getenv())) {
                    fetchCa(ssm, args[2], dir);
                }
            }
            String imds = System.getenv().getOrDefault("SPOTTRAIN_IMDS", "auto");
            URI endpoint = imds.equals("auto") || imds.isBlank() ? InstanceMetadata.EC2_ENDPOINT : URI.create(imds);
            try (var md = new InstanceMetadata(endpoint, Duration.ofSeconds(2))) {
                var tls = enroll(urls, dir, imds(md), Duration.ofSeconds(10));
                System.err.println("spottrain-agent: enrolled: a certificate of its own in " + tls.cert());
            }
        } catch (JoinMaterial.JoinException | IOException | RuntimeException e) {
            System.err.println("spottrain-agent: " + e.getMessage());
            System.exit(1);
        }
    }
}
