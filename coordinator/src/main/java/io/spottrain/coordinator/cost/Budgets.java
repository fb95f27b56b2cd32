package io.spottrain.coordinator.cost;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.spottrain.protocol.spec.FieldError;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code budgets:} of a cluster config (examples/cluster/budgets.yaml), validated like a job spec:
 * every error with its field path.
 * <pre>
 * budgets:
 *   - name: research-daily
 *     selector: {label: team=research}     # or {job: JOB-ID}
 *     limit: 50.00                         # USD per period
 *     period: daily                        # daily | monthly (UTC)
 *     action: block-scale-up               # alert | block-scale-up | stop-low-priority
 * </pre>
 */
public final class Budgets {
    private Budgets() {}

    public static final class BudgetsException extends Exception {
        public final List<FieldError> errors;

        BudgetsException(String source, List<FieldError> errors) {
            super(source + ": " + errors.size() + " error(s):\n  " + errors.stream().map(FieldError::toString).collect(Collectors.joining("\n  ")));
            this.errors = List.copyOf(errors);
        }
    }

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Set<String> FIELDS = Set.of("name", "selector", "limit", "period", "action");

    /** Parses {@code budgets:} (other sections of the file are ignored: autoscaling, pools ... live beside it). */
    public static List<Budget> parse(String source, String yaml) throws BudgetsException {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (IOException e) {
            throw new BudgetsException(source, List.of(new FieldError("", "not YAML: " + e.getMessage().lines().findFirst().orElse(""))));
        }
        JsonNode list = root == null ? null : root.get("budgets");
        if (list == null || !list.isArray()) throw new BudgetsException(source, List.of(new FieldError("budgets", "required: a list")));
        var errors = new ArrayList<FieldError>();
        var budgets = new ArrayList<Budget>();
        var names = new HashSet<String>();
        for (int i = 0; i < list.size(); i++) {
            String at = "budgets[" + i + "]";
            JsonNode b = list.get(i);
            if (!b.isObject()) {
                errors.add(new FieldError(at, "must be a mapping {name, selector, limit, period, action}"));
                continue;
            }
            b.fieldNames().forEachRemaining(f -> {
                if (!FIELDS.contains(f)) errors.add(new FieldError(at + "." + f, "unknown field (known: action, limit, name, period, selector)"));
            });
            String name = b.path("name").asText("");
            if (!name.matches("[a-z0-9][a-z0-9.-]{0,62}")) errors.add(new FieldError(at + ".name", "required: lowercase letters, digits, '.', '-'"));
            else if (!names.add(name)) errors.add(new FieldError(at + ".name", "\"" + name + "\" is used twice"));
            Budget.Selector selector = selector(b.get("selector"), at + ".selector", errors);
            JsonNode limit = b.get("limit");
            if (limit == null || !limit.isNumber() || limit.asDouble() <= 0) {
                errors.add(new FieldError(at + ".limit", "required: USD per period, a number > 0" + (limit == null ? "" : ", got " + limit)));
            }
            Budget.Period period = null;
            try {
                period = Budget.Period.valueOf(b.path("period").asText("").toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                errors.add(new FieldError(at + ".period", "must be daily or monthly, got \"" + b.path("period").asText("") + "\""));
            }
            String a = b.path("action").asText("alert");
            var action = Budget.Action.fromLabel(a);
            if (action.isEmpty()) {
                errors.add(new FieldError(at + ".action", "must be alert, block-scale-up or stop-low-priority, got \"" + a + "\""));
            }
            if (selector != null && period != null && action.isPresent() && limit != null && limit.isNumber() && limit.asDouble() > 0) {
                budgets.add(new Budget(name, selector, limit.asDouble(), period, action.get()));
            }
        }
        if (!errors.isEmpty()) throw new BudgetsException(source, errors);
        return List.copyOf(budgets);
    }

    private static Budget.Selector selector(JsonNode s, String at, List<FieldError> errors) {
        if (s == null || !s.isObject() || s.size() != 1 || !(s.has("label") || s.has("job"))) {
            errors.add(new FieldError(at, "required: {label: KEY=VALUE} or {job: JOB-ID}"));
            return null;
        }
        if (s.has("job")) {
            String job = s.path("job").asText("");
            if (job.isBlank()) {
                errors.add(new FieldError(at + ".job", "required: a job id"));
                return null;
            }
            return new Budget.Selector(null, null, job);
        }
        String l = s.path("label").asText("");
        int eq = l.indexOf('=');
        if (eq <= 0 || eq == l.length() - 1) {
            errors.add(new FieldError(at + ".label", "must be KEY=VALUE, got \"" + l + "\""));
            return null;
        }
        return new Budget.Selector(l.substring(0, eq), l.substring(eq + 1), null);
    }
}
