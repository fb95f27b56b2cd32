package io.spottrain.coordinator.autoscale;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.protocol.spec.FieldError;
import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.coordinator.scheduling.PoolRisks;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A named capacity pool of the autoscaling policy: the nodes of one market, of some instance types
 * (none listed: any), that the autoscaler keeps between {@code minNodes} and {@code maxNodes}; for
 * Spot, an optional {@code interruptionPrior} (interruptions per node-hour believed before any is
 * seen) that replaces the cluster's prior for its instance types; an optional {@code zone} (null:
 * any) that its nodes are launched in and counted by; and for reserved and on-demand pools an optional
 * {@code pricePerHour} (null: the launcher's or the agent's), what its nodes are billed at where the list
 * price is not the bill (a reservation's or savings plan's effective rate, a negotiated discount). A node belongs to the first pool in the file that
 * takes its market, type and zone ({@link #of}).
 */
public record CapacityPool(String name, NodeMarket market, List<String> instanceTypes, int minNodes, int maxNodes, Double interruptionPrior,
        String zone, Double pricePerHour) {

    public CapacityPool {
        instanceTypes = instanceTypes == null ? List.of() : List.copyOf(instanceTypes);
    }

    public CapacityPool(String name, NodeMarket market, List<String> instanceTypes, int minNodes, int maxNodes, Double interruptionPrior,
            String zone) {
        this(name, market, instanceTypes, minNodes, maxNodes, interruptionPrior, zone, null);
    }

    public CapacityPool(String name, NodeMarket market, List<String> instanceTypes, int minNodes, int maxNodes, Double interruptionPrior) {
        this(name, market, instanceTypes, minNodes, maxNodes, interruptionPrior, null);
    }

    /** Whether a node (or a launch) of this market, instance type and zone (null: not known yet) is in this pool. */
    public boolean holds(NodeMarket m, String instanceType, String inZone) {
        return holdsType(m, instanceType) && (zone == null || zone.equals(inZone));
    }

    private boolean holdsType(NodeMarket m, String instanceType) {
        return market == m && (instanceTypes.isEmpty() || (instanceType != null && instanceTypes.contains(instanceType)));
    }

    /**
     * Whether a launch of this market and type in this pool counts in it: it does, and no earlier pool could take such a
     * node where this pool launches (an earlier pool of the same market and type in the same zone, or either naming none).
     */
    public static boolean owns(List<CapacityPool> pools, CapacityPool p, NodeMarket m, String instanceType) {
        if (!p.holdsType(m, instanceType)) return false;
        for (CapacityPool q : pools) {
            if (q.equals(p)) return true;
            if (q.holdsType(m, instanceType) && (q.zone == null || p.zone == null || q.zone.equals(p.zone))) return false;
        }
        return false;
    }

    /** The instance types a launch for a job pinned to {@code jobTypes} (empty: any) may use here; empty Optional: none. */
    public Optional<List<String>> typesFor(List<String> jobTypes) {
        if (jobTypes.isEmpty()) return Optional.of(instanceTypes);
        if (instanceTypes.isEmpty()) return Optional.of(jobTypes);
        var both = jobTypes.stream().filter(instanceTypes::contains).toList();
        return both.isEmpty() ? Optional.empty() : Optional.of(both);
    }

    /** The first pool that holds a node of this market, type and zone (none: the node counts against the fleet's limits only). */
    public static Optional<CapacityPool> of(List<CapacityPool> pools, NodeMarket m, String instanceType, String zone) {
        return pools.stream().filter(p -> p.holds(m, instanceType, zone)).findFirst();
    }

    /**
     * The Spot priors of interruption the pools set: a type named by a Spot pool takes that pool's {@code interruptionPrior}
     * (the first pool naming it; none set: {@code clusterPrior}), and a Spot pool naming no type sets the prior of every type
     * not named before it.
     */
    public static PoolRisks.Priors priors(List<CapacityPool> pools, double clusterPrior) {
        var byType = new HashMap<String, Double>();
        var named = new HashSet<String>(); // a type named by an earlier pool stays that pool's
        for (CapacityPool p : pools) {
            if (p.market() != NodeMarket.SPOT) continue;
            double prior = p.interruptionPrior() == null ? clusterPrior : p.interruptionPrior();
            if (p.instanceTypes().isEmpty()) return new PoolRisks.Priors(prior, byType); // the catch-all: later Spot pools hold nothing
            for (String t : p.instanceTypes()) {
                if (named.add(t)) byType.put(t, prior);
            }
        }
        return new PoolRisks.Priors(clusterPrior, byType);
    }

    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?");
    private static final Pattern ZONE = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    private static final Set<String> FIELDS = Set.of("name", "market", "instanceTypes", "minNodes", "maxNodes", "interruptionPrior", "zone",
            "pricePerHour");

    /** Parses {@code autoscaling.pools}, adding every problem to {@code errors} with its field path. */
    static List<CapacityPool> parse(JsonNode list, int fleetMax, List<FieldError> errors) {
        if (list == null || list.isNull()) return List.of();
        if (!list.isArray()) {
            errors.add(new FieldError("autoscaling.pools", "must be a list of pools ({name, market, instanceTypes, minNodes, maxNodes})"));
            return List.of();
        }
        var pools = new ArrayList<CapacityPool>();
        var names = new HashSet<String>();
        for (int i = 0; i < list.size(); i++) {
            String at = "autoscaling.pools[" + i + "]";
            JsonNode p = list.get(i);
            if (!p.isObject()) {
                errors.add(new FieldError(at, "must be a mapping {name, market, instanceTypes, minNodes, maxNodes}"));
                continue;
            }
            int before = errors.size();
            p.fieldNames().forEachRemaining(f -> {
                if (!FIELDS.contains(f)) errors.add(new FieldError(at + "." + f, "unknown field (known: " + String.join(", ", new TreeSet<>(FIELDS)) + ")"));
            });
            String name = p.path("name").asText("");
            if (!NAME.matcher(name).matches()) {
                errors.add(new FieldError(at + ".name", "required: lower-case letters, digits and '-', at most 40, got \"" + name + "\""));
            } else if (!names.add(name)) {
                errors.add(new FieldError(at + ".name", "\"" + name + "\" names another pool too"));
            }
            var market = NodeMarket.fromLabel(p.path("market").asText(""));
            if (market.isEmpty()) errors.add(new FieldError(at + ".market", "required: spot, on-demand or reserved, got \"" + p.path("market").asText("") + "\""));
            var types = new ArrayList<String>();
            JsonNode t = p.get("instanceTypes");
            if (t != null && !t.isArray()) {
                errors.add(new FieldError(at + ".instanceTypes", "must be a list of instance types (none: any)"));
            } else if (t != null) {
                for (int j = 0; j < t.size(); j++) {
                    if (!t.get(j).isTextual() || t.get(j).asText().isBlank()) {
                        errors.add(new FieldError(at + ".instanceTypes[" + j + "]", "must be an instance type, got " + t.get(j)));
                    } else {
                        types.add(t.get(j).asText());
                    }
                }
            }
            int min = count(p, at, "minNodes", 0, errors);
            int max = count(p, at, "maxNodes", fleetMax, errors);
            if (min > max) errors.add(new FieldError(at + ".minNodes", "must be <= maxNodes (" + max + "), got " + min));
            if (max > fleetMax) errors.add(new FieldError(at + ".maxNodes", "must be <= limits.maxNodes (" + fleetMax + "), got " + max));
            Double prior = null;
            if (p.has("interruptionPrior")) {
                JsonNode r = p.get("interruptionPrior");
                if (!r.isNumber() || r.asDouble() < 0) {
                    errors.add(new FieldError(at + ".interruptionPrior", "must be interruptions per node-hour, a number >= 0, got " + r));
                } else if (market.isPresent() && market.get() != NodeMarket.SPOT) {
                    errors.add(new FieldError(at + ".interruptionPrior", "only a spot pool is interrupted"));
                } else {
                    prior = r.asDouble();
                }
            }
            String zone = null;
            if (p.has("zone")) {
                JsonNode z = p.get("zone");
                if (!z.isTextual() || !ZONE.matcher(z.asText()).matches()) {
                    errors.add(new FieldError(at + ".zone", "must be an availability zone name such as us-east-1a, got " + z));
                } else {
                    zone = z.asText();
                }
            }
            Double price = null;
            if (p.has("pricePerHour")) {
                JsonNode r = p.get("pricePerHour");
                if (!r.isNumber() || r.asDouble() < 0) {
                    errors.add(new FieldError(at + ".pricePerHour", "must be USD per node-hour, a number >= 0, got " + r));
                } else if (market.isPresent() && market.get() == NodeMarket.SPOT) {
                    errors.add(new FieldError(at + ".pricePerHour", "a spot pool's price is the market's (the launcher's Spot price history)"));
                } else {
                    price = r.asDouble();
                }
            }
            if (errors.size() == before) pools.add(new CapacityPool(name, market.orElseThrow(), types, min, max, prior, zone, price));
        }
        int mins = pools.stream().mapToInt(CapacityPool::minNodes).sum();
        if (mins > fleetMax) {
            errors.add(new FieldError("autoscaling.pools", "the pools' minNodes add up to " + mins + ", more than limits.maxNodes " + fleetMax));
        }
        return List.copyOf(pools);
    }

    private static int count(JsonNode p, String at, String field, int dflt, List<FieldError> errors) {
        if (!p.has(field)) return dflt;
        JsonNode n = p.get(field);
        if (!n.isInt() || n.asInt() < 0) {
            errors.add(new FieldError(at + "." + field, "must be a whole number >= 0, got " + n));
            return dflt;
        }
        return n.asInt();
    }
}
