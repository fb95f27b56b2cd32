package io.spottrain.agent.node;

import io.spottrain.protocol.tls.NodeTls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.Parameter;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * An agent's join material from SSM Parameter Store, read with the instance role: three
 * {@code SecureString} parameters under one path (the fleet config's {@code agent.joinParameter}),
 * {@code <path>/ca.crt}, {@code <path>/node.crt} and {@code <path>/node.key} (three, because a
 * standard parameter holds 4 KB and the three PEMs together are about that), written into the
 * agent's TLS directory as {@link NodeTls} reads them (the key owner-only). Nothing goes in user
 * data, which every process on the machine can read from IMDS. Checked before anything is written:
 * the certificate is signed by the CA, is valid now, names the cluster ({@link NodeTls#CLUSTER_SAN})
 * and belongs to the key, so a wrong or half-rotated parameter set fails here, saying which,
 * instead of as a TLS handshake error on every seed. Values are never printed.
 * {@code bin/spottrain-agent} runs {@link #main} when its TLS directory is empty and
 * {@code SPOTTRAIN_JOIN_PARAMETER} is set; {@code spottrain ec2 publish-join} writes the parameters.
 */
public final class JoinMaterial {
    /** The parameter under the path for each file of the TLS directory, in this order. */
    public static final List<String> FILES = List.of(NodeTls.CA, NodeTls.CERT, NodeTls.KEY);

    /** What is wrong with the join material or reading it (the message names the parameter or the cause; never a value). */
    public static final class JoinException extends Exception {
        public JoinException(String message) {
            super(message);
        }
    }

    /** The three PEM texts. */
    public record Material(String ca, String cert, String key) {
        @Override
        public String toString() {
            return "Material[ca, cert, key: not shown]";
        }
    }

    private JoinMaterial() {}

    /** The parameter names under {@code path} (no trailing slash), in the order of {@link #FILES}. */
    public static List<String> names(String path) {
        String base = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        return FILES.stream().map(f -> base + "/" + f).toList();
    }

    /** Reads the three parameters (decrypted) in one call; a missing one is named. */
    public static Material fetch(SsmClient ssm, String path) throws JoinException {
        var names = names(path);
        Map<String, String> values = new HashMap<>();
        try {
            var r = ssm.getParameters(b -> b.names(names).withDecryption(true));
            if (r.hasInvalidParameters() && !r.invalidParameters().isEmpty()) {
                throw new JoinException("no SSM parameter " + String.join(", ", r.invalidParameters()) + " (publish the join material with "
                        + "`spottrain ec2 publish-join`)");
            }
            for (Parameter p : r.parameters()) {
                // a plain String would be readable by anyone allowed ssm:GetParameters without KMS: refuse it
                if (p.type() != ParameterType.SECURE_STRING) throw new JoinException("SSM parameter " + p.name() + " is a " + p.typeAsString()
                        + ", not a SecureString: publish it again with `spottrain ec2 publish-join`");
                values.put(p.name(), p.value());
            }
        } catch (SdkException e) {
            throw new JoinException("reading the join material from SSM (" + path + ") failed: " + e.getMessage());
        }
        var missing = new ArrayList<String>();
        for (String n : names) if (values.get(n) == null || values.get(n).isBlank()) missing.add(n);
        if (!missing.isEmpty()) throw new JoinException("SSM did not return " + String.join(", ", missing));
        return new Material(values.get(names.get(0)), values.get(names.get(1)), values.get(names.get(2)));
    }

    /**
     * Checks that the material makes a node of the cluster: the certificate is signed by the CA,
     * valid now, carries the cluster's name and matches the key (RSA PKCS#8, as the agent's TLS reads it).
     */
    public static void check(Material m) throws JoinException {
        X509Certificate ca = certificate(m.ca(), NodeTls.CA);
        X509Certificate cert = certificate(m.cert(), NodeTls.CERT);
        if (ca.getBasicConstraints() < 0) throw new JoinException(NodeTls.CA + " is not a CA certificate");
        try {
            ca.checkValidity();
        } catch (GeneralSecurityException e) {
            throw new JoinException(NodeTls.CA + " is not valid now (" + e.getMessage() + ")");
        }
        try {
            cert.verify(ca.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new JoinException(NodeTls.CERT + " is not signed by the CA in " + NodeTls.CA + " (" + e.getMessage() + ")");
        }
        try {
            cert.checkValidity();
        } catch (GeneralSecurityException e) {
            throw new JoinException(NodeTls.CERT + " is not valid now (" + e.getMessage() + "; not after " + cert.getNotAfter().toInstant()
                    + "): publish a new one");
        }
        if (!NodeTls.clusterSan(cert)) throw new JoinException(NodeTls.CERT + " does not name " + NodeTls.CLUSTER_SAN + " (not a cluster node's)");
        RSAPrivateCrtKey key;
        try {
            String b64 = m.key().replaceAll("-----(BEGIN|END) PRIVATE KEY-----", "").replaceAll("\\s", "");
            key = (RSAPrivateCrtKey) KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64)));
        } catch (GeneralSecurityException | IllegalArgumentException | ClassCastException e) {
            throw new JoinException(NodeTls.KEY + " is not a PKCS#8 RSA private key in PEM");
        }
        if (!(cert.getPublicKey() instanceof RSAPublicKey pub) || !pub.getModulus().equals(key.getModulus())) {
            throw new JoinException(NodeTls.KEY + " does not belong to " + NodeTls.CERT + " (a half-rotated join material?)");
        }
    }

    private static X509Certificate certificate(String pem, String what) throws JoinException {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException | ClassCastException e) {
            throw new JoinException(what + " is not an X.509 certificate in PEM");
        }
    }

    /** Writes the files into {@code dir} (made owner-only when new), each atomically; the key owner-only. */
    public static NodeTls write(Material m, Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        }
        // the key first: a crash between the files never leaves a certificate without its key
        writeFile(dir.resolve(NodeTls.KEY), m.key(), "rw-------");
        writeFile(dir.resolve(NodeTls.CA), m.ca(), "rw-r--r--");
        writeFile(dir.resolve(NodeTls.CERT), m.cert(), "rw-r--r--");
        return NodeTls.in(dir);
    }

    /** Written to a temporary file, synced, then renamed over the old one: a crash leaves the old file or the new, never half of one. */
    private static void writeFile(Path f, String text, String perms) throws IOException {
        Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
        try {
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(perms)));
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap((text.endsWith("\n") ? text : text + "\n").getBytes(StandardCharsets.US_ASCII)));
                ch.force(true);
            }
            Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw new IOException("cannot write " + f + ": " + e, e);
        }
    }

    /** The node certificate already in {@code dir}, if it is there and valid for at least {@code margin} more. */
    static boolean currentIn(Path dir, Duration margin) {
        try {
            NodeTls tls = NodeTls.in(dir);
            try (var in = Files.newInputStream(tls.cert())) {
                var cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
                cert.checkValidity(Date.from(Instant.now().plus(margin)));
                return true;
            }
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    /**
     * The SSM client of an agent: the region from {@code SPOTTRAIN_REGION} (the user data writes it)
     * else {@code AWS_REGION}, credentials from the SDK's default chain (on EC2: the instance role
     * through IMDS); the SDK's own {@code AWS_ENDPOINT_URL_SSM} points it elsewhere (a VPC endpoint).
     */
    public static SsmClient client(Map<String, String> env) throws JoinException {
        String region = env.getOrDefault("SPOTTRAIN_REGION", env.get("AWS_REGION"));
        if (region == null || region.isBlank()) throw new JoinException("no region: set SPOTTRAIN_REGION (the EC2 user data does)");
        return SsmClient.builder().region(Region.of(region)).httpClientBuilder(UrlConnectionHttpClient.builder())
                .credentialsProvider(DefaultCredentialsProvider.builder().build()).build();
    }

    /**
     * {@code JoinMaterial PATH TLS-DIR}: fetch, check, write, at every start (a publish rotates the
     * certificate for agents that start afterwards, a restarted agent is not left with an expired
     * one). When SSM cannot be read but the directory holds a certificate valid for another day,
     * the agent starts with it (a warning); otherwise exit 1 with the reason (never a value).
     */
    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: JoinMaterial SSM-PATH TLS-DIR");
            System.exit(2);
        }
        Path dir = Path.of(args[1]);
        try (SsmClient ssm = client(System.getenv())) {
            Material m = fetch(ssm, args[0]);
            check(m);
            write(m, dir);
            System.err.println("spottrain-agent: join material from SSM " + args[0] + " written to " + args[1]);
        } catch (JoinException | IOException | RuntimeException e) {
            if (currentIn(dir, Duration.ofDays(1))) {
                System.err.println("spottrain-agent: warning: the join material was not refreshed from SSM (" + e.getMessage() + "); starting "
                        + "with the certificate already in " + dir);
                return;
            }
            System.err.println("spottrain-agent: " + e.getMessage());
            System.exit(1);
        }
    }
}
