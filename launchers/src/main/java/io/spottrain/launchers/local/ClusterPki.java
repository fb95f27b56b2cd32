package io.spottrain.launchers.local;

import io.spottrain.client.CliException;
import io.spottrain.protocol.tls.NodeTls;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A local cluster's certificate authority, under {@code <state-dir>/pki/}: {@code ca.crt} and
 * {@code ca.key} (owner-only), made once and kept across {@code down}/{@code up}. Each process of
 * the cluster (control node or agent) gets its own key and certificate, issued by this CA into
 * its TLS directory ({@link NodeTls}). Keys are RSA 2048 (what Pekko's PEM reader takes), node
 * certificates are valid for 30 days, the CA for 10 years.
 */
public final class ClusterPki {
    private static final SecureRandom RANDOM = new SecureRandom();
    public static final Duration NODE_VALIDITY = Duration.ofDays(30);
    /** A control node's certificate when the control plane runs as a service (issued at every start). */
    public static final Duration CONTROL_VALIDITY = Duration.ofDays(365);
    static final Duration CA_VALIDITY = Duration.ofDays(3650);

    private final X509Certificate caCert;
    private final PrivateKey caKey;
    private final Path caFile;

    private ClusterPki(X509Certificate caCert, PrivateKey caKey, Path caFile) {
        this.caCert = caCert;
        this.caKey = caKey;
        this.caFile = caFile;
    }

    public static Path dir(Path stateDir) {
        return stateDir.toAbsolutePath().resolve("pki");
    }

    /** The state dir's CA, which must exist (publishing a new CA by mistake would lock every agent out). */
    public static ClusterPki existing(Path stateDir) {
        Path dir = dir(stateDir);
        if (!Files.isRegularFile(dir.resolve("ca.crt")) || !Files.isRegularFile(dir.resolve("ca.key"))) {
            throw new CliException("no cluster CA in " + dir + " (ca.crt and ca.key): pass the --state-dir of the cluster whose CA its "
                    + "control nodes use");
        }
        return ensureIn(dir);
    }

    /** The CA in {@code pkiDir}, which must exist (a control node of a service never mints one: its peers would not trust it). */
    public static ClusterPki existingIn(Path pkiDir) {
        Path dir = pkiDir.toAbsolutePath();
        if (!Files.isRegularFile(dir.resolve("ca.crt")) || !Files.isRegularFile(dir.resolve("ca.key"))) {
            throw new CliException("no cluster CA in " + dir + " (ca.crt and ca.key): make it once with `spottrain pki init --dir " + dir
                    + "` and copy it to every control node");
        }
        return ensureIn(dir);
    }

    /** The CA certificate's SHA-256 fingerprint (hex), to compare with what the control nodes use. */
    public String fingerprint() {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(caCert.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The state dir's CA, made if there is none yet. */
    public static ClusterPki ensure(Path stateDir) {
        return ensureIn(dir(stateDir));
    }

    /** The CA in {@code pkiDir} ({@code ca.crt}, {@code ca.key} 0600), made if there is none yet. */
    public static synchronized ClusterPki ensureIn(Path pkiDir) {
        Path dir = pkiDir.toAbsolutePath();
        Path crt = dir.resolve("ca.crt");
        Path key = dir.resolve("ca.key");
        try {
            if (Files.isRegularFile(crt) && Files.isRegularFile(key)) {
                X509Certificate c;
                try (var in = Files.newInputStream(crt)) {
                    c = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
                }
                return new ClusterPki(c, readKey(key), crt);
            }
            Files.createDirectories(dir);
            KeyPair kp = rsa();
            var name = new X500Name("CN=spottrain cluster CA " + Long.toHexString(RANDOM.nextLong()));
            Instant now = Instant.now();
            var b = new JcaX509v3CertificateBuilder(name, serial(), Date.from(now.minus(Duration.ofMinutes(5))),
                    Date.from(now.plus(CA_VALIDITY)), name, kp.getPublic());
            var ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
            X509Certificate c = sign(b, kp.getPrivate());
            writePrivate(key, pemKey(kp.getPrivate()));
            writePublic(crt, pem("CERTIFICATE", c.getEncoded()));
            return new ClusterPki(c, kp.getPrivate(), crt);
        } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new CliException("cannot make the cluster CA under " + dir + ": " + e.getMessage());
        }
    }

    /**
     * Issues a key and certificate for the cluster process {@code name} into {@code tlsDir}
     * ({@code node.crt}, {@code node.key} 0600, {@code ca.crt}) and returns the identity.
     */
    public NodeTls issue(String name, Path tlsDir) {
        return issue(name, tlsDir, List.of());
    }

    /**
     * As above, with the IP addresses the process serves HTTPS on (an agent's peer checkpoint
     * server: its peers check the address against the certificate).
     */
    public NodeTls issue(String name, Path tlsDir, List<String> ipAddresses) {
        return issue(name, tlsDir, ipAddresses, NODE_VALIDITY);
    }

    /** As above, valid for {@code validity}. */
    public NodeTls issue(String name, Path tlsDir, List<String> ipAddresses, Duration validity) {
        return issue(name, tlsDir, ipAddresses, validity, false);
    }

    /** A control node's key and certificate: it carries {@link NodeTls#CONTROL_SAN} too (enrolling agents check it). */
    public NodeTls issueControl(String name, Path tlsDir, Duration validity) {
        return issue(name, tlsDir, List.of(), validity, true);
    }

    private NodeTls issue(String name, Path tlsDir, List<String> ipAddresses, Duration validity, boolean control) {
        try {
            Files.createDirectories(tlsDir);
            KeyPair kp = rsa();
            X509Certificate c = certificate(name, kp.getPublic(), ipAddresses, validity, control);
            writePrivate(tlsDir.resolve(NodeTls.KEY), pemKey(kp.getPrivate()));
            writePublic(tlsDir.resolve(NodeTls.CERT), pem("CERTIFICATE", c.getEncoded()));
            Files.copy(caFile, tlsDir.resolve(NodeTls.CA), StandardCopyOption.REPLACE_EXISTING);
            return NodeTls.in(tlsDir);
        } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new CliException("cannot issue a certificate for " + name + " into " + tlsDir + ": " + e.getMessage());
        }
    }

    /**
     * A node certificate (PEM) for a key the node made itself and keeps ({@code publicKey}: an enrolling agent's), named
     * {@code name}, for {@code ipAddresses}, valid for {@code validity}; never a control node's.
     */
    public String certify(String name, PublicKey publicKey, List<String> ipAddresses, Duration validity) {
        try {
            return pem("CERTIFICATE", certificate(name, publicKey, ipAddresses, validity, false).getEncoded());
        } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot certify " + name + ": " + e.getMessage(), e);
        }
    }

    /** The CA's certificate (PEM): public, what every node trusts. */
    public String caPem() {
        try {
            return Files.readString(caFile);
        } catch (IOException e) {
            throw new CliException("cannot read the cluster CA " + caFile + ": " + e.getMessage());
        }
    }

    private X509Certificate certificate(String name, PublicKey key, List<String> ipAddresses, Duration validity, boolean control)
            throws IOException, GeneralSecurityException, OperatorCreationException {
        if (name.equals(NodeTls.CLUSTER_SAN) || name.equals(NodeTls.CONTROL_SAN)) {
            throw new GeneralSecurityException("\"" + name + "\" is a reserved name, not a node's"); // a node named so would pose as a role
        }
        Instant now = Instant.now();
        var b = new JcaX509v3CertificateBuilder(caCert, serial(), Date.from(now.minus(Duration.ofMinutes(5))),
                Date.from(now.plus(validity)), new X500Name("CN=" + name), key);
        var ext = new JcaX509ExtensionUtils();
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
        b.addExtension(Extension.extendedKeyUsage, false,
                new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        var sans = new ArrayList<GeneralName>(List.of(new GeneralName(GeneralName.dNSName, NodeTls.CLUSTER_SAN),
                new GeneralName(GeneralName.dNSName, name)));
        if (control) sans.add(new GeneralName(GeneralName.dNSName, NodeTls.CONTROL_SAN));
        ipAddresses.forEach(ip -> sans.add(new GeneralName(GeneralName.iPAddress, ip)));
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
        b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(caCert));
        return sign(b, caKey);
    }

    private static KeyPair rsa() throws GeneralSecurityException {
        var g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048, RANDOM);
        return g.generateKeyPair();
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM);
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey by) throws OperatorCreationException, GeneralSecurityException {
        ContentSigner signer = new JcaContentSignerBuilder("SHA256withRSA").build(by);
        return new JcaX509CertificateConverter().getCertificate(b.build(signer));
    }

    private static String pemKey(PrivateKey k) {
        return pem("PRIVATE KEY", k.getEncoded()); // PKCS#8
    }

    private static String pem(String type, byte[] der) {
        var w = new StringWriter();
        w.write("-----BEGIN " + type + "-----\n");
        w.write(Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der));
        w.write("\n-----END " + type + "-----\n");
        return w.toString();
    }

    private static PrivateKey readKey(Path pem) throws IOException, GeneralSecurityException {
        String t = Files.readString(pem);
        String b64 = t.replace("-----BEGIN PRIVATE KEY-----", "").replace("-----END PRIVATE KEY-----", "");
        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(b64)));
    }

    private static void writePrivate(Path f, String text) throws IOException {
        Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, text);
        Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void writePublic(Path f, String text) throws IOException {
        Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
