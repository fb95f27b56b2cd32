package io.spottrain.launchers.ec2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.launchers.ec2.Ec2Config.SpotAllocation;
import io.spottrain.launchers.ec2.Ec2ConfigParser.Ec2ConfigException;
import io.spottrain.protocol.spec.FieldError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The EC2 fleet config: the shipped example parses; every bad field is named, all at once. */
class Ec2ConfigParserTest {
    static final Path EXAMPLE = Path.of("").toAbsolutePath().getParent().resolve("examples/cluster/ec2.yaml");

    static Ec2Config example() throws Exception {
        return Ec2ConfigParser.parse("ec2.yaml", Files.readString(EXAMPLE));
    }

    @Test
    void theShippedExampleParses() throws Exception {
        Ec2Config c = example();
        assertEquals("research", c.cluster());
        assertEquals("us-east-1", c.region());
        assertEquals(2, c.subnets().size());
        assertEquals("us-east-1b", c.subnets().get(1).zone());
        assertEquals(List.of("p3.2xlarge", "g5.xlarge"), c.instanceTypes().stream().map(Ec2Config.InstanceType::type).toList());
        assertEquals(3.06, c.instanceTypes().get(0).onDemandPricePerHour());
        assertEquals(SpotAllocation.PRICE_CAPACITY_OPTIMIZED, c.spotAllocation());
        assertEquals("ml-42", c.tags().get("cost-center"));
        assertEquals("/spottrain/research/join", c.agent().joinParameter());
        assertEquals(3, c.agent().seeds().size());
        assertEquals(Duration.ofMinutes(5), c.poolCooldown());
        assertEquals(Duration.ofMinutes(10), c.orphanGrace());
    }

    @Test
    void anInstanceTypeWithoutItsPriceTakesTheShippedCatalogsForTheRegion() throws Exception {
        String yaml = Files.readString(EXAMPLE).replace("gpuMemoryGiB: 24, onDemandPricePerHour: 1.006}", "gpuMemoryGiB: 24}");
        assertTrue(!yaml.contains("1.006"), "the example changed: " + yaml);
        Ec2Config c = Ec2ConfigParser.parse("ec2.yaml", yaml);
        assertEquals(1.006, c.instanceTypes().get(1).onDemandPricePerHour(), "g5.xlarge in us-east-1, as-of 2025-06-01");
    }

    static Stream<Arguments> badFields() {
        return Stream.of(
                Arguments.of("region: mars-1", "region", "an AWS region"),
                Arguments.of("imageId: ubuntu", "imageId", "an AMI id"),
                Arguments.of("securityGroups: []", "securityGroups", "non-empty list"),
                Arguments.of("securityGroups: [default]", "securityGroups[0]", "security group id"),
                Arguments.of("subnets: [{id: subnet-0a1b2c3d4e5f60718}]", "subnets[0].zone", "required"),
                Arguments.of("subnets: [{id: subnet-0a1b2c3d4e5f60718, zone: us-east-1a, az: x}]", "subnets[0].az", "unknown field"),
                Arguments.of("instanceTypes: [{type: p3.2xlarge, gpus: 1, onDemandPricePerHour: 0}]", "instanceTypes[0].onDemandPricePerHour", "> 0"),
                Arguments.of("instanceTypes: [{type: p3.2xlarge, gpus: 1, onDemandPricePerHour: 3}, {type: p3.2xlarge, gpus: 1, onDemandPricePerHour: 3}]",
                        "instanceTypes[1].type", "listed twice"),
                Arguments.of("instanceTypes: [{type: p3.2xlarge, gpus: -1, onDemandPricePerHour: 3}]", "instanceTypes[0].gpus", "whole number"),
                Arguments.of("instanceTypes: [{type: g6.xlarge, gpus: 1}]", "instanceTypes[0].onDemandPricePerHour",
                        "g6.xlarge in us-east-1 is not in the shipped price catalog"),
                Arguments.of("spotAllocation: lowest-price", "spotAllocation", "price-capacity-optimized or capacity-optimized"),
                Arguments.of("tags: {spottrain:job: x}", "tags.spottrain:job", "reserved"),
                Arguments.of("agent: {seeds: [\"10.0.1.10\"], joinParameter: /p}", "agent.seeds[0]", "host:port"),
                Arguments.of("agent: {seeds: [\"10.0.1.10:25520\"], joinParameter: secret-value}", "agent.joinParameter", "SSM parameter name"),
                Arguments.of("poolCooldown: soon", "poolCooldown", "duration"),
                Arguments.of("orphanGrace: 10 minutes", "orphanGrace", "duration"),
                Arguments.of("regoin: us-east-1", "regoin", "unknown field"));
    }

    /** The example with one top-level field replaced (or added), as one-line YAML. */
    private static String withField(String line) throws Exception {
        String key = line.substring(0, line.indexOf(':'));
        var out = new StringBuilder();
        boolean skipping = false;
        boolean replaced = false;
        for (String l : Files.readAllLines(EXAMPLE)) {
            if (skipping && (l.startsWith(" ") || l.startsWith("-"))) continue;
            skipping = false;
            if (l.startsWith(key + ":")) {
                out.append(line).append('\n');
                skipping = true;
                replaced = true;
                continue;
            }
            out.append(l).append('\n');
        }
        if (!replaced) out.append(line).append('\n');
        return out.toString();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void badFields(String yaml, String path, String message) throws Exception {
        var e = assertThrows(Ec2ConfigException.class, () -> Ec2ConfigParser.parse("ec2.yaml", withField(yaml)));
        assertTrue(e.errors().stream().anyMatch(f -> f.path().equals(path) && f.message().contains(message)),
                "expected " + path + ": ..." + message + "... in " + e.errors());
    }

    @Test
    void everyErrorIsReportedAtOnce() {
        var e = assertThrows(Ec2ConfigException.class, () -> Ec2ConfigParser.parse("x.yaml", "apiVersion: spottrain/v1\nkind: Ec2Fleet\nregion: x\n"));
        var paths = e.errors().stream().map(FieldError::path).toList();
        for (String p : List.of("cluster", "region", "imageId", "instanceProfile", "securityGroups", "subnets", "instanceTypes", "agent")) {
            assertTrue(paths.contains(p), p + " in " + paths);
        }
        assertTrue(e.getMessage().startsWith("x.yaml: "), e.getMessage());
    }
}
