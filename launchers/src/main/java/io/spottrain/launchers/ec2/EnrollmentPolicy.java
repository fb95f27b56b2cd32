package io.spottrain.launchers.ec2;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Whether an instance that proved who it is ({@link InstanceIdentity}, signature checked) gets a
 * certificate of its own (pure, table-tested). First what the signed document alone says
 * ({@link #early}: signed, this cluster's region, started recently — a machine enrolls when it
 * boots), so a replayed or foreign document costs no call to EC2; then what EC2 says of it
 * ({@link #decide}): a pending or running instance of this account, tagged with this cluster, with
 * the fleet's instance profile, in one of the fleet's subnets, at the private address it claims. A
 * tag alone is not enough: anyone in the account allowed to tag an instance could make one. Its
 * name in the certificate is its instance id, its address its private IP. That it enrolls once
 * ever is the caller's claim in the store.
 */
public final class EnrollmentPolicy {
    private EnrollmentPolicy() {}

    static final String UNSIGNED = "the instance identity signature does not verify with the AWS certificate this control node was given";

    /** What EC2 says of the instance (DescribeInstances, this account); null where EC2 does not know it. */
    public record Seen(String state, Map<String, String> tags, String privateIp, String instanceProfileArn, String subnetId) {
        public Seen {
            tags = tags == null ? Map.of() : Map.copyOf(tags);
        }
    }

    /** What a machine of this fleet looks like: the fleet config's cluster, region, instance profile (name or ARN) and subnets. */
    public record Fleet(String cluster, String region, String instanceProfile, List<String> subnets) {
        public Fleet {
            subnets = List.copyOf(subnets);
        }

        static Fleet of(Ec2Config c) {
            return new Fleet(c.cluster(), c.region(), c.instanceProfile(), c.subnets().stream().map(Ec2Config.Subnet::id).toList());
        }

        boolean profile(String arn) {
            if (arn == null) return false;
            return instanceProfile.startsWith("arn:") ? instanceProfile.equals(arn) : arn.endsWith(":instance-profile/" + instanceProfile)
                    || arn.endsWith("/" + instanceProfile);
        }
    }

    public sealed interface Outcome {}

    /** A certificate for {@code name} (the instance id) at {@code ips}. */
    public record Accept(String name, List<String> ips) implements Outcome {}

    /** No certificate: the HTTP status and why (said to the caller and logged; nothing secret in it). */
    public record Refuse(int status, String reason) implements Outcome {}

    /** What the signed document alone decides (null: nothing yet, ask EC2). */
    public static Refuse early(boolean signed, InstanceIdentity id, Fleet f, Instant now, Duration maxAge) {
        if (!signed) return new Refuse(403, UNSIGNED);
        if (!id.region().equals(f.region())) {
            return new Refuse(403, "instance " + id.instanceId() + " is in region " + id.region() + ", cluster " + f.cluster() + " in " + f.region());
        }
        if (id.pendingTime().plus(maxAge).isBefore(now)) {
            return new Refuse(403, "instance " + id.instanceId() + " started at " + id.pendingTime() + ", more than " + maxAge.toMinutes()
                    + " min ago: a machine enrolls when it boots (an older one keeps the certificate it got then)");
        }
        return null;
    }

    public static Outcome decide(boolean signed, InstanceIdentity id, Seen seen, Fleet f, Instant now, Duration maxAge) {
        Refuse early = early(signed, id, f, now, maxAge);
        if (early != null) return early;
        if (seen == null) return new Refuse(403, "EC2 knows no instance " + id.instanceId() + " in this account and region");
        if (!seen.state().equals("pending") && !seen.state().equals("running")) {
            return new Refuse(403, "instance " + id.instanceId() + " is " + seen.state());
        }
        String tag = seen.tags().get(FleetRequests.TAG_CLUSTER);
        if (!f.cluster().equals(tag)) {
            return new Refuse(403, "instance " + id.instanceId() + " is not a machine of cluster " + f.cluster() + " (tag " + FleetRequests.TAG_CLUSTER
                    + (tag == null ? " missing)" : " is " + tag + ")"));
        }
        if (!f.profile(seen.instanceProfileArn())) {
            return new Refuse(403, "instance " + id.instanceId() + " runs with instance profile " + seen.instanceProfileArn() + ", not the fleet's "
                    + f.instanceProfile());
        }
        if (!f.subnets().contains(seen.subnetId())) {
            return new Refuse(403, "instance " + id.instanceId() + " is in subnet " + seen.subnetId() + ", none of the fleet's " + f.subnets());
        }
        if (seen.privateIp() != null && !seen.privateIp().equals(id.privateIp())) {
            return new Refuse(403, "instance " + id.instanceId() + " claims address " + id.privateIp() + ", EC2 says " + seen.privateIp());
        }
        return new Accept(id.instanceId(), List.of(id.privateIp()));
    }
}
