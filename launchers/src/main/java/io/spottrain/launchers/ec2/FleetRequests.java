package io.spottrain.launchers.ec2;

import io.spottrain.protocol.spec.Market;
import io.spottrain.protocol.spec.NodeMarket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import software.amazon.awssdk.services.ec2.model.CreateFleetRequest;
import software.amazon.awssdk.services.ec2.model.CreateLaunchTemplateRequest;
import software.amazon.awssdk.services.ec2.model.CreateLaunchTemplateVersionRequest;
import software.amazon.awssdk.services.ec2.model.DefaultTargetCapacityType;
import software.amazon.awssdk.services.ec2.model.FleetLaunchTemplateConfigRequest;
import software.amazon.awssdk.services.ec2.model.FleetLaunchTemplateOverridesRequest;
import software.amazon.awssdk.services.ec2.model.FleetLaunchTemplateSpecificationRequest;
import software.amazon.awssdk.services.ec2.model.FleetOnDemandAllocationStrategy;
import software.amazon.awssdk.services.ec2.model.FleetType;
import software.amazon.awssdk.services.ec2.model.LaunchTemplateHttpTokensState;
import software.amazon.awssdk.services.ec2.model.LaunchTemplateIamInstanceProfileSpecificationRequest;
import software.amazon.awssdk.services.ec2.model.LaunchTemplateInstanceMetadataOptionsRequest;
import software.amazon.awssdk.services.ec2.model.LaunchTemplateTagSpecificationRequest;
import software.amazon.awssdk.services.ec2.model.OnDemandOptionsRequest;
import software.amazon.awssdk.services.ec2.model.RequestLaunchTemplateData;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.ShutdownBehavior;
import software.amazon.awssdk.services.ec2.model.SpotAllocationStrategy;
import software.amazon.awssdk.services.ec2.model.SpotInstanceInterruptionBehavior;
import software.amazon.awssdk.services.ec2.model.SpotOptionsRequest;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;
import software.amazon.awssdk.services.ec2.model.TargetCapacitySpecificationRequest;

/**
 * The EC2 requests a cluster's launcher sends, as pure functions of the fleet config and the gang
 * to launch: one launch template version per config (image, instance profile, security groups,
 * IMDSv2 required, user data that starts the agent), and per gang one {@code CreateFleet} of type
 * {@code instant}: every instance type x subnet as an override, all-or-nothing
 * ({@code MinTargetCapacity} = the gang, in a single availability zone: an all-reduce ring across
 * zones is slow and pays for cross-zone traffic), tagged for ownership and cost allocation, with a
 * client token that is the same for a retry of the same launch (EC2 then launches nothing twice).
 */
public final class FleetRequests {
    private FleetRequests() {}

    public static final String TAG_CLUSTER = "spottrain:cluster";
    public static final String TAG_JOB = "spottrain:job";
    public static final String TAG_LAUNCH = "spottrain:launch";

    /**
     * A launch: {@code workers} machines for {@code job} on {@code market} (spot or on-demand: the launcher launches no reserved capacity);
     * {@code launch} names this one request (unique per request the launcher makes, the same for the
     * SDK's retries of it, so EC2 never launches it twice).
     */
    public record Gang(String job, Map<String, String> labels, int workers, NodeMarket market, String launch) {
        public Gang {
            labels = Map.copyOf(labels);
            if (workers < 1) throw new IllegalArgumentException("a gang has at least one worker, got " + workers);
        }
    }

    /** The launch template all of a cluster's fleets use. */
    public static String templateName(Ec2Config c) {
        return "spottrain-" + c.cluster();
    }

    /** The markets a job's launch tries in order: spot-with-fallback asks for Spot, then for on-demand. */
    public static List<NodeMarket> markets(Market m) {
        return switch (m) {
            case SPOT -> List.of(NodeMarket.SPOT);
            case ON_DEMAND -> List.of(NodeMarket.ON_DEMAND);
            case SPOT_WITH_FALLBACK -> List.of(NodeMarket.SPOT, NodeMarket.ON_DEMAND);
        };
    }

    /** A capacity pool: one instance type in one subnet (so one availability zone); EC2 has or lacks capacity per pool. */
    public record Pool(String instanceType, String subnetId, String zone) {
        @Override
        public String toString() {
            return instanceType + "/" + zone;
        }
    }

    /** Every pool of the config: instance types x subnets, in the config's order (types first). */
    public static List<Pool> pools(Ec2Config c) {
        var out = new ArrayList<Pool>();
        for (var t : c.instanceTypes()) for (var s : c.subnets()) out.add(new Pool(t.type(), s.id(), s.zone()));
        return out;
    }

    public static CreateLaunchTemplateVersionRequest launchTemplateVersion(Ec2Config c) {
        return CreateLaunchTemplateVersionRequest.builder().launchTemplateName(templateName(c))
                .versionDescription("spottrain " + c.cluster() + " agent").launchTemplateData(templateData(c)).build();
    }

    /** The template itself, for a cluster's first launch (a version can only be added to a template that exists). */
    public static CreateLaunchTemplateRequest launchTemplate(Ec2Config c) {
        return CreateLaunchTemplateRequest.builder().launchTemplateName(templateName(c))
                .versionDescription("spottrain " + c.cluster() + " agent").launchTemplateData(templateData(c))
                .tagSpecifications(TagSpecification.builder().resourceType(ResourceType.LAUNCH_TEMPLATE)
                        .tags(tags(c, Map.of(TAG_CLUSTER, c.cluster()))).build())
                .build();
    }

    private static RequestLaunchTemplateData templateData(Ec2Config c) {
        return RequestLaunchTemplateData.builder()
                .imageId(c.imageId())
                .iamInstanceProfile(c.instanceProfile().startsWith("arn:")
                        ? LaunchTemplateIamInstanceProfileSpecificationRequest.builder().arn(c.instanceProfile()).build()
                        : LaunchTemplateIamInstanceProfileSpecificationRequest.builder().name(c.instanceProfile()).build())
                .securityGroupIds(c.securityGroups())
                // IMDSv2 only, one hop: the agent reads notices with a session token; containers behind a bridge cannot reach it
                .metadataOptions(LaunchTemplateInstanceMetadataOptionsRequest.builder().httpTokens(LaunchTemplateHttpTokensState.REQUIRED)
                        .httpPutResponseHopLimit(1).build())
                .instanceInitiatedShutdownBehavior(ShutdownBehavior.TERMINATE)
                .tagSpecifications(LaunchTemplateTagSpecificationRequest.builder().resourceType(ResourceType.VOLUME)
                        .tags(tags(c, Map.of(TAG_CLUSTER, c.cluster()))).build())
                .userData(Base64.getEncoder().encodeToString(userData(c).getBytes(StandardCharsets.UTF_8)))
                .build();
    }

    /**
     * The agent's start on a new machine: its settings into the environment file the agent's
     * systemd unit reads, then the unit. No secret: the agent reads the join material from the
     * SSM parameter with the instance role.
     */
    public static String userData(Ec2Config c) {
        // with enrollment the SSM path holds the cluster CA only, and each agent enrolls for a certificate of its own
        String enroll = c.agent().enrollUrls() == null ? "" : "SPOTTRAIN_ENROLL_URLS=" + c.agent().enrollUrls() + "\n";
        return """
                #!/bin/bash
                # spottrain agent for cluster %s: settings only; the join material is read from SSM with the instance role
                set -euo pipefail
                install -d -m 0755 /etc/spottrain
                cat > /etc/spottrain/agent.env <<'ENV'
                SPOTTRAIN_CLUSTER=%s
                SPOTTRAIN_REGION=%s
                SPOTTRAIN_SEEDS=%s
                SPOTTRAIN_JOIN_PARAMETER=%s
                %sSPOTTRAIN_HOME=%s
                ENV
                systemctl enable --now spottrain-agent.service
                """.formatted(c.cluster(), c.cluster(), c.region(), String.join(",", c.agent().seeds()), c.agent().joinParameter(), enroll,
                c.agent().home());
    }

    public static CreateFleetRequest createFleet(Ec2Config c, Gang g, String templateVersion) {
        return createFleet(c, g, templateVersion, pools(c));
    }

    /** As above over {@code pools} only (the launcher leaves out pools that said they have no capacity, for a while). */
    public static CreateFleetRequest createFleet(Ec2Config c, Gang g, String templateVersion, List<Pool> pools) {
        if (pools.isEmpty()) throw new IllegalArgumentException("a fleet needs at least one pool");
        var overrides = new ArrayList<FleetLaunchTemplateOverridesRequest>();
        for (var p : pools) {
            overrides.add(FleetLaunchTemplateOverridesRequest.builder().instanceType(p.instanceType()).subnetId(p.subnetId())
                    .availabilityZone(p.zone()).build());
        }
        boolean spot = g.market() == NodeMarket.SPOT;
        var capacity = TargetCapacitySpecificationRequest.builder().totalTargetCapacity(g.workers())
                .defaultTargetCapacityType(spot ? DefaultTargetCapacityType.SPOT : DefaultTargetCapacityType.ON_DEMAND);
        capacity = spot ? capacity.spotTargetCapacity(g.workers()) : capacity.onDemandTargetCapacity(g.workers());
        var b = CreateFleetRequest.builder()
                .type(FleetType.INSTANT)
                .clientToken(clientToken(c, g))
                .targetCapacitySpecification(capacity.build())
                .launchTemplateConfigs(FleetLaunchTemplateConfigRequest.builder()
                        .launchTemplateSpecification(FleetLaunchTemplateSpecificationRequest.builder().launchTemplateName(templateName(c))
                                .version(templateVersion).build())
                        .overrides(overrides).build())
                .tagSpecifications(TagSpecification.builder().resourceType(ResourceType.INSTANCE).tags(instanceTags(c, g)).build());
        if (spot) {
            b.spotOptions(SpotOptionsRequest.builder().allocationStrategy(SpotAllocationStrategy.fromValue(c.spotAllocation().awsName))
                    .instanceInterruptionBehavior(SpotInstanceInterruptionBehavior.TERMINATE)
                    .minTargetCapacity(g.workers()).singleAvailabilityZone(true).build());
        } else {
            b.onDemandOptions(OnDemandOptionsRequest.builder().allocationStrategy(FleetOnDemandAllocationStrategy.LOWEST_PRICE)
                    .minTargetCapacity(g.workers()).singleAvailabilityZone(true).build());
        }
        return b.build();
    }

    /** Ownership (cluster, job, launch) and the job's labels (team, project: usable as cost allocation tags). */
    static List<Tag> instanceTags(Ec2Config c, Gang g) {
        var t = new TreeMap<String, String>(g.labels());
        t.put(TAG_CLUSTER, c.cluster());
        t.put(TAG_JOB, g.job());
        t.put(TAG_LAUNCH, clientToken(c, g));
        return tags(c, t);
    }

    private static List<Tag> tags(Ec2Config c, Map<String, String> own) {
        var t = new TreeMap<String, String>(c.tags());
        t.putAll(own);
        return t.entrySet().stream().map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build()).toList();
    }

    /** The same for a retry of the same launch (same cluster, job, market, size, launch), different for another launch; at most 64 characters. */
    static String clientToken(Ec2Config c, Gang g) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(String.join("|", c.cluster(), g.job(), g.market().name(),
                    Integer.toString(g.workers()), g.launch()).getBytes(StandardCharsets.UTF_8));
            return "spottrain-" + HexFormat.of().formatHex(h, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
