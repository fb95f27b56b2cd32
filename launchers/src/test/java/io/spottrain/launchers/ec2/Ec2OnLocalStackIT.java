package io.spottrain.launchers.ec2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.agent.node.JoinMaterial;
import io.spottrain.coordinator.launch.NodeLauncher.LaunchedNode;
import io.spottrain.coordinator.launch.NodeLauncher.NodeRequest;
import io.spottrain.launchers.local.ClusterPki;
import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.tls.NodeTls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.localstack.LocalStackContainer;
import org.testcontainers.utility.DockerImageName;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.Subnet;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * The launcher and the agents' join material against LocalStack's EC2, IAM and SSM in Docker (the
 * issue's "LocalStack Testcontainers test"); skipped, not failed, without Docker. What the wire
 * test ({@link Ec2WireTest}) asserts byte for byte against a loopback server, this runs against an
 * emulator that keeps state: a gang's CreateFleet makes tagged instances, another launcher (a
 * coordinator that took over) adopts them by their tags, a released node is terminated, and the
 * join material put as SecureStrings is read back and checked as an agent reads it.
 *
 * <p>Written and compiled here, never run on our machines (none has a Docker engine): the first
 * machine with Docker that runs it may find what LocalStack emulates differently.
 */
@Testcontainers(disabledWithoutDocker = true)
class Ec2OnLocalStackIT {
    @Container
    static final LocalStackContainer LOCALSTACK = new LocalStackContainer(DockerImageName.parse("localstack/localstack:4.4"))
            .withServices("ec2", "iam", "ssm");

    static Ec2Client ec2;
    static SsmClient ssm;
    static IamClient iam;

    @TempDir
    Path dir;

    @BeforeAll
    static void clients() {
        var region = Region.of(LOCALSTACK.getRegion());
        var creds = StaticCredentialsProvider.create(AwsBasicCredentials.create(LOCALSTACK.getAccessKey(), LOCALSTACK.getSecretKey()));
        ec2 = Ec2Client.builder().region(region).endpointOverride(LOCALSTACK.getEndpoint()).credentialsProvider(creds)
                .httpClient(UrlConnectionHttpClient.create()).build();
        ssm = SsmClient.builder().region(region).endpointOverride(LOCALSTACK.getEndpoint()).credentialsProvider(creds)
                .httpClient(UrlConnectionHttpClient.create()).build();
        iam = IamClient.builder().region(Region.AWS_GLOBAL).endpointOverride(LOCALSTACK.getEndpoint()).credentialsProvider(creds)
                .httpClient(UrlConnectionHttpClient.create()).build();
    }

    @AfterAll
    static void close() {
        if (ec2 != null) ec2.close();
        if (ssm != null) ssm.close();
        if (iam != null) iam.close();
    }

    /** A fleet config of what LocalStack has: its default VPC's subnets (two zones), an image, the default group, a new profile. */
    static Ec2Config config(String cluster) throws Exception {
        var subnets = new ArrayList<Subnet>();
        var zones = new TreeSet<String>();
        for (Subnet s : ec2.describeSubnets().subnets()) if (zones.add(s.availabilityZone()) && subnets.size() < 2) subnets.add(s);
        assertTrue(!subnets.isEmpty(), "LocalStack has no default subnets");
        String image = ec2.describeImages().images().get(0).imageId();
        String group = ec2.describeSecurityGroups(b -> b.filters(Filter.builder().name("group-name").values("default").build()))
                .securityGroups().get(0).groupId();
        iam.createInstanceProfile(b -> b.instanceProfileName("spottrain-agent-" + cluster));
        var yaml = new StringBuilder("""
                apiVersion: spottrain/v1
                kind: Ec2Fleet
                cluster: %s
                region: %s
                imageId: %s
                instanceProfile: spottrain-agent-%s
                securityGroups: [%s]
                subnets:
                """.formatted(cluster, LOCALSTACK.getRegion(), image, cluster, group));
        for (Subnet s : subnets) yaml.append("  - {id: ").append(s.subnetId()).append(", zone: ").append(s.availabilityZone()).append("}\n");
        yaml.append("""
                instanceTypes:
                  - {type: g5.xlarge, gpus: 1, gpuModel: A10G, gpuMemoryGiB: 24, onDemandPricePerHour: 1.006}
                tags: {team: research}
                agent:
                  seeds: ["10.0.1.10:25520"]
                  joinParameter: /spottrain/%s/join
                  home: /opt/spottrain
                """.formatted(cluster));
        return Ec2ConfigParser.parse("localstack.yaml", yaml.toString());
    }

    static Map<String, Instance> instances(String cluster) {
        var out = new LinkedHashMap<String, Instance>();
        ec2.describeInstances(b -> b.filters(Filter.builder().name("tag:" + FleetRequests.TAG_CLUSTER).values(cluster).build()))
                .reservations().forEach(r -> r.instances().forEach(i -> out.put(i.instanceId(), i)));
        return out;
    }

    static Map<String, String> tags(Instance i) {
        var t = new HashMap<String, String>();
        i.tags().forEach(tag -> t.put(tag.key(), tag.value()));
        return t;
    }

    @Test
    void aGangIsOneTaggedFleetThatAnotherLauncherAdoptsAndAReleasedNodeIsTerminated() throws Exception {
        Ec2Config c = config("ls-fleet");
        var launcher = new Ec2Launcher(c, ec2, Clock.systemUTC());
        List<LaunchedNode> launched = launcher.launch(new NodeRequest(null, NodeMarket.ON_DEMAND, "g5.xlarge", 1, 1.006, 1.006, null)
                .forJob("job-7", Map.of("team", "vision")), 2);
        assertEquals(2, launched.size(), launched.toString());
        var seen = instances("ls-fleet");
        assertEquals(launched.stream().map(LaunchedNode::nodeId).collect(TreeSet::new, Set::add, Set::addAll), new TreeSet<>(seen.keySet()));
        for (Instance i : seen.values()) {
            var t = tags(i);
            assertEquals("job-7", t.get(FleetRequests.TAG_JOB), t.toString());
            assertEquals("vision", t.get("team"), "the job's labels become cost allocation tags: " + t);
            assertEquals("g5.xlarge", i.instanceTypeAsString());
        }
        // a coordinator that took over: the running instances of the cluster are its own again, none is an orphan yet
        var next = new Ec2Launcher(c, ec2, Clock.systemUTC());
        var r = next.reconcile(Set.of(), Duration.ofHours(1));
        assertEquals(seen.keySet(), r.adopted().stream().map(LaunchedNode::nodeId).collect(TreeSet::new, Set::add, Set::addAll));
        assertTrue(r.terminated().isEmpty(), r.toString());
        String released = launched.get(0).nodeId();
        next.stop(released);
        String state = instances("ls-fleet").get(released).state().nameAsString();
        assertTrue(state.equals("shutting-down") || state.equals("terminated"), released + " is " + state);
        next.close();
        launcher.close();
    }

    @Test
    void joinMaterialPutAsSecureStringsIsReadAndCheckedAsAnAgentDoesAndAPlainStringIsRefused() throws Exception {
        var pki = ClusterPki.ensureIn(dir.resolve("pki"));
        Path issued = dir.resolve("issued");
        pki.issue("agent-ls", issued);
        String path = "/spottrain/ls-join/join";
        put(path, issued, ParameterType.SECURE_STRING);
        var m = JoinMaterial.fetch(ssm, path);
        JoinMaterial.check(m);
        assertEquals(Files.readString(issued.resolve(NodeTls.CERT)), m.cert());
        var tls = JoinMaterial.write(m, dir.resolve("tls"));
        assertTrue(Files.exists(dir.resolve("tls").resolve(NodeTls.KEY)), tls.toString());

        String plain = "/spottrain/ls-plain/join";
        put(plain, issued, ParameterType.STRING);
        var e = assertThrows(JoinMaterial.JoinException.class, () -> JoinMaterial.fetch(ssm, plain));
        assertTrue(e.getMessage().contains("not a SecureString"), e.getMessage());
        var missing = assertThrows(JoinMaterial.JoinException.class, () -> JoinMaterial.fetch(ssm, "/spottrain/nobody/join"));
        assertTrue(missing.getMessage().contains("/spottrain/nobody/join/ca.crt"), missing.getMessage());
    }

    /** The files of a TLS directory as the join material's parameters under {@code path}, of {@code type}. */
    static void put(String path, Path files, ParameterType type) throws Exception {
        var names = JoinMaterial.names(path);
        for (int i = 0; i < names.size(); i++) {
            String value = Files.readString(files.resolve(JoinMaterial.FILES.get(i)));
            String name = names.get(i);
            ssm.putParameter(b -> b.name(name).value(value).type(type).overwrite(true));
        }
    }
}
