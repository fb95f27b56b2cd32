package io.spottrain.launchers.ec2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.agent.node.Enrollment;
import io.spottrain.agent.node.JoinMaterial;
import io.spottrain.launchers.local.AdminToken;
import io.spottrain.launchers.local.ClusterPki;
import io.spottrain.launchers.local.ClusterState;
import io.spottrain.launchers.local.JavaCommand;
import io.spottrain.launchers.local.LocalCluster;
import io.spottrain.launchers.local.ProcessTree;
import io.spottrain.protocol.tls.NodeTls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator process with {@code --launcher ec2} against the EC2 fake: its launcher is built
 * from the fleet config with the SDK's default credential chain and an endpoint from the
 * environment (nothing secret on its command line), a node launched through the API becomes a
 * tagged instant fleet, and the launcher's upkeep, run by the job manager, terminates the instance
 * that never registered once the config's orphan grace is over.
 */
@Timeout(120)
class Ec2CoordinatorIT {
    @TempDir
    Path dir;

    @Test
    void aCoordinatorOnEc2LaunchesThroughTheApiAndTerminatesWhatNeverRegistered() throws Exception {
        try (var fake = new FakeEc2()) {
            fake.now = Instant.now(); // launch times the coordinator's clock compares with its grace
            var config = Ec2ConfigParserTest.example();
            for (var t : config.instanceTypes()) for (var s : config.subnets()) fake.capacity.put(t.type() + "/" + s.id(), 2);
            Path fleet = dir.resolve("ec2.yaml");
            Files.writeString(fleet, Files.readString(Ec2ConfigParserTest.EXAMPLE).replace("orphanGrace: 10m", "orphanGrace: 2s"));
            Path state = dir.resolve("state");
            var argv = new ArrayList<String>();
            Process p = start(fake, fleet, state, argv, List.of());
            try {
                await("the coordinator's cluster state", () -> ClusterState.read(state).isPresent() || !p.isAlive(), p);
                var api = LocalCluster.client(state, ClusterState.read(state).orElseThrow().apiUrl());
                var launched = api.post("/api/v1/nodes", """
                        {"market": "spot", "instanceType": "g5.xlarge", "gpus": 1, "zone": "us-east-1a", "pricePerHour": 0.5,
                         "onDemandPricePerHour": 1.006}""", "application/json");
                String id = launched.path("nodeId").asText();
                assertTrue(id.startsWith("i-"), "an EC2 node is named by its instance id: " + launched);
                assertEquals("spot", launched.path("market").asText());
                var fleetCall = fake.calls("CreateFleet").get(0);
                assertEquals("instant", fleetCall.get("Type"));
                assertTrue(fleetCall.containsValue("spottrain:cluster") && fleetCall.containsValue("research"), fleetCall.toString());
                assertFalse(String.join(" ", argv).contains("not-a-secret"), "no secret on the command line");
                // nothing registers as that instance: once 2 s old it is nobody's, and the next upkeep round terminates it
                await("the unregistered instance terminated", () -> fake.instances.get(id).state().equals("terminated"), p);
                assertEquals(id, fake.calls("TerminateInstances").get(0).get("InstanceId.1"));
                await("the upkeep's report in the log", () -> log().contains("launcher upkeep: 0 instance(s) of cluster research running; "
                        + "terminated [" + id + "]"), p);
                assertFalse(log().contains("not-a-secret"), "the secret key is never logged");
            } finally {
                ProcessTree.kill(p.pid());
            }
        }
    }

    /**
     * A control node on EC2 whose fleet config enrolls agents: a machine of the cluster sends its signed identity to the
     * node's enrollment port and gets a certificate of its own from the cluster CA, claimed once in the state store.
     */
    @Test
    void anAgentEnrollsWithTheControlNodeForACertificateOfItsOwnOnce() throws Exception {
        try (var fake = new FakeEc2()) {
            fake.now = Instant.now();
            fake.addInstance("i-0abc12345678", true, Instant.now(), Map.of(FleetRequests.TAG_CLUSTER, "research"), "running");
            var aws = new FakeAwsIdentity();
            Path awsCert = dir.resolve("aws-identity.crt");
            Files.writeString(awsCert, aws.certPem());
            int port;
            try (var s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Path fleet = dir.resolve("ec2.yaml");
            Files.writeString(fleet, Files.readString(Ec2ConfigParserTest.EXAMPLE).replace("  home: /opt/spottrain",
                    "  home: /opt/spottrain\n  enrollPort: " + port));
            Path state = dir.resolve("state");
            Process p = start(fake, fleet, state, new ArrayList<>(), List.of("--aws-identity-cert", awsCert.toString()));
            try {
                await("the enrollment endpoint", () -> log().contains("enrollment of cluster research agents on https://127.0.0.1:" + port), p);
                Path agent = dir.resolve("agent-tls");
                Files.createDirectories(agent);
                Files.writeString(agent.resolve(NodeTls.CA), ClusterPki.existing(state).caPem());
                String doc = FakeAwsIdentity.document("i-0abc12345678", "10.0.1.23", Instant.now());
                var urls = List.of(URI.create("https://127.0.0.1:" + port));
                var tls = Enrollment.enroll(urls, agent, aws.of(doc), Duration.ofSeconds(10));
                try (var in = Files.newInputStream(tls.cert())) {
                    var cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
                    assertEquals("CN=i-0abc12345678", cert.getSubjectX500Principal().getName());
                }
                Path second = dir.resolve("again");
                Files.createDirectories(second);
                Files.copy(agent.resolve(NodeTls.CA), second.resolve(NodeTls.CA));
                var again = assertThrows(JoinMaterial.JoinException.class, () -> Enrollment.enroll(urls, second, aws.of(doc),
                        Duration.ofSeconds(10)));
                assertTrue(again.getMessage().contains("409"), again.getMessage());
                // the launcher's upkeep describes by tag every second; the enrollment asked about the instance by its id
                assertTrue(fake.calls("DescribeInstances").stream().anyMatch(c -> "i-0abc12345678".equals(c.get("InstanceId.1"))),
                        fake.calls("DescribeInstances").toString());
            } finally {
                ProcessTree.kill(p.pid());
            }
        }
    }

    /**
     * {@code spottrain coordinator --launcher ec2} against the fake (memory store, no S3, upkeep every second), the SDK's
     * keys in its environment only; {@code argv} receives its command line.
     */
    private Process start(FakeEc2 fake, Path fleet, Path state, List<String> argv, List<String> extra) throws IOException {
        AdminToken.ensure(state);
        var flags = new ArrayList<>(JavaCommand.COORDINATOR_FLAGS);
        flags.add("-Dspottrain.coordinator.launcher-upkeep-interval=1s");
        var args = new ArrayList<>(List.of("coordinator", "--state-dir", state.toString(), "--store", "memory", "--no-s3", "--launcher", "ec2",
                "--ec2-config", fleet.toString()));
        args.addAll(extra);
        argv.addAll(JavaCommand.current(flags).argv(args));
        var pb = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(dir.resolve("control1.log").toFile());
        pb.environment().put("AWS_ENDPOINT_URL_EC2", fake.endpoint());
        pb.environment().put("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
        pb.environment().put("AWS_SECRET_ACCESS_KEY", "not-a-secret");
        return pb.start();
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("control1.log"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void await(String what, BooleanSupplier done, Process p) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (done.getAsBoolean()) {
                if (!p.isAlive()) throw new AssertionError("the coordinator exited (" + p.exitValue() + ") before " + what + ":\n"
                        + ProcessTree.tail(dir.resolve("control1.log"), 30));
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("within 60 s: " + what + "\n" + ProcessTree.tail(dir.resolve("control1.log"), 30));
    }
}
