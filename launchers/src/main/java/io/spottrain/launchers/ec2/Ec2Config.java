package io.spottrain.launchers.ec2;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * An EC2 fleet of a spottrain cluster, as the operator wrote it ({@code examples/cluster/ec2.yaml}),
 * after defaults were filled in. Built only by {@link Ec2ConfigParser}, so an instance is valid.
 */
public record Ec2Config(
        String region,
        String cluster,
        String imageId,
        String instanceProfile,
        List<String> securityGroups,
        List<Subnet> subnets,
        List<InstanceType> instanceTypes,
        SpotAllocation spotAllocation,
        Map<String, String> tags,
        Agent agent,
        Duration poolCooldown,
        Duration orphanGrace) {

    public Ec2Config {
        securityGroups = List.copyOf(securityGroups);
        subnets = List.copyOf(subnets);
        instanceTypes = List.copyOf(instanceTypes);
        tags = Map.copyOf(tags);
    }

    /** A subnet the fleet may launch into, with its availability zone (a gang launches into one zone). */
    public record Subnet(String id, String zone) {}

    /** An instance type the fleet may use: its GPUs, and the on-demand price the ledger and fallback compare with. */
    public record InstanceType(String type, int gpus, String gpuModel, int gpuMemoryGiB, double onDemandPricePerHour) {}

    /** {@code SpotOptions.AllocationStrategy}: price-capacity-optimized (default, AWS's recommendation) or capacity-optimized. */
    public enum SpotAllocation {
        PRICE_CAPACITY_OPTIMIZED("price-capacity-optimized"),
        CAPACITY_OPTIMIZED("capacity-optimized");

        public final String awsName;

        SpotAllocation(String awsName) {
            this.awsName = awsName;
        }
    }

    /**
     * How a launched machine's agent joins: the control nodes' cluster addresses, and the SSM
     * parameter (SecureString) its instance role reads the join material from. The join material
     * itself is never in user data, which every process on the machine can read from IMDS.
     */
    /**
     * How agents join: the control nodes' cluster addresses; the SSM path of the join material (with {@code enrollPort}: of
     * the cluster CA only); where the agent is installed; and {@code enrollPort} (null: off), the control nodes' port where
     * each agent enrolls for a certificate of its own with its instance identity ({@link EnrollmentServer}).
     */
    public record Agent(List<String> seeds, String joinParameter, String home, Integer enrollPort) {
        public Agent {
            seeds = List.copyOf(seeds);
        }

        public Agent(List<String> seeds, String joinParameter, String home) {
            this(seeds, joinParameter, home, null);
        }

        /** {@code https://<seed host>:<enrollPort>} of every seed, comma-separated; null when agents do not enroll. */
        public String enrollUrls() {
            if (enrollPort == null) return null;
            return String.join(",", seeds.stream().map(s -> "https://" + s.substring(0, s.lastIndexOf(':')) + ":" + enrollPort).toList());
        }
    }
}
