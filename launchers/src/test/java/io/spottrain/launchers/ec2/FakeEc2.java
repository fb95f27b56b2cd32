package io.spottrain.launchers.ec2;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.spottrain.protocol.json.Json;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;

/**
 * A loopback server speaking EC2's Query protocol for the calls the launcher makes, with a capacity
 * per pool (instance type x subnet) the test sets, for the real {@code Ec2Client} (in the spirit of
 * Karpenter's EC2 fakes). An instant fleet tries its overrides in order, or only the first
 * ({@link #firstPoolOnly}: as EC2 does when it picks the cheapest pool and finds none there); it
 * launches the whole gang in the first pool that has it and reports a capacity error for each pool
 * it tried before. A client token seen before gets the same answer again.
 */
final class FakeEc2 implements AutoCloseable {
    static final String NS = "http://ec2.amazonaws.com/doc/2016-11-15/";

    /** An instance the fake holds. */
    record Vm(String id, String type, String subnet, String zone, boolean spot, Instant launched, Map<String, String> tags, String state) {
        Vm withState(String s) {
            return new Vm(id, type, subnet, zone, spot, launched, tags, s);
        }
    }

    final List<Map<String, String>> requests = new CopyOnWriteArrayList<>();
    final Map<String, Integer> capacity = new ConcurrentHashMap<>(); // "type/subnet" -> instances it can still launch
    final Map<String, Vm> instances = new ConcurrentHashMap<>();
    final Map<String, Double> spotPrices = new LinkedHashMap<>(); // "type/zone" -> price
    volatile boolean firstPoolOnly;
    volatile String refuseWith; // an error code every CreateFleet gets (auth, parameter)
    volatile boolean errorsWithoutSubnet; // capacity errors that name no subnet (a pool the launcher cannot tell)
    volatile Instant now = Instant.parse("2026-12-02T10:00:00Z");
    final Set<String> deniedActions = ConcurrentHashMap.newKeySet(); // a dry run of these is UnauthorizedOperation
    final Map<String, Integer> vcpus = new ConcurrentHashMap<>(Map.of("p3.2xlarge", 8, "g5.xlarge", 4)); // types offered here
    final Map<String, Double> quotas = new LinkedHashMap<>(); // quota name -> value (vCPUs)
    final List<String> quotaCalls = new CopyOnWriteArrayList<>();
    volatile boolean quotasDenied;
    private final Map<String, String> fleetsByToken = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger(0x100);
    private int templateVersions;
    private final HttpServer server;

    FakeEc2() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::serve);
        server.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    Ec2Client client() {
        return Ec2Client.builder().region(Region.US_EAST_1).endpointOverride(URI.create(endpoint()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDEXAMPLE", "not-a-secret")))
                .httpClient(UrlConnectionHttpClient.create()).build();
    }

    List<Map<String, String>> calls(String action) {
        return requests.stream().filter(r -> action.equals(r.get("Action"))).toList();
    }

    void addInstance(String id, boolean spot, Instant launched, Map<String, String> tags, String state) {
        instances.put(id, new Vm(id, "p3.2xlarge", "subnet-0a1b2c3d4e5f60718", "us-east-1a", spot, launched, tags, state));
    }

    private synchronized void serve(HttpExchange x) throws IOException {
        String target = x.getRequestHeaders().getFirst("X-Amz-Target");
        if (target != null) {
            serviceQuotas(x, target);
            return;
        }
        var p = form(new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        requests.add(p);
        String action = p.getOrDefault("Action", "");
        String body;
        int status = 200;
        if ("true".equals(p.get("DryRun"))) {
            status = 412;
            body = deniedActions.contains(action) ? error("UnauthorizedOperation", "You are not authorized to perform this operation. "
                    + "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ec2:" + action)
                    : error("DryRunOperation", "Request would have succeeded, but DryRun flag is set.");
            if (deniedActions.contains(action)) status = 403;
            reply(x, status, body);
            return;
        }
        switch (action) {
            case "CreateLaunchTemplateVersion" -> {
                if (templateVersions == 0) {
                    status = 400;
                    body = error(Ec2Launcher.NOT_FOUND, "The specified launch template, with template name " + p.get("LaunchTemplateName")
                            + ", does not exist.");
                } else {
                    body = "<launchTemplateVersion><versionNumber>" + (++templateVersions) + "</versionNumber></launchTemplateVersion>";
                }
            }
            case "CreateLaunchTemplate" -> body = "<launchTemplate><launchTemplateName>" + p.get("LaunchTemplateName")
                    + "</launchTemplateName><latestVersionNumber>" + (templateVersions = 1) + "</latestVersionNumber></launchTemplate>";
            case "CreateFleet" -> {
                if (refuseWith != null) {
                    status = 403;
                    body = error(refuseWith, "You are not authorized to perform this operation.");
                } else {
                    body = fleetsByToken.computeIfAbsent(p.getOrDefault("ClientToken", ""), t -> fleet(p));
                }
            }
            case "DescribeInstances" -> body = describe(p);
            case "TerminateInstances" -> {
                var out = new StringBuilder("<instancesSet>");
                for (int i = 1; p.containsKey("InstanceId." + i); i++) {
                    String id = p.get("InstanceId." + i);
                    instances.computeIfPresent(id, (k, v) -> v.withState("terminated"));
                    out.append("<item><instanceId>").append(id).append("</instanceId><currentState><code>32</code><name>shutting-down</name>"
                            + "</currentState></item>");
                }
                body = out.append("</instancesSet>").toString();
            }
            case "DescribeSpotPriceHistory" -> {
                var out = new StringBuilder("<spotPriceHistorySet>");
                spotPrices.forEach((k, v) -> {
                    String[] tz = k.split("/");
                    out.append("<item><instanceType>").append(tz[0]).append("</instanceType><productDescription>Linux/UNIX</productDescription>"
                            + "<spotPrice>").append(v).append("</spotPrice><timestamp>").append(now).append("</timestamp><availabilityZone>")
                            .append(tz[1]).append("</availabilityZone></item>");
                });
                body = out.append("</spotPriceHistorySet>").toString();
            }
            case "DescribeInstanceTypes" -> {
                var out = new StringBuilder("<instanceTypeSet>");
                for (int i = 1; p.containsKey("InstanceType." + i); i++) {
                    Integer v = vcpus.get(p.get("InstanceType." + i));
                    if (v == null) continue; // not offered in this region
                    out.append("<item><instanceType>").append(p.get("InstanceType." + i)).append("</instanceType><vCpuInfo><defaultVCpus>")
                            .append(v).append("</defaultVCpus></vCpuInfo></item>");
                }
                body = out.append("</instanceTypeSet>").toString();
            }
            default -> {
                status = 400;
                body = error("InvalidAction", "the fake does not know " + action);
            }
        }
        String xml = status == 200 ? "<" + action + "Response xmlns=\"" + NS + "\"><requestId>r-" + requests.size() + "</requestId>" + body
                + "</" + action + "Response>" : body;
        reply(x, status, xml);
    }

    private static void reply(HttpExchange x, int status, String xml) throws IOException {
        byte[] out = xml.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", "text/xml;charset=UTF-8");
        x.sendResponseHeaders(status, out.length);
        x.getResponseBody().write(out);
        x.close();
    }

    /** Service Quotas (AWS JSON 1.1) on the same port: ListServiceQuotas, two pages, or AccessDenied. */
    private void serviceQuotas(HttpExchange x, String target) throws IOException {
        var request = Json.MAPPER.readTree(x.getRequestBody().readAllBytes());
        quotaCalls.add(target + " " + request + " " + x.getRequestHeaders().getFirst("Authorization"));
        String json;
        int status = 200;
        if (quotasDenied) {
            status = 400;
            json = "{\"__type\":\"com.amazonaws.servicequotas#AccessDeniedException\",\"message\":\"not authorized to perform: "
                    + "servicequotas:ListServiceQuotas\"}";
        } else {
            var all = new ArrayList<>(quotas.entrySet());
            int from = request.path("NextToken").isTextual() ? Integer.parseInt(request.path("NextToken").asText()) : 0;
            int to = Math.min(all.size(), from + 2); // small pages: the client must follow NextToken
            var page = new ArrayList<Map<String, Object>>();
            for (var e : all.subList(from, to)) {
                page.add(Map.of("QuotaCode", "L-" + Integer.toHexString(e.getKey().hashCode()).toUpperCase(), "QuotaName", e.getKey(),
                        "Value", e.getValue()));
            }
            var body = new LinkedHashMap<String, Object>(Map.of("Quotas", page));
            if (to < all.size()) body.put("NextToken", Integer.toString(to));
            json = Json.write(body);
        }
        byte[] out = json.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.1");
        x.sendResponseHeaders(status, out.length);
        x.getResponseBody().write(out);
        x.close();
    }

    private String fleet(Map<String, String> p) {
        int want = Integer.parseInt(p.get("TargetCapacitySpecification.TotalTargetCapacity"));
        boolean spot = "spot".equals(p.get("TargetCapacitySpecification.DefaultTargetCapacityType"));
        var tags = new LinkedHashMap<String, String>();
        for (int i = 1; p.containsKey("TagSpecification.1.Tag." + i + ".Key"); i++) {
            tags.put(p.get("TagSpecification.1.Tag." + i + ".Key"), p.get("TagSpecification.1.Tag." + i + ".Value"));
        }
        var errors = new StringBuilder("<errorSet>");
        String launched = "";
        for (int i = 1; p.containsKey("LaunchTemplateConfigs.1.Overrides." + i + ".InstanceType"); i++) {
            String type = p.get("LaunchTemplateConfigs.1.Overrides." + i + ".InstanceType");
            String subnet = p.get("LaunchTemplateConfigs.1.Overrides." + i + ".SubnetId");
            String zone = p.get("LaunchTemplateConfigs.1.Overrides." + i + ".AvailabilityZone");
            String overrides = "<launchTemplateAndOverrides><overrides><instanceType>" + type + "</instanceType>"
                    + (errorsWithoutSubnet ? "" : "<subnetId>" + subnet + "</subnetId>") + "<availabilityZone>" + zone
                    + "</availabilityZone></overrides></launchTemplateAndOverrides>";
            int has = capacity.getOrDefault(type + "/" + subnet, 0);
            if (has >= want) {
                capacity.put(type + "/" + subnet, has - want);
                var idList = new StringBuilder();
                for (int n = 0; n < want; n++) {
                    String id = "i-0" + Integer.toHexString(ids.getAndIncrement());
                    instances.put(id, new Vm(id, type, subnet, zone, spot, now, Map.copyOf(tags), "running"));
                    idList.append("<item>").append(id).append("</item>");
                }
                launched = "<fleetInstanceSet><item>" + overrides + "<lifecycle>" + (spot ? "spot" : "on-demand") + "</lifecycle><instanceIds>"
                        + idList + "</instanceIds><instanceType>" + type + "</instanceType></item></fleetInstanceSet>";
                break;
            }
            errors.append("<item>").append(overrides).append("<lifecycle>").append(spot ? "spot" : "on-demand").append("</lifecycle>"
                    + "<errorCode>InsufficientInstanceCapacity</errorCode><errorMessage>There is no ").append(spot ? "Spot " : "")
                    .append("capacity available that matches your request.</errorMessage></item>");
            if (firstPoolOnly) break;
        }
        return "<fleetId>fleet-" + ids.getAndIncrement() + "</fleetId>" + errors.append("</errorSet>") + launched;
    }

    private String describe(Map<String, String> p) {
        var filters = new LinkedHashMap<String, List<String>>();
        for (int i = 1; p.containsKey("Filter." + i + ".Name"); i++) {
            var values = new ArrayList<String>();
            for (int v = 1; p.containsKey("Filter." + i + ".Value." + v); v++) values.add(p.get("Filter." + i + ".Value." + v));
            filters.put(p.get("Filter." + i + ".Name"), values);
        }
        var ids = new ArrayList<String>();
        for (int i = 1; p.containsKey("InstanceId." + i); i++) ids.add(p.get("InstanceId." + i));
        var out = new StringBuilder("<reservationSet><item><reservationId>r-1</reservationId><instancesSet>");
        for (Vm vm : instances.values()) {
            if (!ids.isEmpty() && !ids.contains(vm.id())) continue;
            boolean match = filters.entrySet().stream().allMatch(f -> f.getKey().equals("instance-state-name") ? f.getValue().contains(vm.state())
                    : !f.getKey().startsWith("tag:") || f.getValue().contains(vm.tags().get(f.getKey().substring(4))));
            if (!match) continue;
            out.append("<item><instanceId>").append(vm.id()).append("</instanceId><instanceType>").append(vm.type())
                    .append("</instanceType><launchTime>").append(vm.launched()).append("</launchTime><instanceState><code>16</code><name>")
                    .append(vm.state()).append("</name></instanceState><placement><availabilityZone>").append(vm.zone())
                    .append("</availabilityZone></placement><subnetId>").append(vm.subnet()).append("</subnetId>")
                    .append("<iamInstanceProfile><arn>arn:aws:iam::123456789012:instance-profile/spottrain-agent</arn></iamInstanceProfile>")
                    .append(vm.spot() ? "<instanceLifecycle>spot</instanceLifecycle>" : "")
                    .append("<tagSet>");
            vm.tags().forEach((k, v) -> out.append("<item><key>").append(k).append("</key><value>").append(v).append("</value></item>"));
            out.append("</tagSet></item>");
        }
        return out.append("</instancesSet></item></reservationSet>").toString();
    }

    private static String error(String code, String message) {
        return "<Response><Errors><Error><Code>" + code + "</Code><Message>" + message + "</Message></Error></Errors><RequestID>r</RequestID>"
                + "</Response>";
    }

    private static Map<String, String> form(String body) {
        var m = new LinkedHashMap<String, String>();
        for (String kv : body.split("&")) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                m.put(URLDecoder.decode(kv.substring(0, eq), StandardCharsets.UTF_8), URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return m;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
