package io.spottrain.launchers.ec2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.launchers.ec2.FleetRequests.Gang;
import io.spottrain.protocol.spec.Market;
import io.spottrain.protocol.spec.NodeMarket;
import java.nio.file.Files;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.model.DefaultTargetCapacityType;
import software.amazon.awssdk.services.ec2.model.FleetType;
import software.amazon.awssdk.services.ec2.model.LaunchTemplateHttpTokensState;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.SpotAllocationStrategy;
import software.amazon.awssdk.services.ec2.model.Tag;

/** The requests the EC2 launcher sends, as pure functions of the config and the gang. */
class FleetRequestsTest {
    private static final Gang SPOT4 = new Gang("bert-7f3a", Map.of("team", "nlp", "project", "bert"), 4, NodeMarket.SPOT, "launch-1");

    @Test
    void aSpotGangIsOneInstantAllOrNothingFleetInOneZoneOverEveryPool() throws Exception {
        var c = Ec2ConfigParserTest.example();
        var r = FleetRequests.createFleet(c, SPOT4, "3");
        assertEquals(FleetType.INSTANT, r.type());
        assertEquals(4, r.targetCapacitySpecification().totalTargetCapacity());
        assertEquals(DefaultTargetCapacityType.SPOT, r.targetCapacitySpecification().defaultTargetCapacityType());
        assertEquals(4, r.spotOptions().minTargetCapacity(), "all or nothing");
        assertTrue(r.spotOptions().singleAvailabilityZone(), "one zone for the ring");
        assertEquals(SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED, r.spotOptions().allocationStrategy());
        assertNull(r.onDemandOptions());
        var config = r.launchTemplateConfigs().get(0);
        assertEquals("spottrain-research", config.launchTemplateSpecification().launchTemplateName());
        assertEquals("3", config.launchTemplateSpecification().version());
        assertEquals(2 * 2, config.overrides().size(), "2 instance types x 2 subnets");
        assertEquals(List.of("p3.2xlarge/us-east-1a", "p3.2xlarge/us-east-1b", "g5.xlarge/us-east-1a", "g5.xlarge/us-east-1b"),
                config.overrides().stream().map(o -> o.instanceType() + "/" + o.availabilityZone()).toList());
    }

    @Test
    void instancesAreTaggedForOwnershipAndCostAllocation() throws Exception {
        var c = Ec2ConfigParserTest.example();
        var spec = FleetRequests.createFleet(c, SPOT4, "1").tagSpecifications().get(0);
        assertEquals(ResourceType.INSTANCE, spec.resourceType());
        Map<String, String> tags = spec.tags().stream().collect(Collectors.toMap(Tag::key, Tag::value));
        assertEquals("research", tags.get("spottrain:cluster"));
        assertEquals("bert-7f3a", tags.get("spottrain:job"));
        assertEquals("nlp", tags.get("team"), "the job's labels");
        assertEquals("ml-42", tags.get("cost-center"), "the config's tags");
        assertEquals(FleetRequests.createFleet(c, SPOT4, "1").clientToken(), tags.get("spottrain:launch"), "the launch, to reconcile by");
    }

    @Test
    void aRetryReusesItsClientTokenTheNextAttemptDoesNot() throws Exception {
        var c = Ec2ConfigParserTest.example();
        String first = FleetRequests.createFleet(c, SPOT4, "1").clientToken();
        assertEquals(first, FleetRequests.createFleet(c, SPOT4, "1").clientToken(), "the same launch retried: EC2 launches nothing twice");
        assertNotEquals(first, FleetRequests.createFleet(c, new Gang("bert-7f3a", Map.of(), 4, NodeMarket.SPOT, "launch-2"), "1").clientToken());
        assertNotEquals(first, FleetRequests.createFleet(c, new Gang("bert-7f3a", Map.of(), 4, NodeMarket.ON_DEMAND, "launch-1"), "1").clientToken());
        assertTrue(first.length() <= 64, first);
    }

    @Test
    void onDemandIsAllOrNothingInOneZoneToo() throws Exception {
        var r = FleetRequests.createFleet(Ec2ConfigParserTest.example(), new Gang("j", Map.of(), 2, NodeMarket.ON_DEMAND, "launch-1"), "1");
        assertEquals(DefaultTargetCapacityType.ON_DEMAND, r.targetCapacitySpecification().defaultTargetCapacityType());
        assertEquals(2, r.onDemandOptions().minTargetCapacity());
        assertTrue(r.onDemandOptions().singleAvailabilityZone());
        assertNull(r.spotOptions());
    }

    @Test
    void spotWithFallbackAsksForSpotThenOnDemand() {
        assertEquals(List.of(NodeMarket.SPOT, NodeMarket.ON_DEMAND), FleetRequests.markets(Market.SPOT_WITH_FALLBACK));
        assertEquals(List.of(NodeMarket.SPOT), FleetRequests.markets(Market.SPOT));
        assertEquals(List.of(NodeMarket.ON_DEMAND), FleetRequests.markets(Market.ON_DEMAND));
    }

    @Test
    void theLaunchTemplateRequiresImdsV2AndItsUserDataHoldsNoSecret() throws Exception {
        var c = Ec2ConfigParserTest.example();
        var data = FleetRequests.launchTemplateVersion(c).launchTemplateData();
        assertEquals(LaunchTemplateHttpTokensState.REQUIRED, data.metadataOptions().httpTokens());
        assertEquals(1, data.metadataOptions().httpPutResponseHopLimit());
        assertEquals("spottrain-agent", data.iamInstanceProfile().name());
        String userData = new String(Base64.getDecoder().decode(data.userData()), StandardCharsets.UTF_8);
        assertTrue(userData.startsWith("#!/bin/bash\n"), userData);
        assertTrue(userData.contains("SPOTTRAIN_JOIN_PARAMETER=/spottrain/research/join"), userData);
        assertTrue(userData.contains("SPOTTRAIN_SEEDS=10.0.1.10:25520,10.0.2.10:25520,10.0.1.11:25520"), userData);
        assertFalse(userData.toLowerCase().contains("token=") || userData.toLowerCase().contains("secret"), userData);
        assertEquals(ResourceType.VOLUME, data.tagSpecifications().get(0).resourceType());
    }

    @Test
    void withEnrollmentTheUserDataNamesTheControlNodesEndpointsAndAnUnusablePortIsNamed() throws Exception {
        String yaml = Files.readString(Ec2ConfigParserTest.EXAMPLE).replace("  home: /opt/spottrain", "  home: /opt/spottrain\n  enrollPort: 25530");
        var c = Ec2ConfigParser.parse("ec2.yaml", yaml);
        assertEquals(25530, c.agent().enrollPort());
        assertEquals("https://10.0.1.10:25530,https://10.0.2.10:25530,https://10.0.1.11:25530", c.agent().enrollUrls());
        String userData = FleetRequests.userData(c);
        assertTrue(userData.contains("\nSPOTTRAIN_ENROLL_URLS=https://10.0.1.10:25530,https://10.0.2.10:25530,https://10.0.1.11:25530\n"
                + "SPOTTRAIN_HOME=/opt/spottrain\n"), userData);
        assertFalse(FleetRequests.userData(Ec2ConfigParserTest.example()).contains("ENROLL"), "no enrollment unless asked");
        var e = assertThrows(Ec2ConfigParser.Ec2ConfigException.class, () -> Ec2ConfigParser.parse("ec2.yaml",
                yaml.replace("enrollPort: 25530", "enrollPort: 70000")));
        assertTrue(e.getMessage().contains("agent.enrollPort"), e.getMessage());
    }
}
