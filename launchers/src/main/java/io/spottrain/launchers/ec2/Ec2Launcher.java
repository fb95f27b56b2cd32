package io.spottrain.launchers.ec2;

import io.spottrain.coordinator.launch.NodeLauncher;
import io.spottrain.launchers.ec2.FleetRequests.Gang;
import io.spottrain.launchers.ec2.FleetRequests.Pool;
import io.spottrain.protocol.spec.GpuCatalog;
import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.launchers.ec2.Ec2ConfigParser.Ec2ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.CompletableFuture;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.CreateFleetResponse;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeSpotPriceHistoryRequest;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceLifecycleType;
import software.amazon.awssdk.services.ec2.model.TerminateInstancesRequest;

/**
 * The {@link NodeLauncher} for EC2: a gang is one {@code CreateFleet} of type {@code instant}
 * ({@link FleetRequests}) over every pool (instance type x subnet) that fits and is not cooling
 * down; a pool that answers a capacity error is left out for the config's pool cooldown
 * ({@link PoolBook}) and the gang is asked again of the others, until none is left. Auth and
 * parameter errors go to the operator with AWS's message; throttling and server errors are the
 * SDK's retries (same client token: nothing is launched twice). A node's id is its instance id
 * (the agent registers with it). Released nodes are terminated. {@link #reconcile} adopts the
 * cluster's running instances by tag (after a coordinator restart or hand-over) and terminates those
 * that never registered within a grace. {@link #refreshSpotPrices} reads
 * {@code DescribeSpotPriceHistory} for the shapes' Spot prices. Closing the launcher stops it
 * launching but terminates nothing: the machines outlive a coordinator, and the next one adopts
 * them.
 */
public final class Ec2Launcher implements NodeLauncher {
    private static final Logger log = LoggerFactory.getLogger(Ec2Launcher.class);
    static final String NOT_FOUND = "InvalidLaunchTemplateName.NotFoundException";

    private final Ec2Config config;
    private final Ec2Client ec2;
    private final Clock clock;
    private final PoolBook pools;
    private final Map<String, LaunchedNode> nodes = new ConcurrentHashMap<>();
    private final Map<String, Double> spotPrices = new ConcurrentHashMap<>();
    private final String launcherId = UUID.randomUUID().toString().substring(0, 8);
    private final AtomicInteger launches = new AtomicInteger();
    private volatile String templateVersion;
    private volatile boolean closed;

    public Ec2Launcher(Ec2Config config, Ec2Client ec2, Clock clock) {
        this.config = config;
        this.ec2 = ec2;
        this.clock = clock;
        this.pools = new PoolBook(config.poolCooldown());
    }

    /** The fleet config at {@code file}, every problem named with its field path. */
    public static Ec2Config readConfig(Path file) throws IOException, Ec2ConfigException {
        return Ec2ConfigParser.parse(file.toString(), Files.readString(file));
    }

    /**
     * A launcher with its own EC2 client in the config's region: credentials from the SDK's default
     * chain (environment, profile, the instance role; never a flag), the endpoint EC2's own unless
     * {@code AWS_ENDPOINT_URL_EC2} says otherwise (the SDK reads it).
     */
    public static Ec2Launcher connect(Ec2Config config) {
        var client = Ec2Client.builder().region(Region.of(config.region())).httpClient(UrlConnectionHttpClient.create()).build();
        var l = new Ec2Launcher(config, client, Clock.systemUTC());
        // the Spot prices at once, not an upkeep interval later: nodes that register meanwhile (all of them, after a hand-over)
        // are priced by these shapes, whose Spot price is the on-demand one until read
        CompletableFuture.runAsync(() -> {
            try {
                l.refreshSpotPrices();
            } catch (LaunchException | RuntimeException e) {
                log.warn("spot prices not read at start ({}); the next upkeep reads them", e.getMessage());
            }
        });
        return l;
    }

    @Override
    public LaunchedNode launch(NodeRequest request) throws LaunchException {
        return launch(request, 1).get(0);
    }

    @Override
    public List<LaunchedNode> launch(NodeRequest request, int count) throws LaunchException {
        if (closed) throw new LaunchException("the EC2 launcher is closed", null);
        if (request.market() == NodeMarket.RESERVED) {
            // an on-demand fleet would be billed at the full price while the ledger counted it reserved
            throw new LaunchException("the EC2 launcher launches Spot and on-demand capacity only; reserved machines join by running the "
                    + "agent with SPOTTRAIN_MARKET=reserved", null);
        }
        // enough GPUs, and of the model and memory the job asks for (GpuCatalog, by the type's family), of the types the request
        // allows (a job's pinned types, an autoscaler pool's)
        var fitting = FleetRequests.pools(config).stream().filter(p -> gpus(p.instanceType()) >= request.gpus()
                && GpuCatalog.satisfies(p.instanceType(), request.gpuModels(), request.minGpuMemoryGiB())
                && (request.instanceTypes().isEmpty() || request.instanceTypes().contains(p.instanceType()))
                && (request.zone() == null || request.zone().equals(p.zone()))).toList();
        if (fitting.isEmpty()) {
            throw new LaunchException("no instance type in the fleet config has " + request.gpus() + " GPU(s)"
                    + (request.gpuModels().isEmpty() ? "" : " of " + String.join(", ", request.gpuModels()))
                    + (request.minGpuMemoryGiB() > 0 ? " with " + request.minGpuMemoryGiB() + " GiB or more" : "")
                    + (request.instanceTypes().isEmpty() ? "" : " among " + String.join(", ", request.instanceTypes()))
                    + (request.zone() == null ? "" : " in a subnet of zone " + request.zone())
                    + " (" + typesSeen() + ")", null);
        }
        String version = template();
        String job = request.job() == null ? "-" : request.job();
        var tried = new ArrayList<String>();
        while (true) {
            var open = pools.open(fitting, clock.instant());
            if (open.isEmpty()) {
                throw new LaunchException("no " + request.market().label() + " capacity for " + count + " node(s) in any pool: " + String.join("; ",
                        tried.isEmpty() ? List.of("every pool is cooling down: " + pools.cooling(clock.instant())) : tried), null);
            }
            var gang = new Gang(job, request.labels(), count, request.market(), launcherId + "-" + launches.incrementAndGet());
            CreateFleetResponse response;
            try {
                response = ec2.createFleet(FleetRequests.createFleet(config, gang, version, open));
            } catch (Ec2Exception e) {
                throw refused("CreateFleet", e);
            } catch (SdkClientException e) {
                throw new LaunchException("CreateFleet did not reach EC2: " + e.getMessage(), e);
            }
            var ids = new ArrayList<String>();
            for (var i : response.instances()) ids.addAll(i.instanceIds());
            if (ids.size() >= count) return adopt(ids, request.market());
            if (!ids.isEmpty()) { // never keep part of a gang (MinTargetCapacity should make this impossible)
                log.warn("EC2 launched {} of {} instances for {}: terminating them", ids.size(), count, job);
                terminate(ids);
            }
            boolean capacityOnly = true;
            int cooled = 0;
            for (var e : response.errors()) {
                var o = e.launchTemplateAndOverrides() == null ? null : e.launchTemplateAndOverrides().overrides();
                var kind = Ec2Errors.classify(e.errorCode());
                tried.add((o == null ? "?" : o.instanceTypeAsString() + "/" + o.availabilityZone()) + ": " + e.errorCode() + " " + e.errorMessage());
                if (kind == Ec2Errors.Kind.CAPACITY && o != null) {
                    for (var p : open) {
                        if (p.instanceType().equals(o.instanceTypeAsString()) && p.subnetId().equals(o.subnetId())) {
                            pools.noCapacity(p, clock.instant(), e.errorCode(), e.errorMessage());
                            cooled++;
                        }
                    }
                } else {
                    capacityOnly = false;
                }
            }
            if (response.errors().isEmpty() || !capacityOnly || cooled == 0) { // asking again would get the same answer
                throw new LaunchException("EC2 launched " + ids.size() + " of " + count + " node(s): " + String.join("; ", tried), null);
            }
        }
    }

    private List<LaunchedNode> adopt(List<String> ids, NodeMarket market) {
        var out = new ArrayList<LaunchedNode>();
        for (String id : ids) {
            var n = new LaunchedNode(id, market, 0, null);
            nodes.put(id, n);
            out.add(n);
        }
        log.info("launched {} {} instance(s): {}", ids.size(), market.label(), ids);
        return out;
    }

    /** The launch template version this launcher's fleets use: created once per launcher (the template too, on a cluster's first launch). */
    private synchronized String template() throws LaunchException {
        if (templateVersion != null) return templateVersion;
        try {
            templateVersion = Long.toString(ec2.createLaunchTemplateVersion(FleetRequests.launchTemplateVersion(config))
                    .launchTemplateVersion().versionNumber());
        } catch (Ec2Exception e) {
            if (e.awsErrorDetails() == null || !NOT_FOUND.equals(e.awsErrorDetails().errorCode())) throw refused("CreateLaunchTemplateVersion", e);
            try {
                templateVersion = Long.toString(ec2.createLaunchTemplate(FleetRequests.launchTemplate(config)).launchTemplate()
                        .latestVersionNumber());
            } catch (Ec2Exception e2) {
                throw refused("CreateLaunchTemplate", e2);
            }
        } catch (SdkClientException e) {
            throw new LaunchException("CreateLaunchTemplateVersion did not reach EC2: " + e.getMessage(), e);
        }
        log.info("launch template {} version {}", FleetRequests.templateName(config), templateVersion);
        return templateVersion;
    }

    /** An error EC2 answered, with its code, what it means for the operator, and AWS's message. */
    static LaunchException refused(String call, Ec2Exception e) {
        String code = e.awsErrorDetails() == null ? "?" : e.awsErrorDetails().errorCode();
        String message = e.awsErrorDetails() == null ? e.getMessage() : e.awsErrorDetails().errorMessage();
        String what = switch (Ec2Errors.classify(code)) {
            case AUTH -> "the coordinator's AWS credentials may not do this (check its IAM policy, docs/ec2.md)";
            case PARAMETER -> "the fleet config is wrong (fix it and restart the coordinator)";
            case THROTTLING -> "EC2 throttled every retry";
            case CAPACITY -> "no capacity";
            case DRY_RUN_OK, OTHER -> "EC2 failed";
        };
        return new LaunchException("EC2 refused " + call + ": " + code + ": " + message + " (" + what + ")", e);
    }

    private int gpus(String type) {
        return config.instanceTypes().stream().filter(t -> t.type().equals(type)).mapToInt(Ec2Config.InstanceType::gpus).findFirst().orElse(0);
    }

    private String typesSeen() {
        return String.join(", ", config.instanceTypes().stream().map(t -> t.type() + ": " + t.gpus()).toList());
    }

    /** Its agents know neither their type's on-demand price nor the Spot price: the catalog and the price history do. */
    @Override
    public boolean pricesItsNodes() {
        return true;
    }

    @Override
    public List<NodeShape> shapes() {
        var out = new ArrayList<NodeShape>();
        for (var t : config.instanceTypes()) {
            out.add(new NodeShape(NodeMarket.SPOT, t.type(), t.gpus(), spotPrices.getOrDefault(t.type(), t.onDemandPricePerHour()), 0));
            out.add(new NodeShape(NodeMarket.ON_DEMAND, t.type(), t.gpus(), t.onDemandPricePerHour(), 0));
        }
        return out;
    }

    /**
     * Reads the current Spot price of each configured instance type in the config's zones
     * ({@code DescribeSpotPriceHistory} from now, Linux/UNIX) and keeps the lowest per type, which
     * {@link #shapes} then carries (before the first read: the on-demand price, an upper bound).
     */
    public Map<String, Double> refreshSpotPrices() throws LaunchException {
        var zones = new HashSet<String>();
        config.subnets().forEach(s -> zones.add(s.zone()));
        var lowest = new HashMap<String, Double>();
        String token = null;
        try {
            do {
                var r = ec2.describeSpotPriceHistory(DescribeSpotPriceHistoryRequest.builder()
                        .instanceTypesWithStrings(config.instanceTypes().stream().map(Ec2Config.InstanceType::type).toList())
                        .productDescriptions("Linux/UNIX").startTime(clock.instant()).nextToken(token).build());
                for (var p : r.spotPriceHistory()) {
                    if (!zones.contains(p.availabilityZone())) continue;
                    lowest.merge(p.instanceTypeAsString(), Double.parseDouble(p.spotPrice()), Math::min);
                }
                token = r.nextToken() == null || r.nextToken().isEmpty() ? null : r.nextToken();
            } while (token != null);
        } catch (Ec2Exception e) {
            throw refused("DescribeSpotPriceHistory", e);
        }
        spotPrices.putAll(lowest);
        return Map.copyOf(lowest);
    }

    /**
     * The coordinator's periodic housekeeping: reconcile with the machines EC2 runs for this cluster
     * ({@code known} the names the coordinator knows; orphans after the config's {@code orphanGrace}),
     * then read Spot prices again. A price read that fails does not undo the reconciliation.
     */
    @Override
    public List<String> upkeep(Set<String> known) throws LaunchException {
        var r = reconcile(known, config.orphanGrace());
        var lines = new ArrayList<String>();
        lines.add(r.adopted().size() + " instance(s) of cluster " + config.cluster() + " running"
                + (r.terminated().isEmpty() ? "" : "; terminated " + r.terminated() + ": never registered within "
                        + config.orphanGrace().toSeconds() + " s of their launch"));
        try {
            var prices = new TreeMap<>(refreshSpotPrices());
            lines.add("spot prices per hour " + (prices.isEmpty() ? "(none read: the on-demand price stands)" : prices));
        } catch (LaunchException e) {
            lines.add("spot prices not read: " + e.getMessage());
        }
        return lines;
    }

    /** What a reconciliation did: instances adopted (running, tagged with the cluster), and those terminated as nobody's. */
    public record Reconciled(List<LaunchedNode> adopted, List<String> terminated) {}

    /**
     * After a coordinator restart or hand-over: every pending or running instance tagged with the
     * cluster is this launcher's again; one that has not registered ({@code registered}: the node
     * ids the coordinator knows) although it was launched more than {@code grace} ago is nobody's
     * (its agent never came up, or its job is long gone) and is terminated ({@link #orphans}).
     */
    public Reconciled reconcile(Set<String> registered, Duration grace) throws LaunchException {
        var found = new ArrayList<Instance>();
        String token = null;
        try {
            do {
                var r = ec2.describeInstances(DescribeInstancesRequest.builder().filters(
                        Filter.builder().name("tag:" + FleetRequests.TAG_CLUSTER).values(config.cluster()).build(),
                        Filter.builder().name("instance-state-name").values("pending", "running").build()).nextToken(token).build());
                r.reservations().forEach(res -> found.addAll(res.instances()));
                token = r.nextToken() == null || r.nextToken().isEmpty() ? null : r.nextToken();
            } while (token != null);
        } catch (Ec2Exception e) {
            throw refused("DescribeInstances", e);
        }
        var launched = new HashMap<String, Instant>();
        found.forEach(i -> launched.put(i.instanceId(), i.launchTime()));
        var orphans = orphans(launched, registered, clock.instant(), grace);
        var adopted = new ArrayList<LaunchedNode>();
        for (var i : found) {
            if (orphans.contains(i.instanceId())) continue;
            var market = i.instanceLifecycle() == InstanceLifecycleType.SPOT ? NodeMarket.SPOT : NodeMarket.ON_DEMAND;
            var n = new LaunchedNode(i.instanceId(), market, 0, null);
            nodes.put(n.nodeId(), n);
            adopted.add(n);
        }
        if (!orphans.isEmpty()) {
            log.warn("terminating {} instance(s) of cluster {} that never registered within {} s: {}", orphans.size(), config.cluster(),
                    grace.toSeconds(), orphans);
            terminate(orphans);
        }
        return new Reconciled(adopted, orphans);
    }

    /** What EC2 says of one instance of this account, for an enrollment (empty: it knows none by that id). */
    public Optional<EnrollmentPolicy.Seen> describe(String instanceId) throws LaunchException {
        return Ec2Instances.describe(ec2, instanceId, Ec2Launcher::refused);
    }

    /** The instances (launch time by id) that never registered although launched more than {@code grace} before {@code now}, sorted. */
    public static List<String> orphans(Map<String, Instant> launched, Set<String> registered, Instant now, Duration grace) {
        return launched.entrySet().stream()
                .filter(e -> !registered.contains(e.getKey()) && e.getValue() != null && e.getValue().plus(grace).isBefore(now))
                .map(Map.Entry::getKey).sorted().toList();
    }

    @Override
    public void stop(String nodeId) {
        terminate(List.of(nodeId));
    }

    /** An instance cannot be killed without its shutdown; terminating it is the closest (the agent gets SIGTERM, as on a reclaim). */
    @Override
    public void kill(String nodeId) {
        terminate(List.of(nodeId));
    }

    private void terminate(List<String> ids) {
        try {
            ec2.terminateInstances(TerminateInstancesRequest.builder().instanceIds(ids).build());
            ids.forEach(nodes::remove);
        } catch (Ec2Exception e) {
            String code = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
            if (code.equals("InvalidInstanceID.NotFound")) {
                ids.forEach(nodes::remove); // gone already
                return;
            }
            log.error("EC2 refused TerminateInstances {}: {}: {}", ids, code, e.awsErrorDetails() == null ? e.getMessage()
                    : e.awsErrorDetails().errorMessage());
        } catch (SdkClientException e) {
            log.error("TerminateInstances {} did not reach EC2: {}", ids, e.getMessage());
        }
    }

    @Override
    public List<LaunchedNode> nodes() {
        return List.copyOf(nodes.values());
    }

    /** Stops launching; terminates nothing (a coordinator that takes over adopts the instances: {@link #reconcile}). */
    @Override
    public void close() {
        closed = true;
    }

    /** The pools left out now, and why (for {@code explain} and the operator). */
    public Map<Pool, PoolBook.Cooling> coolingPools() {
        return pools.cooling(clock.instant());
    }

    @Override
    public Map<String, String> unavailable() {
        var out = new TreeMap<String, String>(); // sorted: one subnet per line, the same order every time
        coolingPools().forEach((pool, c) -> out.put(pool + " (" + pool.subnetId() + ")", c.code() + " until " + c.until() + " (" + c.message() + ")"));
        return out;
    }
}
