package io.spottrain.launchers.ec2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.launchers.ec2.Preflight.Check;
import io.spottrain.launchers.ec2.Preflight.Status;
import io.spottrain.launchers.ec2.ServiceQuotas.Quota;
import io.spottrain.protocol.spec.Market;
import io.spottrain.protocol.spec.NodeMarket;
import java.net.URI;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.ec2.Ec2Client;

/**
 * {@code ec2 plan --dry-run} against the fake: EC2's DryRun answers per call, vCPUs per type, and
 * the account's quotas read through our signed Service Quotas client (paginated, SigV4).
 */
class PreflightTest {
    FakeEc2 fake;
    Ec2Client client;
    ServiceQuotas quotas;
    Ec2Config config;

    static final String P_SPOT = "All P4, P3 and P2 Spot Instance Requests";
    static final String G_SPOT = "All G and VT Spot Instance Requests";
    static final String P_OD = "Running On-Demand P instances";
    static final String G_OD = "Running On-Demand G and VT instances";

    @BeforeEach
    void start() throws Exception {
        fake = new FakeEc2();
        client = fake.client();
        quotas = new ServiceQuotas("us-east-1", URI.create(fake.endpoint()),
                StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDEXAMPLE", "not-a-secret")));
        config = Ec2ConfigParserTest.example(); // p3.2xlarge (8 vCPUs) and g5.xlarge (4) in two subnets
        fake.quotas.put("All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests", 640.0);
        fake.quotas.put(P_SPOT, 64.0);
        fake.quotas.put(G_SPOT, 64.0);
        fake.quotas.put(P_OD, 32.0);
        fake.quotas.put(G_OD, 32.0);
    }

    @AfterEach
    void stop() {
        quotas.close();
        client.close();
        fake.close();
    }

    List<Check> run(int workers, Market market) {
        return Preflight.run(config, workers, market, client, quotas);
    }

    static Check find(List<Check> checks, String prefix) {
        return checks.stream().filter(c -> c.what().startsWith(prefix)).findFirst().orElseThrow(() -> new AssertionError(prefix + " in " + checks));
    }

    @Test
    void anAccountThatMayLaunchTheGangPassesEveryCheckWithoutLaunchingAnything() {
        var checks = run(4, Market.SPOT_WITH_FALLBACK);
        assertEquals(Status.OK, Preflight.worst(checks), checks.toString());
        assertEquals("allowed (DryRunOperation)", find(checks, "CreateFleet spot").detail());
        assertEquals("allowed (DryRunOperation)", find(checks, "CreateFleet on-demand").detail());
        assertEquals("64 vCPUs, a gang of 4 needs up to 32", find(checks, "spot quota \"" + P_SPOT).detail());
        assertEquals("32 vCPUs, a gang of 4 needs up to 32", find(checks, "on-demand quota \"" + P_OD).detail());
        assertTrue(fake.instances.isEmpty(), "a dry run launches nothing");
        assertTrue(fake.calls("CreateFleet").stream().allMatch(p -> "true".equals(p.get("DryRun"))));
        assertTrue(fake.quotaCalls.size() >= 3, "the quotas came in pages: " + fake.quotaCalls);
        assertTrue(fake.quotaCalls.get(0).startsWith("ServiceQuotasV20190624.ListServiceQuotas {")
                && fake.quotaCalls.get(0).contains("\"ServiceCode\":\"ec2\""), fake.quotaCalls.get(0));
        assertTrue(fake.quotaCalls.get(0).contains("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") && fake.quotaCalls.get(0).contains("/servicequotas/"),
                "signed with SigV4 for servicequotas: " + fake.quotaCalls.get(0));
    }

    @Test
    void aZeroSpotQuotaIsSaidPlainlyAndFailsASpotOnlyPlan() {
        fake.quotas.put(P_SPOT, 0.0);
        var checks = run(2, Market.SPOT);
        var p = find(checks, "spot quota \"" + P_SPOT);
        assertEquals(Status.FAIL, p.status());
        assertTrue(p.detail().startsWith("0 vCPUs in us-east-1: this account may not launch these spot instances at all (new accounts "
                + "often start at 0 for GPU families); request an increase in the Service Quotas console"), p.detail());
        assertEquals(Status.OK, find(checks, "spot quota \"" + G_SPOT).status());
        // with fallback it is a warning: launches go on-demand
        var fallback = find(run(2, Market.SPOT_WITH_FALLBACK), "spot quota \"" + P_SPOT);
        assertEquals(Status.WARN, fallback.status());
        assertTrue(fallback.detail().endsWith("until then every launch falls back to on-demand"), fallback.detail());
    }

    @Test
    void withFallbackAShortOnDemandQuotaStillFails() {
        fake.quotas.put(P_SPOT, 0.0);
        fake.quotas.put(P_OD, 0.0);
        var checks = run(2, Market.SPOT_WITH_FALLBACK);
        assertEquals(Status.WARN, find(checks, "spot quota \"" + P_SPOT).status());
        assertEquals(Status.FAIL, find(checks, "on-demand quota \"" + P_OD).status(), "on-demand is the last resort");
        assertEquals(Status.FAIL, Preflight.worst(checks));
    }

    @Test
    void aGangLargerThanTheQuotaFailsNamingTheNumbers() {
        var checks = run(5, Market.ON_DEMAND);
        var p = find(checks, "on-demand quota \"" + P_OD);
        assertEquals(Status.FAIL, p.status());
        assertTrue(p.detail().startsWith("32 vCPUs, a gang of 5 needs up to 40"), p.detail());
    }

    @Test
    void aCallTheCredentialsMayNotMakeFailsNamingIt() {
        fake.deniedActions.add("CreateFleet");
        var checks = run(1, Market.SPOT);
        var fleet = find(checks, "CreateFleet spot");
        assertEquals(Status.FAIL, fleet.status());
        assertTrue(fleet.detail().startsWith("not allowed for these credentials: You are not authorized to perform this operation. User: "
                + "arn:aws:iam::123456789012:user/ci is not authorized to perform: ec2:CreateFleet"), fleet.detail());
        assertEquals(Status.OK, find(checks, "RunInstances").status());
    }

    @Test
    void unreadableQuotasAreAWarningThatSaysWhatIsMissingAndATypeNotOfferedFails() {
        fake.quotasDenied = true;
        fake.vcpus.remove("g5.xlarge");
        var checks = run(1, Market.SPOT);
        var q = find(checks, "vCPU quotas");
        assertEquals(Status.WARN, q.status());
        assertTrue(q.detail().contains("AccessDeniedException: not authorized to perform: servicequotas:ListServiceQuotas"), q.detail());
        assertEquals("not offered in us-east-1", find(checks, "instance type g5.xlarge").detail());
        assertEquals(Status.FAIL, Preflight.worst(checks));
    }

    static Stream<Arguments> families() {
        var quotas = Stream.of("All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests", "All P4, P3 and P2 Spot Instance Requests",
                "All P5 Spot Instance Requests", "All G and VT Spot Instance Requests", "All Inf Spot Instance Requests",
                "All Trn Spot Instance Requests", "All DL Spot Instance Requests", "Running On-Demand P instances",
                "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", "Running On-Demand G and VT instances").toList();
        return Stream.of(
                Arguments.of("p3.2xlarge", NodeMarket.SPOT, quotas, "All P4, P3 and P2 Spot Instance Requests"),
                Arguments.of("p4d.24xlarge", NodeMarket.SPOT, quotas, "All P4, P3 and P2 Spot Instance Requests"),
                Arguments.of("p5.48xlarge", NodeMarket.SPOT, quotas, "All P5 Spot Instance Requests"),
                Arguments.of("g5.xlarge", NodeMarket.SPOT, quotas, "All G and VT Spot Instance Requests"),
                Arguments.of("g6e.12xlarge", NodeMarket.SPOT, quotas, "All G and VT Spot Instance Requests"),
                Arguments.of("inf2.xlarge", NodeMarket.SPOT, quotas, "All Inf Spot Instance Requests"),
                Arguments.of("trn1.32xlarge", NodeMarket.SPOT, quotas, "All Trn Spot Instance Requests"),
                Arguments.of("m5.large", NodeMarket.SPOT, quotas, "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests"),
                Arguments.of("c7gn.large", NodeMarket.SPOT, quotas, "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests"),
                Arguments.of("p3.2xlarge", NodeMarket.ON_DEMAND, quotas, "Running On-Demand P instances"),
                Arguments.of("t3.micro", NodeMarket.ON_DEMAND, quotas, "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances"),
                Arguments.of("p3.2xlarge", NodeMarket.SPOT, List.of("All P Spot Instance Requests"), "All P Spot Instance Requests"),
                Arguments.of("x2idn.large", NodeMarket.SPOT, quotas, null),
                Arguments.of("dl1.24xlarge", NodeMarket.ON_DEMAND, quotas, null));
    }

    @ParameterizedTest
    @MethodSource("families")
    void anInstanceTypeCountsAgainstTheQuotaThatNamesItsFamily(String type, NodeMarket market, List<String> names, String expected) {
        var quotas = names.stream().map(n -> new Quota("L-" + n.length(), n, 1)).toList();
        assertEquals(expected, Preflight.quotaFor(type, market, quotas).map(Quota::name).orElse(null));
    }
}
