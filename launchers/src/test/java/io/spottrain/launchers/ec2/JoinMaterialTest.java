package io.spottrain.launchers.ec2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.agent.node.JoinMaterial;
import io.spottrain.cli.Main;
import io.spottrain.launchers.local.ClusterPki;
import io.spottrain.protocol.tls.NodeTls;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agents' join through SSM, with the real SDK client against a loopback SSM: {@code ec2
 * publish-join} puts an agent certificate of the cluster's CA, the CA and the key as SecureStrings
 * (never printing a value); an agent reads them decrypted, checks them and writes its TLS
 * directory (the key owner-only); every wrong material is refused naming what is wrong.
 */
class JoinMaterialTest {
    static final String PATH = "/spottrain/research/join"; // examples/cluster/ec2.yaml's agent.joinParameter
    static final List<String> PROPS = List.of("aws.endpointUrlSsm", "aws.accessKeyId", "aws.secretAccessKey");
    static final Map<String, String> AGENT_ENV = Map.of("SPOTTRAIN_REGION", "us-east-1");

    @TempDir
    Path dir;
    FakeSsm ssm;

    @BeforeEach
    void start() throws Exception {
        ssm = new FakeSsm();
        System.setProperty("aws.endpointUrlSsm", ssm.endpoint());
        System.setProperty("aws.accessKeyId", "AKIDEXAMPLE");
        System.setProperty("aws.secretAccessKey", "not-a-secret");
    }

    @AfterEach
    void stop() {
        PROPS.forEach(System::clearProperty);
        ssm.close();
    }

    String publish(Path state, String... more) {
        ClusterPki.ensure(state); // the cluster's CA, as its control nodes made it
        var out = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            var args = new ArrayList<>(List.of("ec2", "publish-join", "--config", Ec2ConfigParserTest.EXAMPLE.toString(), "--state-dir",
                    state.toString()));
            args.addAll(List.of(more));
            assertEquals(0, Main.run(args.toArray(String[]::new)), out.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(saved);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    JoinMaterial.Material fetch() throws Exception {
        try (var client = JoinMaterial.client(AGENT_ENV)) {
            return JoinMaterial.fetch(client, PATH);
        }
    }

    @Test
    void publishedJoinMaterialIsReadCheckedAndWrittenOwnerOnly() throws Exception {
        String text = publish(dir.resolve("state"), "--kms-key", "alias/spottrain");
        assertTrue(text.contains("put the join material of cluster research (us-east-1, SecureString, alias/spottrain):"), text);
        assertTrue(text.contains(PATH + "/node.key") && text.contains("valid until "), text);
        assertTrue(text.contains("(SHA-256 " + ClusterPki.ensure(dir.resolve("state")).fingerprint() + ")"), "the CA's fingerprint: " + text);
        assertFalse(text.contains("PRIVATE KEY") || text.contains("BEGIN CERTIFICATE"), "no value is printed: " + text);
        var puts = ssm.calls.stream().filter(c -> c.action().equals("PutParameter")).toList();
        assertEquals(JoinMaterial.names(PATH), puts.stream().map(c -> c.body().path("Name").asText()).toList());
        for (var p : puts) {
            assertEquals("SecureString", p.body().path("Type").asText());
            assertTrue(p.body().path("Overwrite").asBoolean(), "publishing again rotates");
            assertEquals("alias/spottrain", p.body().path("KeyId").asText());
            assertTrue(p.authorization().startsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"), "signed: " + p.authorization());
        }

        var m = fetch();
        var get = ssm.calls.stream().filter(c -> c.action().equals("GetParameters")).findFirst().orElseThrow();
        assertTrue(get.body().path("WithDecryption").asBoolean(), get.body()::toString);
        JoinMaterial.check(m);
        NodeTls tls = JoinMaterial.write(m, dir.resolve("tls"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("tls/node.key"))));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("tls"))));
        assertTrue(tls.sslContext() != null, "the written files make the agent's TLS identity");
        assertFalse(m.toString().contains("BEGIN"), "a material never prints its values");
    }

    @Test
    void missingWrongAndHalfRotatedMaterialIsRefusedNamingWhatIsWrong() throws Exception {
        var missing = assertThrows(JoinMaterial.JoinException.class, this::fetch);
        assertTrue(missing.getMessage().contains("no SSM parameter " + PATH + "/ca.crt") && missing.getMessage().contains("publish-join"),
                missing.getMessage());

        publish(dir.resolve("state"));
        var good = fetch();
        // another cluster's CA, and a key of another issue (half-rotated)
        var other = ClusterPki.ensure(dir.resolve("other")).issue("agent-other", dir.resolve("other-tls"));
        String otherCa = Files.readString(other.ca());
        String otherKey = Files.readString(other.key());
        var wrongCa = assertThrows(JoinMaterial.JoinException.class, () -> JoinMaterial.check(new JoinMaterial.Material(otherCa, good.cert(),
                good.key())));
        assertTrue(wrongCa.getMessage().contains("node.crt is not signed by the CA in ca.crt"), wrongCa.getMessage());
        var wrongKey = assertThrows(JoinMaterial.JoinException.class, () -> JoinMaterial.check(new JoinMaterial.Material(good.ca(), good.cert(),
                otherKey)));
        assertTrue(wrongKey.getMessage().contains("node.key does not belong to node.crt"), wrongKey.getMessage());
        var notPem = assertThrows(JoinMaterial.JoinException.class, () -> JoinMaterial.check(new JoinMaterial.Material(good.ca(), "oops",
                good.key())));
        assertTrue(notPem.getMessage().contains("node.crt is not an X.509 certificate in PEM"), notPem.getMessage());
        assertFalse(Files.exists(dir.resolve("tls")), "nothing is written when the material does not check");

        // a plain String parameter: readable without KMS, refused
        ssm.parameters.put(PATH + "/node.key", new String[] {good.key(), "String"});
        var plain = assertThrows(JoinMaterial.JoinException.class, this::fetch);
        assertTrue(plain.getMessage().contains("SSM parameter " + PATH + "/node.key is a String, not a SecureString"), plain.getMessage());

        ssm.refuseWith = "AccessDeniedException";
        var denied = assertThrows(JoinMaterial.JoinException.class, this::fetch);
        assertTrue(denied.getMessage().contains("not authorized to perform: ssm:GetParameters"), denied.getMessage());
    }

    /** Publishing needs the cluster's CA: a wrong --state-dir must not make (and publish) a new CA that locks every agent out. */
    @Test
    void publishingWithoutTheClustersCaFailsAndPutsNothing() {
        var err = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = Main.run("ec2", "publish-join", "--config", Ec2ConfigParserTest.EXAMPLE.toString(), "--state-dir", dir.resolve("nowhere").toString());
        } finally {
            System.setErr(saved);
        }
        assertEquals(1, code);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("no cluster CA in " + dir.resolve("nowhere").resolve("pki")), err.toString());
        assertTrue(ssm.calls.isEmpty() && !Files.exists(dir.resolve("nowhere")), "nothing put, no CA made");
    }
}
