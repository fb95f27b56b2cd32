package io.spottrain.launchers.ec2;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.spottrain.coordinator.cost.PriceCatalog;
import io.spottrain.launchers.ec2.Ec2Config.Agent;
import io.spottrain.launchers.ec2.Ec2Config.InstanceType;
import io.spottrain.launchers.ec2.Ec2Config.SpotAllocation;
import io.spottrain.launchers.ec2.Ec2Config.Subnet;
import io.spottrain.protocol.spec.FieldError;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Reads an EC2 fleet config ({@code kind: Ec2Fleet}) and reports every problem at once as
 * {@code path: message}, as the job spec parser does; unknown fields are errors.
 */
public final class Ec2ConfigParser {
    private Ec2ConfigParser() {}

    public static final String KIND = "Ec2Fleet";

    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());
    private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z]+)+-\\d");
    private static final Pattern ZONE = Pattern.compile("[a-z]{2}(-[a-z]+)+-\\d[a-z]");
    private static final Pattern AMI = Pattern.compile("ami-[0-9a-f]{8,17}");
    private static final Pattern SUBNET = Pattern.compile("subnet-[0-9a-f]{8,17}");
    private static final Pattern SG = Pattern.compile("sg-[0-9a-f]{8,17}");
    private static final Pattern TYPE = Pattern.compile("[a-z0-9-]+\\.[a-z0-9-]+");
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?");
    private static final Pattern SEED = Pattern.compile("[A-Za-z0-9.-]+:\\d{1,5}");
    private static final Pattern DURATION = Pattern.compile("(\\d{1,6})([smh])");
    private static final Map<String, Set<String>> FIELDS = Map.of(
            "", Set.of("apiVersion", "kind", "cluster", "region", "imageId", "instanceProfile", "securityGroups", "subnets", "instanceTypes",
                    "spotAllocation", "tags", "agent", "poolCooldown", "orphanGrace"),
            "subnets[]", Set.of("id", "zone"),
            "instanceTypes[]", Set.of("type", "gpus", "gpuModel", "gpuMemoryGiB", "onDemandPricePerHour"),
            "agent", Set.of("seeds", "joinParameter", "home", "enrollPort"));

    public static final class Ec2ConfigException extends Exception {
        private final List<FieldError> errors;

        Ec2ConfigException(String source, List<FieldError> errors) {
            super(source + ": " + errors.size() + " error(s):\n  " + String.join("\n  ", errors.stream().map(FieldError::toString).toList()));
            this.errors = List.copyOf(errors);
        }

        public List<FieldError> errors() {
            return errors;
        }
    }

    public static Ec2Config parse(String source, String yaml) throws Ec2ConfigException {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new Ec2ConfigException(source, List.of(new FieldError("", "not valid YAML: " + e.getOriginalMessage())));
        }
        if (root == null || !root.isObject()) throw new Ec2ConfigException(source, List.of(new FieldError("", "must be a mapping")));
        var r = new Reader();
        ObjectNode o = (ObjectNode) root;
        r.known(o, "", "");
        if (!"spottrain/v1".equals(o.path("apiVersion").asText())) r.error("apiVersion", "must be spottrain/v1");
        if (!KIND.equals(o.path("kind").asText())) r.error("kind", "must be " + KIND);
        String cluster = r.matching(o, "cluster", NAME, "a DNS label (lower case letters, digits, '-'; at most 40)");
        String region = r.matching(o, "region", REGION, "an AWS region such as us-east-1");
        String image = r.matching(o, "imageId", AMI, "an AMI id such as ami-0123456789abcdef0");
        String profile = r.matching(o, "instanceProfile", Pattern.compile("[\\w+=,.@-]{1,128}|arn:aws[\\w-]*:iam::\\d{12}:instance-profile/.+"),
                "an instance profile name or ARN");
        var groups = new ArrayList<String>();
        r.each(o, "securityGroups", true, (n, p) -> {
            if (n.isTextual() && SG.matcher(n.asText()).matches()) groups.add(n.asText());
            else r.error(p, "must be a security group id such as sg-0123456789abcdef0, got " + n);
        });
        var subnets = new ArrayList<Subnet>();
        r.each(o, "subnets", true, (n, p) -> {
            if (!r.known(n, p, "subnets[]")) return;
            String id = r.matching((ObjectNode) n, p + ".id", SUBNET, "a subnet id such as subnet-0123456789abcdef0");
            String zone = r.matching((ObjectNode) n, p + ".zone", ZONE, "an availability zone such as us-east-1a");
            if (id != null && zone != null) subnets.add(new Subnet(id, zone));
        });
        var types = new ArrayList<InstanceType>();
        var seenTypes = new HashSet<String>();
        r.each(o, "instanceTypes", true, (n, p) -> {
            if (!r.known(n, p, "instanceTypes[]")) return;
            var t = (ObjectNode) n;
            String type = r.matching(t, p + ".type", TYPE, "an instance type such as p3.2xlarge");
            if (type != null && !seenTypes.add(type)) r.error(p + ".type", type + " is listed twice");
            int gpus = r.integer(t, p + ".gpus", 0, 16);
            int memory = t.has("gpuMemoryGiB") ? r.integer(t, p + ".gpuMemoryGiB", 1, 1024) : 0;
            double price = onDemandPrice(r, t, p, region, type);
            String model = t.path("gpuModel").asText("");
            if (type != null) types.add(new InstanceType(type, gpus, model, memory, price));
        });
        SpotAllocation allocation = SpotAllocation.PRICE_CAPACITY_OPTIMIZED;
        if (o.has("spotAllocation")) {
            String v = o.path("spotAllocation").asText();
            allocation = null;
            for (SpotAllocation a : SpotAllocation.values()) if (a.awsName.equals(v)) allocation = a;
            if (allocation == null) r.error("spotAllocation", "must be price-capacity-optimized or capacity-optimized, got \"" + v + "\"");
        }
        var tags = new LinkedHashMap<String, String>();
        if (o.has("tags")) {
            if (!o.get("tags").isObject()) r.error("tags", "must be a mapping of tag keys to values");
            else o.get("tags").fields().forEachRemaining(e -> {
                String k = e.getKey();
                if (k.startsWith("aws:") || k.startsWith("spottrain:")) r.error("tags." + k, "the aws: and spottrain: prefixes are reserved");
                else if (k.length() > 128 || e.getValue().asText().length() > 256) r.error("tags." + k, "keys are at most 128 characters, values 256");
                else tags.put(k, e.getValue().asText());
            });
        }
        Agent agent = null;
        if (!o.has("agent") || !o.get("agent").isObject()) {
            r.error("agent", "required: the control nodes' addresses (seeds) and the SSM parameter of the join material");
        } else if (r.known(o.get("agent"), "agent", "agent")) {
            var a = (ObjectNode) o.get("agent");
            var seeds = new ArrayList<String>();
            r.each(a, "agent.seeds", true, (n, p) -> {
                if (n.isTextual() && SEED.matcher(n.asText()).matches()) seeds.add(n.asText());
                else r.error(p, "must be host:port of a control node, got " + n);
            });
            String join = r.matching(a, "agent.joinParameter", Pattern.compile("/[\\w./-]{1,1010}"),
                    "an SSM parameter name such as /spottrain/research/join (the agent reads it with its instance role)");
            String home = a.path("home").asText("/opt/spottrain");
            if (!home.startsWith("/")) r.error("agent.home", "must be an absolute path, got \"" + home + "\"");
            Integer enrollPort = a.has("enrollPort") ? r.integer(a, "agent.enrollPort", 1, 65535) : null;
            agent = new Agent(seeds, join, home, enrollPort);
        }
        Duration cooldown = r.duration(o, "poolCooldown", Duration.ofMinutes(5));
        Duration orphanGrace = r.duration(o, "orphanGrace", Duration.ofMinutes(10));
        if (!r.errors.isEmpty()) throw new Ec2ConfigException(source, r.errors);
        return new Ec2Config(region, cluster, image, profile, groups, subnets, types, allocation, tags, agent, cooldown, orphanGrace);
    }

    /** Field readers that record an error (with its path) and go on, so one pass finds every error. */
    private static final class Reader {
        final List<FieldError> errors = new ArrayList<>();

        void error(String path, String message) {
            errors.add(new FieldError(path, message));
        }

        /** A duration such as 300s, 5m or 1h; {@code dflt} when the field is absent. */
        Duration duration(ObjectNode o, String field, Duration dflt) {
            if (!o.has(field)) return dflt;
            var m = DURATION.matcher(o.path(field).asText());
            if (!m.matches()) {
                error(field, "must be a duration such as 300s or 5m, got \"" + o.path(field).asText() + "\"");
                return dflt;
            }
            return Duration.ofSeconds(Long.parseLong(m.group(1)) * switch (m.group(2)) {
                case "h" -> 3600;
                case "m" -> 60;
                default -> 1;
            });
        }

        /** Unknown fields of a mapping are errors; false when {@code n} is not a mapping. */
        boolean known(JsonNode n, String path, String schema) {
            if (!n.isObject()) {
                error(path, "must be a mapping");
                return false;
            }
            Set<String> allowed = FIELDS.get(schema);
            n.fieldNames().forEachRemaining(f -> {
                if (!allowed.contains(f)) error(path.isEmpty() ? f : path + "." + f, "unknown field (known: " + String.join(", ", new TreeSet<>(allowed)) + ")");
            });
            return true;
        }

        String matching(ObjectNode parent, String path, Pattern pattern, String what) {
            String field = path.substring(path.lastIndexOf('.') + 1);
            JsonNode n = parent.get(field);
            if (n == null || n.isNull()) {
                error(path, "required: " + what);
                return null;
            }
            if (!n.isTextual() || !pattern.matcher(n.asText()).matches()) {
                error(path, "must be " + what + ", got " + n);
                return null;
            }
            return n.asText();
        }

        int integer(ObjectNode parent, String path, int min, int max) {
            JsonNode n = parent.get(path.substring(path.lastIndexOf('.') + 1));
            if (n == null || !n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < min || n.asInt() > max) {
                error(path, "required: a whole number from " + min + " to " + max + (n == null ? "" : ", got " + n));
                return min;
            }
            return n.asInt();
        }

        double positive(ObjectNode parent, String path) {
            JsonNode n = parent.get(path.substring(path.lastIndexOf('.') + 1));
            if (n == null || !n.isNumber() || n.asDouble() <= 0) {
                error(path, "required: a price in dollars per hour > 0" + (n == null ? "" : ", got " + n));
                return 0;
            }
            return n.asDouble();
        }

        interface Item {
            void read(JsonNode n, String path);
        }

        void each(ObjectNode parent, String path, boolean required, Item item) {
            JsonNode n = parent.get(path.substring(path.lastIndexOf('.') + 1));
            if (n == null || !n.isArray() || n.isEmpty()) {
                if (required || n != null) error(path, "required: a non-empty list");
                return;
            }
            for (int i = 0; i < n.size(); i++) item.read(n.get(i), path + "[" + i + "]");
        }
    }

    /**
     * An instance type's on-demand price: the config's {@code onDemandPricePerHour} when given, else the shipped price
     * catalog's for the config's region (its date in docs/cost.md); a type the catalog lacks needs the field.
     */
    private static double onDemandPrice(Reader r, ObjectNode t, String p, String region, String type) {
        if (t.has("onDemandPricePerHour")) return r.positive(t, p + ".onDemandPricePerHour");
        var catalog = PriceCatalog.shipped();
        var price = region == null || type == null ? Optional.<Double>empty() : catalog.onDemand(region, type);
        if (price.isPresent()) return price.get();
        if (region != null && type != null) {
            r.error(p + ".onDemandPricePerHour", "required: " + type + " in " + region + " is not in the shipped price catalog (as of "
                    + catalog.asOf() + "); give its on-demand price in dollars per hour");
        }
        return 0;
    }
}
