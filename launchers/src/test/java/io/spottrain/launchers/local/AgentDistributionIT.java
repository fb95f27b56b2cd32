package io.spottrain.launchers.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.cli.Main;
import io.spottrain.launchers.ec2.FakeSsm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent distribution as a machine image bakes it: {@code spottrain-agent-<version>.tar.gz}
 * (built by worker-agent's package phase) unpacked into a temp directory, its
 * {@code bin/spottrain-agent} started with nothing but the environment its systemd unit would give
 * it and an empty TLS directory, reads its join material from SSM (published by {@code spottrain ec2
 * publish-join}; a loopback SSM), joins a running cluster over TLS and runs a job with the
 * cluster's own agent, which a local
 * cluster starts from the same unpacked layout; the unit passes {@code systemd-analyze verify} where
 * that exists.
 */
@Timeout(180)
class AgentDistributionIT {
    /** examples/cluster/ec2.yaml's agent.joinParameter. */
    static final String JOIN_PATH = "/spottrain/research/join";

    @TempDir
    Path dir;
    FakeSsm ssm;

    @AfterEach
    void stopSsm() {
        if (ssm != null) ssm.close();
    }

    /** {@code spottrain ec2 publish-join} as an operator runs it, its SDK pointed at {@code fake} (system properties: this JVM only). */
    static void publishJoin(Path stateDir, FakeSsm fake) {
        var props = Map.of("aws.endpointUrlSsm", fake.endpoint(), "aws.accessKeyId", "AKIDEXAMPLE", "aws.secretAccessKey", "not-a-secret");
        props.forEach(System::setProperty);
        try {
            assertEquals(0, Main.run("ec2", "publish-join", "--config", TestCluster.ROOT.resolve("examples/cluster/ec2.yaml").toString(),
                    "--state-dir", stateDir.toString()));
        } finally {
            props.keySet().forEach(System::clearProperty);
        }
    }

    static Path tarball() throws Exception {
        try (Stream<Path> s = Files.list(TestCluster.ROOT.resolve("worker-agent/target"))) {
            return s.filter(p -> p.getFileName().toString().matches("spottrain-agent-.+\\.tar\\.gz")).findFirst()
                    .orElseThrow(() -> new AssertionError("no worker-agent/target/spottrain-agent-*.tar.gz: the package phase makes it"));
        }
    }

    static int run(Path cwd, String... argv) throws Exception {
        var p = new ProcessBuilder(argv).directory(cwd.toFile()).redirectErrorStream(true).redirectOutput(cwd.resolve("run.log").toFile()).start();
        return p.waitFor();
    }

    /** The tarball unpacked into the test's directory: its home ({@code spottrain-agent-<version>/}). */
    Path unpack() throws Exception {
        assertEquals(0, run(dir, "tar", "xzf", tarball().toString()));
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("spottrain-agent-")).findFirst().orElseThrow();
        }
    }

    @Test
    void theUnpackedDistributionJoinsAClusterFromItsEnvironmentAndRunsAJob() throws Exception {
        Path home = unpack();
        for (String f : List.of("bin/spottrain-agent", "etc/agent.env.example", "etc/logback.xml", "systemd/spottrain-agent.service")) {
            assertTrue(Files.isRegularFile(home.resolve(f)), f);
        }
        assertTrue(Files.isExecutable(home.resolve("bin/spottrain-agent")));

        try (var cluster = TestCluster.start(dir.resolve("state"), 1, "--no-s3")) {
            // the local cluster's own agent (node1) runs from the unpacked distribution too: the script exec'd its JVM
            long node1 = LocalCluster.agentPids(cluster.stateDir).get(0);
            var node1Args = String.join(" ", ProcessHandle.of(node1).orElseThrow().info().arguments().orElseThrow());
            assertTrue(node1Args.contains("-Dlogback.configurationFile=" + TestCluster.ROOT.resolve("worker-agent/target")), node1Args);
            assertTrue(node1Args.contains("io.spottrain.agent.AgentMain") && node1Args.contains("--node-id node1"), node1Args);
            // it maps the class data archive the build wrote (worker-agent's package phase), and dumps none at exit
            assertTrue(node1Args.contains("-XX:SharedArchiveFile=" + TestCluster.ROOT.resolve("worker-agent/target")) && node1Args.contains("/cds/agent-")
                    && !node1Args.contains("ArchiveClassesAtExit"), node1Args);
            // the join as on EC2: the operator publishes the join material to SSM, the agent (no certificate in its TLS
            // directory) reads it with its credentials, checks it and writes it, then joins
            ssm = new FakeSsm();
            publishJoin(cluster.stateDir, ssm);
            var pb = new ProcessBuilder(home.resolve("bin/spottrain-agent").toString()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("baked1.log").toFile());
            pb.environment().putAll(Map.of(
                    "SPOTTRAIN_JOIN_PARAMETER", JOIN_PATH,
                    "SPOTTRAIN_REGION", "us-east-1",
                    "AWS_ENDPOINT_URL_SSM", ssm.endpoint(),
                    "AWS_ACCESS_KEY_ID", "AKIDEXAMPLE",
                    "AWS_SECRET_ACCESS_KEY", "not-a-secret"));
            pb.environment().putAll(Map.of(
                    "SPOTTRAIN_SEEDS", cluster.state.clusterEndpoint(),
                    "SPOTTRAIN_TLS_DIR", dir.resolve("tls").toString(),
                    "SPOTTRAIN_HOST", "127.0.0.1",
                    "SPOTTRAIN_NODE_ID", "baked1",
                    "SPOTTRAIN_WORK_DIR", dir.resolve("work").toString(),
                    "SPOTTRAIN_JOBS_DIR", TestCluster.ROOT.toString(),
                    "SPOTTRAIN_IMDS", "",
                    "SPOTTRAIN_JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            Process agent = pb.start();
            try {
                var job = cluster.submit(TestCluster.javaJob("baked", 2, 2, "io.spottrain.examples.mlp.MlpTrainer", "--steps", "30"));
                JsonNode done = cluster.awaitEnd(job.path("id").asText());
                assertEquals("SUCCEEDED", done.path("state").asText(), done.toString() + "\n" + ProcessTree.tail(dir.resolve("baked1.log"), 30));
                var members = new ArrayList<String>();
                done.path("members").forEach(m -> members.add(m.path("nodeId").asText()));
                assertEquals(List.of("baked1", "node1"), members.stream().sorted().toList(), done.toString());
                String log = Files.readString(dir.resolve("baked1.log"));
                assertTrue(log.contains("join material from SSM " + JOIN_PATH + " written to " + dir.resolve("tls")), log);
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("tls/node.key"))));
                assertTrue(ssm.calls.stream().anyMatch(c -> c.action().equals("GetParameters") && c.body().path("WithDecryption").asBoolean()),
                        "the agent asked SSM for the decrypted parameters");
                assertTrue(!log.contains("not-a-secret") && !log.contains("PRIVATE KEY"), "no secret in the agent's log");
                assertTrue(log.contains("agent baked1 up ") && !log.contains("DEBUG"), "the agent logs INFO to stderr (the journal):\n"
                        + ProcessTree.tail(dir.resolve("baked1.log"), 20));
                // SIGTERM as systemd sends it: the agent leaves the cluster and exits by itself, and only a JVM that exits
                // normally dumps its class data archive (a loaded 2-core CI machine needed more than 10 s for all of it)
                agent.toHandle().destroy();
                assertTrue(ProcessTree.awaitExit(agent.toHandle(), Duration.ofSeconds(120)),
                        "baked1 still running 120 s after SIGTERM:\n" + ProcessTree.tail(dir.resolve("baked1.log"), 30));
            } finally {
                ProcessTree.stop(agent.pid(), Duration.ofSeconds(10));
            }
            // a normal exit wrote the class data archive the next agents map (the cluster's own share one next to the distribution)
            try (Stream<Path> s = Files.list(dir.resolve("work/cds"))) {
                assertTrue(s.anyMatch(p -> p.getFileName().toString().matches("agent-\\d+\\.jsa(\\.\\d+\\.tmp)?") && p.toFile().length() > 1_000_000),
                        "baked1's archive in its work dir's cds/");
            }
        }
    }

    /** An image bake writes the class data archive ahead, as the build does; a second run finds it current. */
    @Test
    void theCdsArchiveFlagWritesTheArchiveAnImageBakes() throws Exception {
        Path home = unpack();
        Path cds = dir.resolve("cds");
        Files.createDirectories(cds);
        Files.writeString(cds.resolve("agent-1.jsa"), "an archive of another jar set"); // an upgrade's leftover
        for (int i = 0; i < 2; i++) {
            var pb = new ProcessBuilder(home.resolve("bin/spottrain-agent").toString(), "--cds-archive").redirectErrorStream(true)
                    .redirectOutput(dir.resolve("cds.log").toFile());
            pb.environment().putAll(Map.of("SPOTTRAIN_CDS_DIR", cds.toString(),
                    "SPOTTRAIN_JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            assertEquals(0, pb.start().waitFor(), Files.readString(dir.resolve("cds.log")));
            assertTrue(Files.readString(dir.resolve("cds.log")).contains("class data archive: " + cds), Files.readString(dir.resolve("cds.log")));
            try (Stream<Path> s = Files.list(cds)) {
                List<Path> files = s.toList();
                assertEquals(1, files.size(), "one archive, the leftover and any dump gone: " + files);
                assertTrue(files.get(0).getFileName().toString().matches("agent-\\d+\\.jsa") && files.get(0).toFile().length() > 1_000_000,
                        files.toString());
            }
        }
    }

    @Test
    void theSystemdUnitVerifies() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/systemd-analyze")), "systemd-analyze is not installed");
        assertEquals(0, run(dir, "tar", "xzf", tarball().toString(), "--wildcards", "*/systemd/*", "*/bin/*"));
        Path home;
        try (Stream<Path> s = Files.list(dir)) {
            home = s.filter(p -> p.getFileName().toString().startsWith("spottrain-agent-")).findFirst().orElseThrow();
        }
        String unit = Files.readString(home.resolve("systemd/spottrain-agent.service"));
        assertTrue(unit.contains("KillSignal=SIGTERM") && unit.contains("Restart=always") && unit.contains("TimeoutStopSec=150"), unit);
        // verify checks that ExecStart exists: point it at the unpacked script
        Path copy = dir.resolve("spottrain-agent.service");
        assertTrue(unit.contains("ExecStartPre=+/opt/spottrain/bin/spottrain-imds-guard"), "training users kept off instance metadata: " + unit);
        Files.writeString(copy, unit.replace("/opt/spottrain/bin/", home.resolve("bin").toString() + "/"));
        int rc = run(dir, "/usr/bin/systemd-analyze", "verify", copy.toString());
        assertEquals(0, rc, Files.readString(dir.resolve("run.log")));
    }
}
