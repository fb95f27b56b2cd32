package io.spottrain.launchers.ec2;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Whether an instance that proved who it is ({@link InstanceIdentity}, signature checked) gets a
 * certificate of its own (pure, table-tested): it must be in this cluster's region, a pending or
 * running instance EC2 knows in this account, tagged with this cluster, at the private address it
 * claims, and have started recently (a machine enrolls when it boots). Its name in the certificate
 * is its instance id, its address its private IP. That it enrolls once ever is the caller's claim
 * in the store, after this.
 */
public final class EnrollmentPolicy {
    private EnrollmentPolicy() {}

    static final String UNSIGNED = "the instance identity signature does not verify with the AWS certificate this control node was given";

    /** What EC2 says of the instance (DescribeInstances, this account); null where EC2 does not know it. */
    public record Seen(String state, Map<String, String> tags, String privateIp) {
        public Seen {
            tags = tags == null ? Map.of() : Map.copyOf(tags);
        }
    }

    public sealed interface Outcome {}

    /** A certificate for {@code name} (the instance id) at {@code ips}. */
    public record Accept(String name, List<String> ips) implements Outcome {}

    /** No certificate: the HTTP status and why (said to the caller and logged; nothing secret in it). */
    public record Refuse(int status, String reason) implements Outcome {}

    public static Outcome decide(boolean signed, InstanceIdentity id, Seen seen, String cluster, String region, Instant now, Duration maxAge) {
        if (!signed) {
            return new Refuse(403, UNSIGNED);
        }
        if (!id.region().equals(region)) {
            return new Refuse(403, "instance " + id.instanceId() + " is in region " + id.region() + ", cluster " + cluster + " in " + region);
        }
        if (seen == null) return new Refuse(403, "EC2 knows no instance " + id.instanceId() + " in this account and region");
        if (!seen.state().equals("pending") && !seen.state().equals("running")) {
            return new Refuse(403, "instance " + id.instanceId() + " is " + seen.state());
        }
        String tag = seen.tags().get(FleetRequests.TAG_CLUSTER);
        if (!cluster.equals(tag)) {
            return new Refuse(403, "instance " + id.instanceId() + " is not a machine of cluster " + cluster + " (tag " + FleetRequests.TAG_CLUSTER
                    + (tag == null ? " missing)" : " is " + tag + ")"));
        }
        if (seen.privateIp() != null && !seen.privateIp().equals(id.privateIp())) {
            return new Refuse(403, "instance " + id.instanceId() + " claims address " + id.privateIp() + ", EC2 says " + seen.privateIp());
        }
        if (id.pendingTime().plus(maxAge).isBefore(now)) {
            return new Refuse(403, "instance " + id.instanceId() + " started at " + id.pendingTime() + ", more than " + maxAge.toMinutes()
                    + " min ago: a machine enrolls when it boots (an older one keeps the certificate it got then)");
        }
        return new Accept(id.instanceId(), List.of(id.privateIp()));
    }
}
