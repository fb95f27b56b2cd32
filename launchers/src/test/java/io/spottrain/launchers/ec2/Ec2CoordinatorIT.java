package io.spottrain.launchers.ec2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.launchers.local.AdminToken;
import io.spottrain.launchers.local.ClusterState;
import io.spottrain.launchers.local.JavaCommand;
import io.spottrain.launchers.local.LocalCluster;
import io.spottrain.launchers.local.ProcessTree;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
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
            AdminToken.ensure(state);
            var flags = new ArrayList<>(JavaCommand.COORDINATOR_FLAGS);
            flags.add("-Dspottrain.coordinator.launcher-upkeep-interval=1s");
            var argv = JavaCommand.current(flags).argv(List.of("coordinator", "--state-dir", state.toString(), "--store", "memory",
                    "--no-s3", "--launcher", "ec2", "--ec2-config", fleet.toString()));
            var pb = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(dir.resolve("control1.log").toFile());
            pb.environment().put("AWS_ENDPOINT_URL_EC2", fake.endpoint());
            pb.environment().put("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
            pb.environment().put("AWS_SECRET_ACCESS_KEY", "not-a-secret");
            Process p = pb.start();
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
