package io.spottrain.launchers.ec2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.coordinator.launch.NodeLauncher.LaunchException;
import io.spottrain.coordinator.launch.NodeLauncher.NodeRequest;
import io.spottrain.coordinator.launch.NodeLauncher.NodeShape;
import io.spottrain.launchers.ec2.FleetRequests.Pool;
import io.spottrain.protocol.spec.NodeMarket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.ec2.Ec2Client;

/**
 * {@link Ec2Launcher} with the real {@code Ec2Client} against {@link FakeEc2}: a gang in one
 * fleet, tagged for its job; a pool without capacity left out and the next asked; every pool
 * cooling down; an auth error to the operator; reconciliation by tag; Spot prices for the shapes.
 */
class Ec2LauncherTest {
    static final String A = "subnet-0a1b2c3d4e5f60718";
    static final String B = "subnet-0b1c2d3e4f5a60718";
    static final NodeRequest SPOT1 = new NodeRequest(null, NodeMarket.SPOT, "p3.2xlarge", 1, 0.91, 3.06, null)
            .forJob("bert-7f3a", Map.of("team", "nlp"));

    FakeEc2 fake;
    Ec2Client client;
    Ec2Launcher launcher;
    Instant now = Instant.parse("2026-12-02T10:00:00Z");

    @BeforeEach
    void start() throws Exception {
        fake = new FakeEc2();
        client = fake.client();
        launcher = launcher();
    }

    private Ec2Launcher launcher() throws Exception {
        return new Ec2Launcher(Ec2ConfigParserTest.example(), client, new Clock() {
            @Override
            public Instant instant() {
                return now;
            }

            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }
        });
    }

    @AfterEach
    void stop() {
        client.close();
        fake.close();
    }

    @Test
    void aGangIsOneFleetTaggedForItsJobAndTheTemplateIsMadeOnce() throws Exception {
        fake.capacity.put("p3.2xlarge/" + A, 4);
        var gang = launcher.launch(SPOT1, 3);
        assertEquals(3, gang.size());
        assertEquals(1, fake.calls("CreateFleet").size(), "one request for the whole gang");
        assertEquals("3", fake.calls("CreateFleet").get(0).get("SpotOptions.MinTargetCapacity"), "all or nothing");
        assertEquals(1, fake.calls("CreateLaunchTemplate").size(), "the cluster's first launch creates the template");
        for (var n : gang) {
            var vm = fake.instances.get(n.nodeId());
            assertEquals("bert-7f3a", vm.tags().get(FleetRequests.TAG_JOB));
            assertEquals("nlp", vm.tags().get("team"), "the job's labels, usable as cost allocation tags");
            assertEquals("research", vm.tags().get(FleetRequests.TAG_CLUSTER));
            assertEquals(NodeMarket.SPOT, n.market());
        }
        assertEquals(Set.copyOf(gang), Set.copyOf(launcher.nodes()));
        launcher.launch(SPOT1);
        assertEquals(1, fake.calls("CreateLaunchTemplateVersion").size(), "the template version is asked for once per launcher");
        assertEquals(1, fake.calls("CreateLaunchTemplate").size());
        assertEquals(4, launcher.nodes().size());
    }

    @Test
    void aPoolWithoutCapacityIsLeftOutForTheCooldownAndTheNextIsAsked() throws Exception {
        fake.firstPoolOnly = true; // EC2 picks one pool and says it has none
        fake.capacity.put("p3.2xlarge/" + B, 2);
        var gang = launcher.launch(SPOT1, 2);
        assertEquals(2, gang.size());
        var fleets = fake.calls("CreateFleet");
        assertEquals(2, fleets.size(), "p3 in us-east-1a said no; the second request went to the other pools");
        assertEquals(B, fleets.get(1).get("LaunchTemplateConfigs.1.Overrides.1.SubnetId"), "the first pool left out");
        assertEquals(3, fleets.get(1).keySet().stream().filter(k -> k.endsWith(".InstanceType")).count(), "3 of the 4 pools asked");
        assertFalse(fleets.get(0).get("ClientToken").equals(fleets.get(1).get("ClientToken")), "another request, another token");
        assertEquals(Set.of(new Pool("p3.2xlarge", A, "us-east-1a")), launcher.coolingPools().keySet());
        assertEquals("InsufficientInstanceCapacity", launcher.coolingPools().values().iterator().next().code());
        // explain shows it: the pool, the code and until when
        assertEquals(Set.of("p3.2xlarge/us-east-1a (" + A + ")"), launcher.unavailable().keySet());
        assertTrue(launcher.unavailable().get("p3.2xlarge/us-east-1a (" + A + ")").startsWith("InsufficientInstanceCapacity until "),
                launcher.unavailable().toString());
        now = now.plus(Duration.ofMinutes(6)); // the config's pool cooldown is 5 minutes
        assertTrue(launcher.coolingPools().isEmpty(), "asked again after the cooldown");
    }

    @Test
    void noPoolWithCapacityFailsNamingEveryPoolsAnswer() throws Exception {
        var e = assertThrows(LaunchException.class, () -> launcher.launch(SPOT1, 2));
        assertTrue(e.getMessage().contains("no spot capacity for 2 node(s) in any pool"), e.getMessage());
        assertTrue(e.getMessage().contains("p3.2xlarge/us-east-1b: InsufficientInstanceCapacity"), e.getMessage());
        assertEquals(4, launcher.coolingPools().size());
        var again = assertThrows(LaunchException.class, () -> launcher.launch(SPOT1));
        assertTrue(again.getMessage().contains("every pool is cooling down"), again.getMessage());
        assertEquals(1, fake.calls("CreateFleet").size(), "nothing asked while every pool cools down");
    }

    @Test
    @Timeout(10) // without the guard this asked EC2 for ever
    void aCapacityErrorNamingNoPoolEndsTheLaunchInsteadOfAskingForEver() {
        fake.errorsWithoutSubnet = true;
        var e = assertThrows(LaunchException.class, () -> launcher.launch(SPOT1));
        assertTrue(e.getMessage().contains("InsufficientInstanceCapacity"), e.getMessage());
        assertEquals(1, fake.calls("CreateFleet").size(), "no pool could be left out, so the same request is not sent again");
    }

    @Test
    void anAuthErrorReachesTheOperatorWithAwsMessage() {
        fake.refuseWith = "UnauthorizedOperation";
        var e = assertThrows(LaunchException.class, () -> launcher.launch(SPOT1));
        assertTrue(e.getMessage().contains("UnauthorizedOperation: You are not authorized"), e.getMessage());
        assertTrue(e.getMessage().contains("IAM policy"), e.getMessage());
        assertTrue(launcher.coolingPools().isEmpty(), "not a capacity problem");
    }

    @Test
    void aGangNeedsEnoughGpusPerNode() {
        var big = new NodeRequest(null, NodeMarket.SPOT, "p3.8xlarge", 4, 3.6, 12.24, null);
        var e = assertThrows(LaunchException.class, () -> launcher.launch(big));
        assertTrue(e.getMessage().contains("no instance type in the fleet config has 4 GPU(s)"), e.getMessage());
        assertTrue(fake.requests.isEmpty());
    }

    /** A job's GPU needs travel with its request: only the fleet's pools whose GPU fits are asked (the config has V100 and A10G types). */
    @Test
    void onlyPoolsWithTheGpuTheJobNeedsAreAsked() throws Exception {
        fake.capacity.put("p3.2xlarge/" + A, 4);
        fake.capacity.put("g5.xlarge/" + A, 1);
        var nodes = launcher.launch(SPOT1.withGpu(List.of("A10G"), 20), 1);
        assertEquals(1, nodes.size());
        var fleet = fake.calls("CreateFleet").get(0);
        var types = fleet.entrySet().stream().filter(e -> e.getKey().endsWith(".InstanceType")).map(Map.Entry::getValue).distinct().toList();
        assertEquals(List.of("g5.xlarge"), types, "no V100 pool for an A10G job: " + fleet);
        var none = assertThrows(LaunchException.class, () -> launcher.launch(SPOT1.withGpu(List.of("H100"), 0)));
        assertTrue(none.getMessage().contains("no instance type in the fleet config has 1 GPU(s) of H100"), none.getMessage());
    }

    /**
     * A request that names its types (a job's spec.placement.instanceTypes, an autoscaler pool's) is asked of those pools
     * only: otherwise EC2's allocation strategy could start a type the job cannot use, or one another pool counts.
     */
    @Test
    void onlyTheRequestsTypesAreAsked() throws Exception {
        fake.capacity.put("p3.2xlarge/" + A, 4);
        fake.capacity.put("g5.xlarge/" + A, 4);
        launcher.launch(SPOT1.withTypes(List.of("g5.xlarge")), 2);
        var fleet = fake.calls("CreateFleet").get(0);
        var types = fleet.entrySet().stream().filter(e -> e.getKey().endsWith(".InstanceType")).map(Map.Entry::getValue).distinct().toList();
        assertEquals(List.of("g5.xlarge"), types, fleet::toString);
        var none = assertThrows(LaunchException.class, () -> launcher.launch(SPOT1.withTypes(List.of("p4d.24xlarge"))));
        assertTrue(none.getMessage().contains("has 1 GPU(s) among p4d.24xlarge"), none.getMessage());
    }

    @Test
    void aRequestForAZoneAsksOnlyThatZonesSubnetsAndOneForAZoneWithoutASubnetIsRefused() throws Exception {
        fake.capacity.put("g5.xlarge/" + A, 4);
        fake.capacity.put("g5.xlarge/" + B, 4);
        var inB = new NodeRequest(null, NodeMarket.SPOT, "g5.xlarge", 1, 0.42, 1.006, "us-east-1b").withTypes(List.of("g5.xlarge"));
        launcher.launch(inB, 1);
        var fleet = fake.calls("CreateFleet").get(0);
        var subnets = fleet.entrySet().stream().filter(e -> e.getKey().endsWith(".SubnetId")).map(Map.Entry::getValue).distinct().toList();
        assertEquals(List.of(B), subnets, fleet::toString);
        var none = assertThrows(LaunchException.class, () -> launcher.launch(new NodeRequest(null, NodeMarket.SPOT, "g5.xlarge", 1, 0.42,
                1.006, "eu-west-1a")));
        assertTrue(none.getMessage().contains("in a subnet of zone eu-west-1a"), none.getMessage());
        var reserved = assertThrows(LaunchException.class, () -> launcher.launch(new NodeRequest(null, NodeMarket.RESERVED, "g5.xlarge", 1,
                0.634, 1.006, null)));
        assertTrue(reserved.getMessage().contains("SPOTTRAIN_MARKET=reserved"), reserved.getMessage());
    }

    @Test
    void anEnrollmentAsksEc2AboutOneInstanceByItsId() throws Exception {
        fake.addInstance("i-0abc12345678", true, now, Map.of(FleetRequests.TAG_CLUSTER, "research", "team", "vision"), "running");
        fake.addInstance("i-0def12345678", true, now, Map.of(FleetRequests.TAG_CLUSTER, "prod"), "running");
        var seen = launcher.describe("i-0abc12345678").orElseThrow();
        assertEquals("running", seen.state());
        assertEquals("research", seen.tags().get(FleetRequests.TAG_CLUSTER));
        assertTrue(launcher.describe("i-0fff12345678").isEmpty(), "an instance EC2 does not know");
        var asked = fake.calls("DescribeInstances");
        assertEquals("i-0abc12345678", asked.get(0).get("InstanceId.1"), asked::toString);
    }

    @Test
    void reconciliationAdoptsTheClustersInstancesAndTerminatesThoseThatNeverRegistered() throws Exception {
        var ours = Map.of(FleetRequests.TAG_CLUSTER, "research");
        fake.addInstance("i-0registered", true, now.minus(Duration.ofHours(2)), ours, "running");
        fake.addInstance("i-0booting", false, now.minus(Duration.ofMinutes(2)), ours, "pending");
        fake.addInstance("i-0orphan", true, now.minus(Duration.ofMinutes(30)), ours, "running");
        fake.addInstance("i-0gone", true, now.minus(Duration.ofHours(3)), ours, "terminated");
        fake.addInstance("i-0other", true, now.minus(Duration.ofHours(3)), Map.of(FleetRequests.TAG_CLUSTER, "prod"), "running");
        var r = launcher.reconcile(Set.of("i-0registered"), Duration.ofMinutes(10));
        assertEquals(List.of("i-0orphan"), r.terminated());
        assertEquals(Set.of("i-0registered", "i-0booting"), Set.copyOf(r.adopted().stream().map(n -> n.nodeId()).toList()));
        assertEquals(NodeMarket.ON_DEMAND, r.adopted().stream().filter(n -> n.nodeId().equals("i-0booting")).findFirst().orElseThrow().market());
        assertEquals("terminated", fake.instances.get("i-0orphan").state());
        assertEquals("running", fake.instances.get("i-0other").state(), "another cluster's instance is not ours");
        assertEquals(2, launcher.nodes().size());
    }

    @Test
    void theCoordinatorsUpkeepReconcilesWithTheConfigsGraceThenReadsPrices() throws Exception {
        var ours = Map.of(FleetRequests.TAG_CLUSTER, "research");
        fake.addInstance("i-0known", true, now.minus(Duration.ofHours(2)), ours, "running");
        fake.addInstance("i-0young", true, now.minus(Duration.ofMinutes(9)), ours, "running");
        fake.addInstance("i-0orphan", true, now.minus(Duration.ofMinutes(11)), ours, "running");
        fake.spotPrices.put("g5.xlarge/us-east-1a", 0.42);
        var lines = launcher.upkeep(Set.of("i-0known", "node7"));
        assertEquals(List.of("2 instance(s) of cluster research running; terminated [i-0orphan]: never registered within 600 s of their launch",
                "spot prices per hour {g5.xlarge=0.42}"), lines);
        assertEquals("terminated", fake.instances.get("i-0orphan").state());
        assertEquals("running", fake.instances.get("i-0young").state(), "inside the 10 m orphanGrace of the example config");
        assertTrue(launcher.shapes().contains(new NodeShape(NodeMarket.SPOT, "g5.xlarge", 1, 0.42, 0)));
    }

    @Test
    void orphansAreThoseNeverRegisteredPastTheGrace() {
        var launched = Map.of("i-a", now.minus(Duration.ofMinutes(20)), "i-b", now.minus(Duration.ofMinutes(5)), "i-c",
                now.minus(Duration.ofMinutes(20)));
        assertEquals(List.of("i-a"), Ec2Launcher.orphans(launched, Set.of("i-c"), now, Duration.ofMinutes(10)));
        assertEquals(List.of(), Ec2Launcher.orphans(launched, Set.of(), now, Duration.ofMinutes(30)));
    }

    @Test
    void spotPricesFromThePriceHistoryFeedTheShapes() throws Exception {
        fake.spotPrices.put("p3.2xlarge/us-east-1a", 0.95);
        fake.spotPrices.put("p3.2xlarge/us-east-1b", 0.918);
        fake.spotPrices.put("p3.2xlarge/us-west-2a", 0.5); // not a zone of the config
        fake.spotPrices.put("g5.xlarge/us-east-1a", 0.42);
        assertEquals(Map.of("p3.2xlarge", 0.918, "g5.xlarge", 0.42), launcher.refreshSpotPrices());
        var shapes = launcher.shapes();
        assertTrue(shapes.contains(new NodeShape(NodeMarket.SPOT, "p3.2xlarge", 1, 0.918, 0)), shapes.toString());
        assertTrue(shapes.contains(new NodeShape(NodeMarket.ON_DEMAND, "p3.2xlarge", 1, 3.06, 0)), shapes.toString());
    }

    @Test
    void aReleasedNodeIsTerminated() throws Exception {
        fake.capacity.put("g5.xlarge/" + A, 1);
        var n = launcher.launch(SPOT1);
        launcher.stop(n.nodeId());
        assertEquals(n.nodeId(), fake.calls("TerminateInstances").get(0).get("InstanceId.1"));
        assertTrue(launcher.nodes().isEmpty());
        launcher.close();
        assertThrows(LaunchException.class, () -> launcher.launch(SPOT1), "closed: launches nothing");
        assertEquals("terminated", fake.instances.get(n.nodeId()).state());
    }
}
