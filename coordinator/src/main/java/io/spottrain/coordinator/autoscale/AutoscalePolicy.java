package io.spottrain.coordinator.autoscale;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.spottrain.coordinator.scheduling.PoolRisks;
import io.spottrain.protocol.spec.FieldError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The autoscaling policy users write ({@code examples/cluster/autoscale.yaml}): which metric, the
 * threshold above which the fleet grows by what the waiting jobs need, the two cooldowns, and the
 * fleet's limits, and optionally named {@link CapacityPool pools} with limits of their own. {@link #parse} reports every
 * problem at once with its field path.
 */
public record AutoscalePolicy(Metric metric, double targetThreshold, Duration scaleUpCooldown, Duration scaleDownCooldown, int minNodes,
        int maxNodes, List<CapacityPool> pools) {

    public AutoscalePolicy {
        pools = pools == null ? List.of() : List.copyOf(pools);
    }

    /** A policy for one fleet, without named pools. */
    public AutoscalePolicy(Metric metric, double targetThreshold, Duration scaleUpCooldown, Duration scaleDownCooldown, int minNodes,
            int maxNodes) {
        this(metric, targetThreshold, scaleUpCooldown, scaleDownCooldown, minNodes, maxNodes, List.of());
    }

    /** What the loop watches. */
    public enum Metric {
        /** Jobs waiting for capacity (first generation or resuming below min). */
        WAITING_JOBS_IN_QUEUE("waiting_jobs_in_queue"),
        /** GPUs the waiting jobs need (workers.min x gpusPerWorker, at least one node's worth each). */
        PENDING_GPUS("pending_gpus"),
        /** Busy GPUs plus the GPUs waiting jobs ask for, over all GPUs of the fleet, in percent (capped at 100). */
        GPU_UTILIZATION("gpu_utilization");

        public final String label;

        Metric(String label) {
            this.label = label;
        }

        static Optional<Metric> fromLabel(String s) {
            return Arrays.stream(values()).filter(m -> m.label.equals(s)).findFirst();
        }
    }

    /** The policy's cooldowns multiplied by {@code scale} (local clusters and tests run them shrunk). */
    public AutoscalePolicy scaled(double scale) {
        return new AutoscalePolicy(metric, targetThreshold, scale(scaleUpCooldown, scale), scale(scaleDownCooldown, scale), minNodes, maxNodes, pools);
    }

    private static Duration scale(Duration d, double s) {
        return Duration.ofMillis(Math.round(d.toMillis() * s));
    }

    public static final class PolicyException extends Exception {
        public final List<FieldError> errors;

        PolicyException(String source, List<FieldError> errors) {
            super(source + ": " + errors.size() + " error(s):\n  " + errors.stream().map(FieldError::toString).collect(Collectors.joining("\n  ")));
            this.errors = List.copyOf(errors);
        }
    }

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)");
    private static final Set<String> TOP = Set.of("metric", "targetThreshold", "scaleUpCooldown", "scaleDownCooldown", "limits", "pools");
    private static final Set<String> LIMITS = Set.of("minNodes", "maxNodes");

    /** Parses {@code autoscaling:} of a cluster config (other top-level sections are ignored: pools, budgets ... live beside it). */
    public static AutoscalePolicy parse(String source, String yaml) throws PolicyException {
        var errors = new ArrayList<FieldError>();
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (IOException e) {
            throw new PolicyException(source, List.of(new FieldError("", "not YAML: " + e.getMessage().lines().findFirst().orElse(""))));
        }
        JsonNode a = root == null ? null : root.get("autoscaling");
        if (a == null || !a.isObject()) throw new PolicyException(source, List.of(new FieldError("autoscaling", "required: a mapping")));
        a.fieldNames().forEachRemaining(f -> {
            if (!TOP.contains(f)) errors.add(new FieldError("autoscaling." + f, "unknown field (known: " + String.join(", ", new TreeSet<>(TOP)) + ")"));
        });
        Metric metric = Metric.WAITING_JOBS_IN_QUEUE;
        if (a.has("metric")) {
            var m = Metric.fromLabel(a.path("metric").asText());
            if (m.isEmpty()) {
                errors.add(new FieldError("autoscaling.metric", "must be one of " + Arrays.stream(Metric.values()).map(x -> x.label)
                        .collect(Collectors.joining(", ")) + ", got \"" + a.path("metric").asText() + "\""));
            } else {
                metric = m.get();
            }
        }
        double threshold = 0;
        if (a.has("targetThreshold")) {
            JsonNode t = a.get("targetThreshold");
            if (!t.isNumber() || t.asDouble() < 0) errors.add(new FieldError("autoscaling.targetThreshold", "must be a number >= 0, got " + t));
            else threshold = t.asDouble();
            if (metric == Metric.GPU_UTILIZATION && t.asDouble() > 100) {
                errors.add(new FieldError("autoscaling.targetThreshold", "gpu_utilization is a percentage: must be <= 100, got " + t));
            }
        }
        Duration up = duration(a, "scaleUpCooldown", Duration.ofSeconds(300), errors);
        Duration down = duration(a, "scaleDownCooldown", Duration.ofSeconds(600), errors);
        int min = 0;
        int max = 100;
        JsonNode l = a.get("limits");
        if (l != null) {
            if (!l.isObject()) {
                errors.add(new FieldError("autoscaling.limits", "must be a mapping {minNodes, maxNodes}"));
            } else {
                l.fieldNames().forEachRemaining(f -> {
                    if (!LIMITS.contains(f)) errors.add(new FieldError("autoscaling.limits." + f, "unknown field (known: maxNodes, minNodes)"));
                });
                min = count(l, "minNodes", 0, errors);
                max = count(l, "maxNodes", 100, errors);
                if (max < 1) errors.add(new FieldError("autoscaling.limits.maxNodes", "must be >= 1, got " + max));
                if (min > max) errors.add(new FieldError("autoscaling.limits.minNodes", "must be <= maxNodes (" + max + "), got " + min));
            }
        }
        var pools = CapacityPool.parse(a.get("pools"), max, errors);
        if (!errors.isEmpty()) throw new PolicyException(source, errors);
        return new AutoscalePolicy(metric, threshold, up, down, min, max, pools);
    }

    /**
     * The Spot priors of interruption of the policy in {@code file} (its pools' own), else {@code clusterPrior} for every type;
     * no file, or one that cannot be used (the job manager logs why): the cluster's prior alone.
     */
    public static PoolRisks.Priors priors(String file, double clusterPrior) {
        if (file == null || file.isBlank()) return PoolRisks.Priors.of(clusterPrior);
        try {
            return CapacityPool.priors(parse(file, Files.readString(Path.of(file))).pools(), clusterPrior);
        } catch (IOException | PolicyException e) {
            return PoolRisks.Priors.of(clusterPrior);
        }
    }

    private static Duration duration(JsonNode a, String field, Duration dflt, List<FieldError> errors) {
        if (!a.has(field)) return dflt;
        Matcher m = DURATION.matcher(a.path(field).asText());
        if (!m.matches()) {
            errors.add(new FieldError("autoscaling." + field, "must be a duration such as 300s or 10m, got \"" + a.path(field).asText() + "\""));
            return dflt;
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofSeconds(n);
        };
    }

    private static int count(JsonNode l, String field, int dflt, List<FieldError> errors) {
        if (!l.has(field)) return dflt;
        JsonNode n = l.get(field);
        if (!n.isInt() || n.asInt() < 0) {
            errors.add(new FieldError("autoscaling.limits." + field, "must be a whole number >= 0, got " + n));
            return dflt;
        }
        return n.asInt();
    }
}
