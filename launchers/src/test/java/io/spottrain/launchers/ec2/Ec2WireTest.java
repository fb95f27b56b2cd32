package io.spottrain.launchers.ec2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.spottrain.launchers.ec2.FleetRequests.Gang;
import io.spottrain.protocol.spec.NodeMarket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;

/**
 * The real {@code Ec2Client} against a loopback server that speaks EC2's Query protocol: the exact
 * form parameters our CreateFleet sends, a retried request carrying the same client token, the
 * per-pool errors of an instant fleet, and an error response mapped to what the launcher does.
 */
class Ec2WireTest {
    private HttpServer server;
    private final List<Map<String, String>> requests = new CopyOnWriteArrayList<>();
    private final List<int[]> plan = new CopyOnWriteArrayList<>(); // status codes to answer, in order (then 200)
    private final AtomicInteger served = new AtomicInteger();
    private volatile String okBody = "";
    private volatile String errorBody = "";
    private Ec2Client ec2;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", x -> {
            String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            requests.add(form(body));
            int n = served.getAndIncrement();
            int status = n < plan.size() ? plan.get(n)[0] : 200;
            byte[] out = (status == 200 ? okBody : errorBody).getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().add("Content-Type", "text/xml;charset=UTF-8");
            x.sendResponseHeaders(status, out.length);
            x.getResponseBody().write(out);
            x.close();
        });
        server.start();
        ec2 = Ec2Client.builder().region(Region.US_EAST_1).endpointOverride(URI.create("http://127.0.0.1:" + server.getAddress().getPort()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDEXAMPLE", "not-a-secret")))
                .httpClient(UrlConnectionHttpClient.create()).build();
    }

    @AfterEach
    void stop() {
        ec2.close();
        server.stop(0);
    }

    private static Map<String, String> form(String body) {
        var m = new LinkedHashMap<String, String>();
        for (String kv : body.split("&")) {
            int eq = kv.indexOf('=');
            if (eq > 0) m.put(URLDecoder.decode(kv.substring(0, eq), StandardCharsets.UTF_8), URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return m;
    }

    @Test
    void createFleetSendsTheExpectedQueryParametersAndReadsPerPoolErrors() throws Exception {
        var c = Ec2ConfigParserTest.example();
        okBody = """
                <CreateFleetResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
                  <requestId>r-1</requestId>
                  <fleetId>fleet-0123</fleetId>
                  <errorSet><item>
                    <launchTemplateAndOverrides><overrides><instanceType>p3.2xlarge</instanceType><subnetId>subnet-0a1b2c3d4e5f60718</subnetId></overrides></launchTemplateAndOverrides>
                    <lifecycle>spot</lifecycle><errorCode>InsufficientInstanceCapacity</errorCode><errorMessage>no p3 in us-east-1a</errorMessage>
                  </item></errorSet>
                  <fleetInstanceSet><item>
                    <launchTemplateAndOverrides><overrides><instanceType>g5.xlarge</instanceType><subnetId>subnet-0a1b2c3d4e5f60718</subnetId></overrides></launchTemplateAndOverrides>
                    <lifecycle>spot</lifecycle><instanceIds><item>i-0aaa</item><item>i-0bbb</item></instanceIds><instanceType>g5.xlarge</instanceType>
                  </item></fleetInstanceSet>
                </CreateFleetResponse>""";
        var request = FleetRequests.createFleet(c, new Gang("bert-7f3a", Map.of("team", "nlp"), 2, NodeMarket.SPOT, "launch-1"), "$Latest");
        var response = ec2.createFleet(request);

        Map<String, String> p = requests.get(0);
        assertEquals("CreateFleet", p.get("Action"));
        assertEquals("2016-11-15", p.get("Version"));
        assertEquals("instant", p.get("Type"));
        assertEquals(request.clientToken(), p.get("ClientToken"));
        assertEquals("2", p.get("TargetCapacitySpecification.TotalTargetCapacity"));
        assertEquals("spot", p.get("TargetCapacitySpecification.DefaultTargetCapacityType"));
        assertEquals("2", p.get("SpotOptions.MinTargetCapacity"));
        assertEquals("true", p.get("SpotOptions.SingleAvailabilityZone"));
        assertEquals("price-capacity-optimized", p.get("SpotOptions.AllocationStrategy"));
        assertEquals("spottrain-research", p.get("LaunchTemplateConfigs.1.LaunchTemplateSpecification.LaunchTemplateName"));
        assertEquals("p3.2xlarge", p.get("LaunchTemplateConfigs.1.Overrides.1.InstanceType"));
        assertEquals("subnet-0b1c2d3e4f5a60718", p.get("LaunchTemplateConfigs.1.Overrides.4.SubnetId"));
        assertEquals("instance", p.get("TagSpecification.1.ResourceType"));
        var tags = new ArrayList<String>();
        for (int i = 1; p.containsKey("TagSpecification.1.Tag." + i + ".Key"); i++) {
            tags.add(p.get("TagSpecification.1.Tag." + i + ".Key") + "=" + p.get("TagSpecification.1.Tag." + i + ".Value"));
        }
        assertTrue(tags.contains("spottrain:cluster=research") && tags.contains("spottrain:job=bert-7f3a") && tags.contains("team=nlp"), tags.toString());

        assertEquals(List.of("i-0aaa", "i-0bbb"), response.instances().get(0).instanceIds());
        var error = response.errors().get(0);
        assertEquals(Ec2Errors.Kind.CAPACITY, Ec2Errors.classify(error.errorCode()));
        assertEquals("p3.2xlarge", error.launchTemplateAndOverrides().overrides().instanceTypeAsString(), "the pool to skip for a while");
    }

    @Test
    void aRetryAfterAServerErrorCarriesTheSameClientToken() throws Exception {
        okBody = "<CreateFleetResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r</requestId></CreateFleetResponse>";
        errorBody = "<Response><Errors><Error><Code>InternalError</Code><Message>try again</Message></Error></Errors><RequestID>r</RequestID></Response>";
        plan.add(new int[] {500});
        var request = FleetRequests.createFleet(Ec2ConfigParserTest.example(), new Gang("j", Map.of(), 1, NodeMarket.SPOT, "launch-1"), "$Latest");
        ec2.createFleet(request);
        assertEquals(2, requests.size(), "retried once");
        assertEquals(requests.get(0).get("ClientToken"), requests.get(1).get("ClientToken"));
    }

    @Test
    void anAuthErrorReachesTheOperatorWithAwsMessage() throws Exception {
        errorBody = "<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation."
                + "</Message></Error></Errors><RequestID>r</RequestID></Response>";
        plan.add(new int[] {403});
        var request = FleetRequests.createFleet(Ec2ConfigParserTest.example(), new Gang("j", Map.of(), 1, NodeMarket.SPOT, "launch-1"), "$Latest");
        var e = assertThrows(Ec2Exception.class, () -> ec2.createFleet(request));
        assertEquals("UnauthorizedOperation", e.awsErrorDetails().errorCode());
        assertEquals(Ec2Errors.Kind.AUTH, Ec2Errors.classify(e.awsErrorDetails().errorCode()));
        assertTrue(e.getMessage().contains("You are not authorized"), e.getMessage());
        assertEquals(1, requests.size(), "not retried");
    }
}
