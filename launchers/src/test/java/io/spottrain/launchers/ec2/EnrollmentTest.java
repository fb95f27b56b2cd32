package io.spottrain.launchers.ec2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Base64;
import java.security.KeyPairGenerator;
import java.nio.charset.StandardCharsets;
import io.spottrain.protocol.json.Json;
import io.spottrain.agent.node.Enrollment;
import io.spottrain.agent.node.JoinMaterial;
import io.spottrain.launchers.local.ClusterPki;
import io.spottrain.protocol.tls.NodeTls;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent enrolls over real HTTPS with a control node's enrollment endpoint: a signed identity of
 * a machine of the cluster gets a certificate of its own (its key never sent), once; a machine of
 * another cluster, a document changed after it was signed, an old machine and a second enrollment
 * are refused with the reason; and the agent talks only to a control node of its cluster.
 * "AWS" here is a key and certificate this test makes: the signature is real PKCS#7.
 */
class EnrollmentTest {
    static final String REGION = "us-east-1";
    @TempDir
    Path dir;
    ClusterPki pki;
    FakeAwsIdentity aws;
    final Map<String, EnrollmentPolicy.Seen> ec2 = new ConcurrentHashMap<>();
    final Map<String, String> claims = new ConcurrentHashMap<>();
    final AtomicInteger describes = new AtomicInteger();
    EnrollmentServer server;

    @BeforeEach
    void start() throws Exception {
        pki = ClusterPki.ensureIn(dir.resolve("pki"));
        aws = new FakeAwsIdentity();
        var control = pki.issueControl("control-1", dir.resolve("control"), Duration.ofDays(1));
        server = serve(control);
    }

    static final EnrollmentPolicy.Fleet FLEET = new EnrollmentPolicy.Fleet("research", REGION, "spottrain-agent", List.of("subnet-a"));

    EnrollmentServer serve(NodeTls tls) throws IOException {
        var store = EnrollmentServer.Claims.of(claims::putIfAbsent, id -> Optional.ofNullable(claims.get(id)));
        return EnrollmentServer.start("127.0.0.1", 0, NodeTls.server(tls.cert(), tls.key()), new EnrollmentServer.Trust(pki, List.of(aws.cert),
                FLEET), id -> {
                    describes.incrementAndGet();
                    return Optional.ofNullable(ec2.get(id));
                }, store, Clock.systemUTC());
    }

    /** A machine of the fleet as EC2 describes it. */
    static EnrollmentPolicy.Seen ours(String cluster, String ip) {
        return new EnrollmentPolicy.Seen("running", Map.of(FleetRequests.TAG_CLUSTER, cluster), ip,
                "arn:aws:iam::123456789012:instance-profile/spottrain-agent", "subnet-a");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    static String document(String id, String ip, Instant pending) {
        return FakeAwsIdentity.document(id, ip, pending);
    }

    String sign(String document) throws Exception {
        return aws.sign(document);
    }

    static Enrollment.Identity identity(String document, String pkcs7) {
        return FakeAwsIdentity.identity(document, pkcs7);
    }

    /** An agent's TLS directory holding the cluster's CA only, as it has it before it enrolls. */
    Path agentDir(String name) throws IOException {
        Path d = dir.resolve(name);
        Files.createDirectories(d);
        Files.writeString(d.resolve(NodeTls.CA), pki.caPem());
        return d;
    }

    NodeTls enroll(Path agent, String document) throws Exception {
        return Enrollment.enroll(List.of(URI.create("https://127.0.0.1:" + server.port())), agent, identity(document, sign(document)),
                Duration.ofSeconds(10));
    }

    static X509Certificate read(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    @Test
    void aMachineOfTheClusterGetsACertificateOfItsOwnOnceAndKeepsItsKey() throws Exception {
        ec2.put("i-0abc12345678", ours("research", "10.0.1.23"));
        Path agent = agentDir("agent");
        var tls = enroll(agent, document("i-0abc12345678", "10.0.1.23", Instant.now().minusSeconds(60)));
        X509Certificate cert = read(tls.cert());
        assertEquals("CN=i-0abc12345678", cert.getSubjectX500Principal().getName());
        assertTrue(NodeTls.clusterSan(cert), "a node of the cluster: Pekko's TLS takes it");
        assertFalse(NodeTls.controlSan(cert), "never a control node's");
        assertTrue(cert.getSubjectAlternativeNames().stream().anyMatch(s -> "10.0.1.23".equals(s.get(1))), "its address, for its peers");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tls.key())));
        assertTrue(claims.containsKey("i-0abc12345678"), "claimed in the store");

        var again = assertThrows(JoinMaterial.JoinException.class, () -> enroll(agentDir("again"),
                document("i-0abc12345678", "10.0.1.23", Instant.now().minusSeconds(30))));
        assertTrue(again.getMessage().contains("409") && again.getMessage().contains("enrolled already"), again.getMessage());
    }

    @Test
    void everyMachineThatIsNotOneOfTheClustersFreshMachinesIsRefusedWithTheReason() throws Exception {
        Instant now = Instant.now();
        ec2.put("i-0a0000000001", ours("prod", "10.0.2.5"));
        ec2.put("i-0b0000000001", ours("research", "10.0.1.9"));
        ec2.put("i-0c0000000001", ours("research", "10.0.1.7"));
        assertRefused("not a machine of cluster research (tag spottrain:cluster is prod)", enrolling(document("i-0a0000000001", "10.0.2.5",
                now)));
        assertRefused("enrolls when it boots", enrolling(document("i-0b0000000001", "10.0.1.9", now.minus(Duration.ofHours(2)))));
        assertRefused("EC2 knows no instance i-0d0000000001", enrolling(document("i-0d0000000001", "10.0.1.8", now)));
        // a document changed after AWS signed it: another address claimed
        String signedDoc = document("i-0c0000000001", "10.0.1.7", now);
        String pkcs7 = sign(signedDoc);
        var changed = assertThrows(JoinMaterial.JoinException.class, () -> Enrollment.enroll(List.of(URI.create("https://127.0.0.1:"
                + server.port())), agentDir("changed"), identity(signedDoc.replace("10.0.1.7", "10.0.1.99"), pkcs7), Duration.ofSeconds(10)));
        assertTrue(changed.getMessage().contains("403") && changed.getMessage().contains("signature does not verify"), changed.getMessage());
        assertTrue(claims.isEmpty(), "nothing claimed: " + claims);
    }

    private Callable<NodeTls> enrolling(String document) {
        return () -> enroll(agentDir("a" + Math.abs(document.hashCode())), document);
    }

    private static void assertRefused(String reason, Callable<NodeTls> attempt) {
        var e = assertThrows(JoinMaterial.JoinException.class, attempt::call);
        assertTrue(e.getMessage().contains("403") && e.getMessage().contains(reason), e.getMessage());
    }

    @Test
    void theAgentTalksOnlyToAControlNodeOfItsClusterAndKeepsNothingFromAFailedAttempt() throws Exception {
        ec2.put("i-0abc12345678", ours("research", "10.0.1.23"));
        // a server with an agent's certificate from the same CA (another machine posing as a control node)
        // with the very address the agent dials in its certificate: the address matches, the role does not
        var agentCert = pki.issue("i-0poser", dir.resolve("poser"), List.of("127.0.0.1"));
        try (var poser = serve(agentCert)) {
            String doc = document("i-0abc12345678", "10.0.1.23", Instant.now());
            Path agent = agentDir("agent");
            var e = assertThrows(JoinMaterial.JoinException.class, () -> Enrollment.enroll(List.of(URI.create("https://127.0.0.1:"
                    + poser.port())), agent, identity(doc, sign(doc)), Duration.ofSeconds(10)));
            assertTrue(e.getMessage().contains("no control node enrolled this machine"), e.getMessage());
            assertFalse(Files.exists(agent.resolve(NodeTls.KEY)), "no key left behind");
            assertTrue(claims.isEmpty(), "the poser never saw the document: nothing claimed");
            // the real control node after the poser: the second address of the list enrolls it
            var tls = Enrollment.enroll(List.of(URI.create("https://127.0.0.1:" + poser.port()), URI.create("https://127.0.0.1:" + server.port())),
                    agent, identity(doc, sign(doc)), Duration.ofSeconds(10));
            assertEquals("CN=i-0abc12345678", read(tls.cert()).getSubjectX500Principal().getName());
        }
        // an agent that trusts another CA does not talk to this cluster's control node at all
        var otherPki = ClusterPki.ensureIn(dir.resolve("other-pki"));
        Path stranger = dir.resolve("stranger");
        Files.createDirectories(stranger);
        Files.writeString(stranger.resolve(NodeTls.CA), otherPki.caPem());
        String doc = document("i-0abc12345679", "10.0.1.24", Instant.now());
        var e = assertThrows(JoinMaterial.JoinException.class, () -> Enrollment.enroll(List.of(URI.create("https://127.0.0.1:" + server.port())),
                stranger, identity(doc, sign(doc)), Duration.ofSeconds(10)));
        assertTrue(e.getMessage().contains("no control node enrolled this machine"), e.getMessage());
    }

    @Test
    void theSameKeyAskingAgainGetsItsCertificateAgainAnotherKeyIsRefusedWithoutAskingEc2() throws Exception {
        ec2.put("i-0abc12345678", ours("research", "10.0.1.23"));
        Path agent = agentDir("lost-reply");
        String doc = document("i-0abc12345678", "10.0.1.23", Instant.now());
        // the agent's first attempt: claimed and answered, but say the reply was lost; the key stays in enroll.key
        var kp = KeyPairGenerator.getInstance("RSA");
        kp.initialize(2048);
        var key = kp.generateKeyPair();
        String body = Json.write(Map.of("document", doc, "pkcs7", sign(doc), "publicKey", Base64.getEncoder().encodeToString(key.getPublic()
                .getEncoded())));
        assertEquals(201, server.enroll(body.getBytes(StandardCharsets.UTF_8)).status());
        assertEquals(201, server.enroll(body.getBytes(StandardCharsets.UTF_8)).status(), "the same key: answered again");
        int asked = describes.get();
        var other = Json.write(Map.of("document", doc, "pkcs7", sign(doc), "publicKey", Base64.getEncoder().encodeToString(kp.generateKeyPair()
                .getPublic().getEncoded())));
        var refused = server.enroll(other.getBytes(StandardCharsets.UTF_8));
        assertEquals(409, refused.status(), refused.body().toString());
        assertEquals(asked, describes.get(), "an instance claimed by another key costs no call to EC2");
        ec2.put("i-0abc12345679", ours("research", "10.0.1.24"));
        // the agent keeps the key it made until a certificate is written for it, so its retries are answered
        var tls = enroll(agent, doc.replace("i-0abc12345678", "i-0abc12345679").replace("10.0.1.23", "10.0.1.24"));
        assertFalse(Files.exists(agent.resolve("enroll.key")), "the pending key is gone once its certificate is written");
        assertTrue(Files.exists(tls.key()));
    }
}
