package io.spottrain.launchers.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.cli.Main;
import io.spottrain.client.ApiClient;
import io.spottrain.coordinator.settings.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control plane as a service: {@code spottrain-control-<version>.tar.gz} (launchers' package
 * phase) unpacked into a temp directory, two control nodes started from its
 * {@code bin/spottrain-control} with nothing but the environment their systemd unit gives them (the
 * same seeds and CA on each, their own state directories), and an agent from the agent distribution
 * with a certificate from the same CA: the two form one cluster with one state store, the agent
 * joins, a job runs to SUCCEEDED, and each node stops on SIGTERM. The unit passes
 * {@code systemd-analyze verify} where that exists.
 */
@Timeout(240)
class ControlDistributionIT {
    @TempDir
    Path dir;
    final List<Process> started = new ArrayList<>();

    @AfterEach
    void stopAll() {
        for (Process p : started) ProcessTree.stop(p.pid(), Duration.ofSeconds(10));
    }

    static Path tarball() throws Exception {
        try (Stream<Path> s = Files.list(TestCluster.ROOT.resolve("launchers/target"))) {
            return s.filter(p -> p.getFileName().toString().matches("spottrain-control-.+\\.tar\\.gz"))
                    .max(Comparator.comparingLong(p -> p.toFile().lastModified())) // this build's, not an older version's
                    .orElseThrow(() -> new AssertionError("no launchers/target/spottrain-control-*.tar.gz: the package phase makes it"));
        }
    }

    Path unpack(Path tarball, String prefix) throws Exception {
        assertEquals(0, AgentDistributionIT.run(dir, "tar", "xzf", tarball.toString()));
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(prefix)).findFirst().orElseThrow();
        }
    }

    @Test
    void twoControlNodesFromTheDistributionFormOneClusterAnAgentJoinsAndAJobRuns() throws Exception {
        Path home = unpack(tarball(), "spottrain-control-");
        for (String f : List.of("bin/spottrain-control", "etc/control.env.example", "systemd/spottrain-control.service")) {
            assertTrue(Files.isRegularFile(home.resolve(f)), f);
        }
        String script = Files.readString(home.resolve("bin/spottrain-control"));
        for (String open : JavaCommand.IGNITE_OPENS) assertTrue(script.contains(open), "the script opens what Ignite needs: " + open);

        // the operator's steps: one CA for the control plane, one admin token file
        Path pki = dir.resolve("pki");
        assertEquals(0, Main.run("pki", "init", "--dir", pki.toString()));
        Path tokenFile = dir.resolve("admin.token");
        String token = AdminToken.ensureFile(tokenFile);

        // a node without the CA refuses to start (it would mint its own, which its peers do not trust), saying what to do
        var refused = control(home, "control9", Map.of("SPOTTRAIN_CA_DIR", dir.resolve("no-ca").toString(), "SPOTTRAIN_SEEDS", "127.0.0.1:1",
                "SPOTTRAIN_STATE_DIR", dir.resolve("c9").toString(), "SPOTTRAIN_S3_URI", "none", "SPOTTRAIN_LAUNCHER", "local"));
        started.add(refused);
        assertTrue(ProcessTree.awaitExit(refused.toHandle(), Duration.ofSeconds(60)), "control9 did not exit");
        assertTrue(refused.exitValue() != 0 && log("control9").contains("make it once with `spottrain pki init --dir"), log("control9"));

        int[] cluster = {FreePorts.pick(), FreePorts.pick()};
        int[] store = {FreePorts.pick(), FreePorts.pick()};
        int[] api = {FreePorts.pick(), FreePorts.pick()};
        int[] comm = {FreePorts.pick(), FreePorts.pick()};
        String seeds = "127.0.0.1:" + cluster[0] + ",127.0.0.1:" + cluster[1];
        var nodes = new ArrayList<Process>();
        for (int i = 0; i < 2; i++) {
            var env = new HashMap<String, String>();
            env.put("SPOTTRAIN_SEEDS", seeds);
            env.put("SPOTTRAIN_STORE_PEERS", "127.0.0.1:" + store[1 - i]);
            env.put("SPOTTRAIN_CLUSTER_PORT", Integer.toString(cluster[i]));
            env.put("SPOTTRAIN_STORE_PORT", Integer.toString(store[i]));
            env.put("SPOTTRAIN_STORE_COMM_PORT", Integer.toString(comm[i]));
            env.put("SPOTTRAIN_API_PORT", Integer.toString(api[i]));
            env.put("SPOTTRAIN_STATE_DIR", dir.resolve("c" + (i + 1)).toString());
            env.put("SPOTTRAIN_CA_DIR", pki.toString());
            env.put("SPOTTRAIN_TOKEN_FILE", tokenFile.toString());
            env.put("SPOTTRAIN_LAUNCHER", "local");
            env.put("SPOTTRAIN_S3_URI", "none");
            nodes.add(control(home, "control" + (i + 1), env));
            started.add(nodes.get(i));
        }
        var clients = List.of(new ApiClient("http://127.0.0.1:" + api[0], token), new ApiClient("http://127.0.0.1:" + api[1], token));
        await("both control nodes serve the API and see each other", () -> clients.stream().allMatch(c -> controls(c).size() == 2));
        for (Process p : nodes) {
            String args = String.join(" ", p.toHandle().info().arguments().orElse(new String[0]));
            assertTrue(!args.contains(token) && args.contains("--token-file " + tokenFile), "the token is a file, never an argument: " + args);
        }

        // an agent as an image runs it, its certificate from the same CA
        Path agentHome = unpack(AgentDistributionIT.tarball(), "spottrain-agent-");
        ClusterPki.existingIn(pki).issue("baked1", dir.resolve("tls"), List.of("127.0.0.1"));
        var pb = new ProcessBuilder(agentHome.resolve("bin/spottrain-agent").toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("baked1.log").toFile());
        pb.environment().putAll(Map.of("SPOTTRAIN_SEEDS", seeds, "SPOTTRAIN_TLS_DIR", dir.resolve("tls").toString(), "SPOTTRAIN_HOST",
                "127.0.0.1", "SPOTTRAIN_NODE_ID", "baked1", "SPOTTRAIN_WORK_DIR", dir.resolve("work").toString(), "SPOTTRAIN_JOBS_DIR",
                TestCluster.ROOT.toString(), "SPOTTRAIN_IMDS", "", "SPOTTRAIN_JAVA", java()));
        started.add(pb.start());
        var job = clients.get(1).post("/api/v1/jobs", TestCluster.javaJob("served", 1, 1, "io.spottrain.examples.mlp.MlpTrainer", "--steps",
                "30"), "application/yaml");
        String id = job.path("id").asText();
        await("the job SUCCEEDED on baked1", () -> clients.get(0).get("/api/v1/jobs/" + id).path("state").asText().equals("SUCCEEDED"));
        assertEquals("baked1", clients.get(0).get("/api/v1/jobs/" + id).path("members").get(0).path("nodeId").asText());

        // SIGTERM as systemd sends it: each node leaves and exits by itself
        for (int i = 0; i < 2; i++) {
            Process p = nodes.get(i);
            p.toHandle().destroy();
            assertTrue(ProcessTree.awaitExit(p.toHandle(), Duration.ofSeconds(60)), "control" + (i + 1) + " still running 60 s after SIGTERM:\n"
                    + ProcessTree.tail(dir.resolve("control" + (i + 1) + ".log"), 30));
        }
    }

    @Test
    void theSystemdUnitVerifies() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/systemd-analyze")), "systemd-analyze is not installed");
        Path home = unpack(tarball(), "spottrain-control-");
        String unit = Files.readString(home.resolve("systemd/spottrain-control.service"));
        assertTrue(unit.contains("KillSignal=SIGTERM") && unit.contains("Restart=always") && unit.contains("EnvironmentFile=/etc/spottrain/control.env"),
                unit);
        Path copy = dir.resolve("spottrain-control.service");
        Files.writeString(copy, unit.replace("/opt/spottrain-control/bin/", home.resolve("bin").toString() + "/"));
        assertEquals(0, AgentDistributionIT.run(dir, "/usr/bin/systemd-analyze", "verify", copy.toString()), Files.readString(dir.resolve("run.log")));
    }

    private Process control(Path home, String nodeId, Map<String, String> env) throws Exception {
        var pb = new ProcessBuilder(home.resolve("bin/spottrain-control").toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve(nodeId + ".log").toFile());
        pb.environment().clear(); // what the unit gives it, nothing of this JVM's
        pb.environment().put("PATH", System.getenv("PATH"));
        pb.environment().putAll(env);
        pb.environment().putAll(Map.of("SPOTTRAIN_NODE_ID", nodeId, "SPOTTRAIN_HOST", "127.0.0.1", "SPOTTRAIN_JAVA", java(),
                "SPOTTRAIN_CONTROL_HEAP", "384m"));
        return pb.start();
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private String log(String nodeId) {
        return ProcessTree.tail(dir.resolve(nodeId + ".log"), 40);
    }

    private static List<String> controls(ApiClient c) {
        try {
            var out = new ArrayList<String>();
            for (JsonNode n : c.get("/api/v1/nodes")) if (n.path("role").asText().equals("control")) out.add(n.path("id").asText());
            return out;
        } catch (RuntimeException e) {
            return List.of(); // not serving yet
        }
    }

    private interface Check {
        boolean done() throws Exception;
    }

    private void await(String what, Check check) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (check.done()) return;
            } catch (RuntimeException e) {
                // not serving yet
            }
            Thread.sleep(250);
        }
        throw new AssertionError("within 120 s: " + what + "\n--- control1\n" + log("control1") + "\n--- control2\n" + log("control2")
                + "\n--- baked1\n" + log("baked1"));
    }
}
