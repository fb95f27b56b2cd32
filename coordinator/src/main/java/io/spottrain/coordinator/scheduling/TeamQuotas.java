package io.spottrain.coordinator.scheduling;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.coordinator.membership.NodeState;
import io.spottrain.protocol.spec.FieldError;
import io.spottrain.protocol.spec.JobSpec;
import io.spottrain.protocol.spec.Market;
import io.spottrain.protocol.spec.NodeMarket;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Per-team quotas of a cluster config ({@code quotas:}, examples/cluster/quotas.yaml): the GPUs the jobs of a team (label
 * {@code team}) may hold at once, and of those the GPUs on on-demand nodes. A job counts {@code max(1, gpusPerWorker)} GPUs
 * per node it holds (what its ranks use, as fair share counts them). A quota never stops what runs: it holds back what
 * would start or grow beyond it. Pure: the job manager gives it what each team holds now.
 * <pre>
 * quotas:
 *   - team: research        # jobs labelled team=research
 *     maxGpus: 16           # optional
 *     maxOnDemandGpus: 4    # optional; 0: no on-demand node at all
 * </pre>
 */
public final class TeamQuotas {

    /** A team's limits; {@link Integer#MAX_VALUE} where the file sets none. */
    public record Quota(String team, int maxGpus, int maxOnDemandGpus) {}

    /** What a team's jobs hold: GPUs in all and on on-demand nodes. */
    public record Use(int gpus, int onDemandGpus) {
        public static final Use NONE = new Use(0, 0);

        public Use plus(int g, boolean onDemand) {
            return new Use(gpus + g, onDemandGpus + (onDemand ? g : 0));
        }

        public Use add(Use other) {
            return new Use(gpus + other.gpus, onDemandGpus + other.onDemandGpus);
        }

        /** What a node of this market costs a job of this spec. */
        public static Use of(JobSpec spec, NodeMarket market) {
            return NONE.plus(perNode(spec), market == NodeMarket.ON_DEMAND);
        }
    }

    public static final class QuotasException extends Exception {
        public final List<FieldError> errors;

        QuotasException(String source, List<FieldError> errors) {
            super(source + ": " + errors.size() + " error(s):\n  " + errors.stream().map(FieldError::toString).collect(Collectors.joining("\n  ")));
            this.errors = List.copyOf(errors);
        }
    }

    public static final TeamQuotas NONE = new TeamQuotas(List.of());

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Set<String> FIELDS = Set.of("team", "maxGpus", "maxOnDemandGpus");

    private final Map<String, Quota> byTeam = new LinkedHashMap<>();

    public TeamQuotas(List<Quota> quotas) {
        quotas.forEach(q -> byTeam.put(q.team(), q));
    }

    public List<Quota> quotas() {
        return List.copyOf(byTeam.values());
    }

    public boolean isEmpty() {
        return byTeam.isEmpty();
    }

    /** Whether a quota names this team. */
    public boolean names(String team) {
        return byTeam.containsKey(team);
    }

    /** Parses {@code quotas:} (other sections of the file are ignored: budgets, autoscaling ... may live beside it). */
    public static TeamQuotas parse(String source, String yaml) throws QuotasException {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (IOException e) {
            throw new QuotasException(source, List.of(new FieldError("", "not YAML: " + e.getMessage().lines().findFirst().orElse(""))));
        }
        JsonNode list = root == null ? null : root.get("quotas");
        if (list == null || !list.isArray()) throw new QuotasException(source, List.of(new FieldError("quotas", "required: a list")));
        var errors = new ArrayList<FieldError>();
        var quotas = new ArrayList<Quota>();
        var teams = new HashSet<String>();
        for (int i = 0; i < list.size(); i++) {
            String at = "quotas[" + i + "]";
            JsonNode q = list.get(i);
            if (!q.isObject()) {
                errors.add(new FieldError(at, "must be a mapping {team, maxGpus, maxOnDemandGpus}"));
                continue;
            }
            q.fieldNames().forEachRemaining(f -> {
                if (!FIELDS.contains(f)) errors.add(new FieldError(at + "." + f, "unknown field (known: maxGpus, maxOnDemandGpus, team)"));
            });
            String team = q.path("team").asText("");
            if (team.isBlank()) errors.add(new FieldError(at + ".team", "required: the value of the jobs' team label"));
            else if (!teams.add(team)) errors.add(new FieldError(at + ".team", "\"" + team + "\" has two quotas"));
            Integer gpus = limit(q, "maxGpus", 1, at, errors);
            Integer onDemand = limit(q, "maxOnDemandGpus", 0, at, errors);
            if (!q.has("maxGpus") && !q.has("maxOnDemandGpus")) errors.add(new FieldError(at, "sets no limit: maxGpus, maxOnDemandGpus or both"));
            if (gpus != null && onDemand != null && !team.isBlank()) quotas.add(new Quota(team, gpus, onDemand));
        }
        if (!errors.isEmpty()) throw new QuotasException(source, errors);
        return new TeamQuotas(quotas);
    }

    private static Integer limit(JsonNode q, String field, int least, String at, List<FieldError> errors) {
        if (!q.has(field)) return Integer.MAX_VALUE;
        JsonNode v = q.get(field);
        if (!v.isIntegralNumber() || v.asLong() < least || v.asLong() > 1_000_000) {
            errors.add(new FieldError(at + "." + field, "must be a whole number of GPUs >= " + least + ", got " + v));
            return null;
        }
        return v.asInt();
    }

    /** A job's team: its {@code team} label; jobs without one share the team "" (which no quota names). */
    public static String team(JobSpec spec) {
        return spec.metadata().labels().getOrDefault("team", "");
    }

    /** GPUs a job counts per node it holds. */
    public static int perNode(JobSpec spec) {
        return Math.max(1, spec.spec().workers().gpusPerWorker());
    }

    /** What each team holds now, from the live nodes' assignments ({@code specOf}: a job's spec, if it is in progress). */
    public static Map<String, Use> use(Collection<NodeRecord> nodes, Function<String, Optional<JobSpec>> specOf) {
        var out = new HashMap<String, Use>();
        for (NodeRecord n : nodes) {
            // a node under notice is leaving: its job may take one in its place (the notice window's swap)
            if (n.jobId() == null || n.state() == NodeState.INTERRUPTING) continue;
            specOf.apply(n.jobId()).ifPresent(spec -> out.merge(team(spec), Use.of(spec, n.info().market()), Use::add));
        }
        return out;
    }

    /**
     * Why the job cannot start now within its team's quota, {@code used} what the team holds (null: it can, or no quota
     * names its team). It needs its {@code workers.min} nodes; a job that runs on on-demand nodes only needs them within
     * {@code maxOnDemandGpus} too (one that may take Spot is held to that where it is placed: {@link #within}), except for
     * the nodes {@code reservedFree} free reserved nodes that fit it can hold: placed first, they add no on-demand spend.
     */
    public String hold(JobSpec spec, Use used, int reservedFree) {
        var q = byTeam.get(team(spec));
        if (q == null) return null;
        int need = spec.spec().workers().min() * perNode(spec);
        int onDemandNeed = Math.max(0, spec.spec().workers().min() - reservedFree) * perNode(spec);
        if (used.gpus() + need > q.maxGpus()) {
            return "held: team " + q.team() + " holds " + used.gpus() + " of its quota of " + q.maxGpus() + " GPUs (quotas, maxGpus) and "
                    + "this job needs " + need + " to start";
        }
        if (spec.spec().placement().market() == Market.ON_DEMAND && used.onDemandGpus() + onDemandNeed > q.maxOnDemandGpus()) {
            return "held: team " + q.team() + " holds " + used.onDemandGpus() + " on-demand GPUs of its quota of " + q.maxOnDemandGpus()
                    + " (quotas, maxOnDemandGpus) and this on-demand job needs " + onDemandNeed + " to start"
                    + (reservedFree > 0 ? " beside the " + reservedFree + " free reserved node(s) that fit it" : "");
        }
        return null;
    }

    /** As {@link #hold(JobSpec, Use, int)} with no free reserved node. */
    public String hold(JobSpec spec, Use used) {
        return hold(spec, used, 0);
    }

    /** How many of {@code fitting} (the free nodes a job fits) are reserved: placed first, they count in no on-demand quota. */
    public static int reserved(List<NodeRecord> fitting) {
        return (int) fitting.stream().filter(n -> n.info().market() == NodeMarket.RESERVED).count();
    }

    /** The first of {@code chosen} (best first) the job may take without its team going over a quota. */
    public List<NodeRecord> within(JobSpec spec, List<NodeRecord> chosen, Use used) {
        var q = byTeam.get(team(spec));
        if (q == null) return chosen;
        int g = perNode(spec);
        var out = new ArrayList<NodeRecord>();
        Use u = used;
        for (NodeRecord n : chosen) {
            boolean od = n.info().market() == NodeMarket.ON_DEMAND;
            Use next = u.plus(g, od);
            if (next.gpus() > q.maxGpus() || next.onDemandGpus() > q.maxOnDemandGpus()) continue;
            out.add(n);
            u = next;
        }
        return out;
    }

    /** How many more nodes of this market the job's team may give it ({@link Integer#MAX_VALUE}: no limit applies). */
    public int room(JobSpec spec, Use used, NodeMarket market) {
        var q = byTeam.get(team(spec));
        if (q == null) return Integer.MAX_VALUE;
        int room = q.maxGpus() == Integer.MAX_VALUE ? Integer.MAX_VALUE : Math.max(0, (q.maxGpus() - used.gpus()) / perNode(spec));
        if (market == NodeMarket.ON_DEMAND && q.maxOnDemandGpus() != Integer.MAX_VALUE) {
            room = Math.min(room, Math.max(0, (q.maxOnDemandGpus() - used.onDemandGpus()) / perNode(spec)));
        }
        return room;
    }
}
