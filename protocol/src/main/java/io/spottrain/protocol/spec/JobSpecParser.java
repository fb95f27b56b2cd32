package io.spottrain.protocol.spec;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads a job spec in three steps — parse, fill defaults, validate — and reports EVERY problem at
 * once as {@code path: message}, the way Nomad's {@code Job.Validate} does. Unknown fields are
 * errors with a did-you-mean; YAML syntax errors carry line and column.
 *
 * <p>Adding a field: see {@code docs/job-spec.md#adding-a-field} (parser, {@link #FIELDS}, schema,
 * docs and a table row in the test must change together; a test keeps the schema in step).
 */
public final class JobSpecParser {

    /** Every field the parser knows, by the path of the mapping that holds it (root is ""). */
    public static final Map<String, List<String>> FIELDS = fields();

    /** Variables the agent sets for every rank; a job's env may not override them. */
    public static final Set<String> RESERVED_ENV = Set.of(
            "RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT");

    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern INSTANCE_TYPE = Pattern.compile("[a-z0-9-]+\\.[a-z0-9-]+");
    private static final Pattern S3_URI = Pattern.compile("s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?");

    private static final int MAX_WORKERS = 1024;
    private static final int DEFAULT_GPUS_PER_WORKER = 1;
    private static final int DEFAULT_CHECKPOINT_INTERVAL = 50;
    private static final int DEFAULT_CHECKPOINT_KEEP = 3;
    private static final int DEFAULT_MAX_RESTARTS = 3;

    private static final ObjectMapper YAML = new ObjectMapper(
            YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());

    private static final Pattern DURATION = Pattern.compile("(\\d{1,7})([smhd])");

    private JobSpecParser() {}

    private static Map<String, List<String>> fields() {
        var m = new LinkedHashMap<String, List<String>>();
        m.put("", List.of("apiVersion", "kind", "metadata", "spec"));
        m.put("metadata", List.of("name", "labels"));
        m.put("spec", List.of("workers", "command", "args", "env", "workingDir", "placement", "checkpoint",
                "priority", "maxRestarts", "elastic", "secrets"));
        m.put("spec.elastic", List.of("capacityTimeout", "scaleUp"));
        m.put("spec.workers", List.of("min", "max", "gpusPerWorker"));
        m.put("spec.placement", List.of("market", "instanceTypes", "maxPricePerHour", "gpuModels", "minGpuMemoryGiB", "maxInterruptRisk"));
        m.put("spec.checkpoint", List.of("interval", "keep", "remote"));
        return Map.copyOf(m);
    }

    /** Reads and checks a spec file; a missing or unreadable file is an {@link IOException}. */
    public static JobSpec parseFile(Path file) throws IOException, JobSpecException {
        return parse(Files.readString(file));
    }

    /** Parses, fills defaults and validates; throws with every error found. */
    public static JobSpec parse(String yaml) throws JobSpecException {
        var reader = new Reader(yaml);
        JobSpec spec = reader.read();
        if (!reader.errors.isEmpty()) {
            // in file order (stable: errors without a line keep the order they were found in)
            var sorted = new ArrayList<>(reader.errors);
            sorted.sort(Comparator.comparingInt(FieldError::line));
            throw new JobSpecException(sorted);
        }
        return spec;
    }

    /** Every error in the spec; empty when it is valid. */
    public static List<FieldError> validate(String yaml) {
        try {
            parse(yaml);
            return List.of();
        } catch (JobSpecException e) {
            return e.errors();
        }
    }

    /** The known name closest to {@code given}, or null when none is close enough to suggest. */
    static String didYouMean(String given, List<String> known) {
        String lower = given.toLowerCase();
        return known.stream()
                .filter(k -> k.equalsIgnoreCase(given) || distance(lower, k.toLowerCase()) <= Math.max(2, given.length() / 3))
                .min(Comparator.comparingInt(k -> distance(lower, k.toLowerCase())))
                .orElse(null);
    }

    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev; prev = cur; cur = t;
        }
        return prev[b.length()];
    }

    /** One pass over one document; collects errors instead of stopping at the first. */
    private static final class Reader extends FieldReader {
        Reader(String source) {
            super(source);
        }

        JobSpec read() {
            JsonNode root;
            try {
                root = YAML.readTree(source);
                indexLines(YAML);
            } catch (JsonProcessingException e) {
                JsonLocation loc = e.getLocation();
                // SnakeYAML's message: context and problem lines, each followed by a source excerpt; keep the words
                String msg = e.getOriginalMessage().lines()
                        .filter(l -> !l.isBlank() && !l.startsWith(" in '") && !l.startsWith("    "))
                        .map(String::strip)
                        .collect(Collectors.joining(": "));
                if (msg.isEmpty()) msg = "invalid YAML";
                if (loc != null && loc.getLineNr() > 0) {
                    errors.add(new FieldError("", "YAML syntax error at line " + loc.getLineNr() + ", column "
                            + loc.getColumnNr() + ": " + msg, loc.getLineNr()));
                } else {
                    errors.add(new FieldError("", "YAML syntax error: " + msg));
                }
                return null;
            }
            if (root == null || root.isMissingNode() || root.isNull()) {
                root = JsonNodeFactory.instance.objectNode();
            }
            if (!root.isObject()) {
                error("", "must be a mapping with apiVersion, kind, metadata and spec, got " + describe(root));
                return null;
            }
            var top = (ObjectNode) root;
            unknownFields(top, "");
            String apiVersion = string(top, "", "apiVersion", true);
            if (apiVersion != null && !JobSpec.API_VERSION.equals(apiVersion)) {
                error("apiVersion", "must be \"" + JobSpec.API_VERSION + "\", got \"" + apiVersion + "\"");
            }
            String kind = string(top, "", "kind", true);
            if (kind != null && !JobSpec.KIND.equals(kind)) {
                error("kind", "must be \"" + JobSpec.KIND + "\", got \"" + kind + "\"");
            }
            JobSpec.Metadata metadata = metadata(object(top, "", "metadata"));
            JobSpec.Spec spec = spec(object(top, "", "spec"));
            if (metadata == null || spec == null) {
                return null;
            }
            return new JobSpec(JobSpec.API_VERSION, JobSpec.KIND, metadata, spec);
        }

        private JobSpec.Metadata metadata(ObjectNode node) {
            if (node == null) return null;
            String name = string(node, "metadata", "name", true);
            if (name != null && (name.length() > 63 || !DNS_LABEL.matcher(name).matches())) {
                error("metadata.name", "must be a DNS label: lower-case letters, digits and '-', starting and ending"
                        + " with a letter or digit, at most 63 characters, got \"" + name + "\"");
            }
            Map<String, String> labels = stringMap(node, "metadata", "labels");
            labels.forEach((k, v) -> {
                if (k.length() > 63 || !LABEL.matcher(k).matches()) {
                    error("metadata.labels." + k, "label keys are letters, digits, '-', '_' and '.', at most 63 characters");
                }
                if (v.length() > 63 || !(v.isEmpty() || LABEL.matcher(v).matches())) {
                    error("metadata.labels." + k, "label values are letters, digits, '-', '_' and '.', at most 63 characters, got \"" + v + "\"");
                }
            });
            return name == null ? null : new JobSpec.Metadata(name, labels);
        }

        private JobSpec.Spec spec(ObjectNode node) {
            if (node == null) return null;
            JobSpec.Workers workers = workers(object(node, "spec", "workers"));
            List<String> command = stringList(node, "spec", "command", true);
            if (command != null && command.isEmpty()) {
                error("spec.command", "must not be empty: give the program and its arguments, e.g. [python3, train.py]");
            } else if (command != null && command.get(0).isBlank()) {
                error("spec.command[0]", "must name a program");
            }
            List<String> args = stringList(node, "spec", "args", false);
            Map<String, String> env = stringMap(node, "spec", "env");
            env.keySet().forEach(k -> {
                if (!ENV_NAME.matcher(k).matches()) {
                    error("spec.env." + k, "is not a valid environment variable name");
                } else if (RESERVED_ENV.contains(k) || k.startsWith("SPOTTRAIN_")) {
                    error("spec.env." + k, "is set by spottrain for every rank and cannot be overridden");
                }
            });
            String workingDir = string(node, "spec", "workingDir", false);
            JobSpec.Placement placement = placement(object(node, "spec", "placement"));
            JobSpec.Checkpoint checkpoint = checkpoint(object(node, "spec", "checkpoint"));
            Integer priority = priority(node);
            if (priority != null && placement != null && PriorityClass.of(priority) == PriorityClass.HIGH
                    && placement.market() != Market.ON_DEMAND) {
                error("spec.priority", "high (" + priority + ") runs on on-demand or reserved capacity only, but spec.placement.market is "
                        + placement.market().label() + ": set market: on-demand, or a lower priority to run on Spot");
            }
            Integer maxRestarts = integer(node, "spec", "maxRestarts", DEFAULT_MAX_RESTARTS);
            if (maxRestarts != null && (maxRestarts < 0 || maxRestarts > 1000)) {
                error("spec.maxRestarts", "must be between 0 and 1000, got " + maxRestarts);
            }
            JobSpec.Elastic elastic = elastic(object(node, "spec", "elastic"));
            List<String> secrets = stringList(node, "spec", "secrets", false);
            if (secrets != null) {
                var seen = new HashSet<String>();
                for (String name : secrets) {
                    if (!ENV_NAME.matcher(name).matches() || RESERVED_ENV.contains(name) || name.startsWith("SPOTTRAIN_")) {
                        error("spec.secrets", "\"" + name + "\" is not an environment variable name a job may set");
                    } else if (env.containsKey(name)) {
                        error("spec.secrets", name + " is also in spec.env: a secret comes from the node, never from the spec");
                    } else if (!seen.add(name)) {
                        error("spec.secrets", name + " is named twice");
                    }
                }
            }
            if (workers == null || command == null || args == null || placement == null || checkpoint == null
                    || priority == null || maxRestarts == null || elastic == null || secrets == null) {
                return null;
            }
            return new JobSpec.Spec(workers, command, args, env, workingDir, placement, checkpoint, priority, maxRestarts, elastic, secrets);
        }

        private JobSpec.Workers workers(ObjectNode node) {
            if (node == null) return null;
            Integer min = integer(node, "spec.workers", "min", null, true);
            if (min != null && min < 1) {
                error("spec.workers.min", "must be >= 1, got " + min);
            }
            Integer max = node.hasNonNull("max") ? integer(node, "spec.workers", "max", null) : min;
            if (max != null && min != null && max < min) {
                error("spec.workers.max", "must be >= spec.workers.min (" + min + "), got " + max);
            }
            if (max != null && max > MAX_WORKERS) {
                error("spec.workers.max", "must be <= " + MAX_WORKERS + ", got " + max);
            }
            Integer gpus = integer(node, "spec.workers", "gpusPerWorker", DEFAULT_GPUS_PER_WORKER);
            if (gpus != null && (gpus < 0 || gpus > 64)) {
                error("spec.workers.gpusPerWorker", "must be between 0 and 64, got " + gpus);
            }
            return min == null || max == null || gpus == null ? null : new JobSpec.Workers(min, max, gpus);
        }

        /** {@code spec.priority}: high, normal (the default), low, or a number 0..1000 (each class is a range of them). */
        private Integer priority(ObjectNode node) {
            JsonNode p = node.get("priority");
            if (p == null || p.isNull()) return PriorityClass.NORMAL.value();
            if (p.isTextual()) {
                var c = PriorityClass.fromLabel(p.asText());
                if (c.isPresent()) return c.get().value();
                error("spec.priority", "must be high, normal, low or a whole number 0..1000, got \"" + p.asText() + "\"");
                return null;
            }
            if (!p.isIntegralNumber() || p.asLong() < 0 || p.asLong() > 1000) {
                error("spec.priority", "must be between 0 and 1000 (or high, normal, low), got " + p);
                return null;
            }
            return p.asInt();
        }

        private JobSpec.Placement placement(ObjectNode node) {
            if (node == null) return null;
            String marketText = string(node, "spec.placement", "market", false);
            Market market = Market.SPOT;
            if (marketText != null) {
                market = Market.fromLabel(marketText).orElse(null);
                if (market == null) {
                    var labels = Arrays.stream(Market.values()).map(Market::label).toList();
                    String hint = didYouMean(marketText, labels);
                    error("spec.placement.market", "must be one of " + String.join(", ", labels) + ", got \""
                            + marketText + "\"" + (hint == null ? "" : " (did you mean \"" + hint + "\"?)"));
                }
            }
            List<String> types = stringList(node, "spec.placement", "instanceTypes", false);
            if (types != null) {
                for (int i = 0; i < types.size(); i++) {
                    if (!INSTANCE_TYPE.matcher(types.get(i)).matches()) {
                        error("spec.placement.instanceTypes[" + i + "]", "must be an instance type like g5.xlarge, got \""
                                + types.get(i) + "\"");
                    }
                }
            }
            Double maxPrice = number(node, "spec.placement", "maxPricePerHour", 0.0);
            if (maxPrice != null && node.has("maxPricePerHour") && maxPrice <= 0) {
                error("spec.placement.maxPricePerHour", "must be > 0 (USD per hour per node), got " + maxPrice);
            }
            List<String> models = stringList(node, "spec.placement", "gpuModels", false);
            var known = new ArrayList<String>();
            if (models != null) {
                for (int i = 0; i < models.size(); i++) {
                    var m = GpuCatalog.model(models.get(i));
                    if (m.isPresent()) {
                        known.add(m.get());
                    } else {
                        String hint = didYouMean(models.get(i), GpuCatalog.models());
                        error("spec.placement.gpuModels[" + i + "]", "must be a GPU model of " + String.join(", ", GpuCatalog.models()) + ", got \""
                                + models.get(i) + "\"" + (hint == null ? "" : " (did you mean \"" + hint + "\"?)"));
                    }
                }
            }
            Integer memory = integer(node, "spec.placement", "minGpuMemoryGiB", 0);
            if (memory != null && node.has("minGpuMemoryGiB") && (memory < 1 || memory > 1024)) {
                error("spec.placement.minGpuMemoryGiB", "must be between 1 and 1024 (GiB per GPU), got " + memory);
            }
            Double maxRisk = number(node, "spec.placement", "maxInterruptRisk", 0.0);
            if (maxRisk != null && node.has("maxInterruptRisk") && (maxRisk <= 0 || maxRisk > 100)) {
                error("spec.placement.maxInterruptRisk", "must be > 0 and <= 100 (Spot interruptions per node-hour), got " + maxRisk);
            }
            if (maxRisk != null && maxRisk > 0 && market == Market.ON_DEMAND) {
                error("spec.placement.maxInterruptRisk", "bounds Spot pools, and market on-demand runs on none; drop it or use "
                        + "spot-with-fallback");
            }
            return market == null || types == null || maxPrice == null || models == null || memory == null || maxRisk == null ? null
                    : new JobSpec.Placement(market, types, maxPrice, known, memory, maxRisk);
        }

        private JobSpec.Elastic elastic(ObjectNode node) {
            if (node == null) return null;
            String scale = string(node, "spec.elastic", "scaleUp", false);
            var scaleUp = scale == null ? Optional.of(ScaleUp.AUTO) : ScaleUp.fromLabel(scale);
            if (scaleUp.isEmpty()) {
                error("spec.elastic.scaleUp", "must be auto or never, got \"" + scale + "\"");
                return null;
            }
            String timeout = string(node, "spec.elastic", "capacityTimeout", false);
            if (timeout == null) return new JobSpec.Elastic(0, scaleUp.get());
            var m = DURATION.matcher(timeout.trim());
            long seconds = m.matches() ? Long.parseLong(m.group(1)) * switch (m.group(2)) {
                case "s" -> 1L;
                case "m" -> 60L;
                case "h" -> 3600L;
                default -> 86_400L;
            } : -1;
            if (seconds < 10 || seconds > 30 * 86_400L) {
                error("spec.elastic.capacityTimeout", "must be a duration from 10s to 30d such as 90s, 30m, 2h or 1d (leave it out to wait "
                        + "for good), got \"" + timeout + "\"");
                return null;
            }
            return new JobSpec.Elastic(seconds, scaleUp.get());
        }

        private JobSpec.Checkpoint checkpoint(ObjectNode node) {
            if (node == null) return null;
            JsonNode interval = node.get("interval");
            int steps = DEFAULT_CHECKPOINT_INTERVAL;
            boolean auto = false;
            boolean ok = true;
            if (interval != null && !interval.isNull()) {
                if (interval.isTextual() && interval.asText().equals("auto")) {
                    // the job manager picks the interval (Young/Daly from the measured checkpoint cost and the
                    // preemption rate) and asks the ranks for each checkpoint; they get SPOTTRAIN_CHECKPOINT_INTERVAL=0
                    steps = 0;
                    auto = true;
                } else if (interval.canConvertToInt() && interval.isIntegralNumber() && interval.asInt() >= 1) {
                    steps = interval.asInt();
                } else {
                    error("spec.checkpoint.interval", "must be a positive number of steps, got " + describe(interval));
                    ok = false;
                }
            }
            Integer keep = integer(node, "spec.checkpoint", "keep", DEFAULT_CHECKPOINT_KEEP);
            if (keep != null && (keep < 1 || keep > 1000)) {
                error("spec.checkpoint.keep", "must be between 1 and 1000, got " + keep);
            }
            String remote = string(node, "spec.checkpoint", "remote", false);
            if (remote != null && !S3_URI.matcher(remote).matches()) {
                error("spec.checkpoint.remote", "must be an s3:// URI with a bucket name, e.g. s3://my-bucket/checkpoints, got \""
                        + remote + "\"");
            }
            return ok && keep != null ? new JobSpec.Checkpoint(steps, auto, keep, remote) : null;
        }

}
}
