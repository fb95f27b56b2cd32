package io.spottrain.coordinator.cost;

import java.util.Locale;

/**
 * How a cost report groups the ledger: {@code job | team | project | label:KEY | market | node |
 * instance-type | allocation}. Team and project are the labels of those names.
 */
public record CostGrouping(Dimension dimension, String labelKey) {

    public enum Dimension { JOB, LABEL, MARKET, NODE, INSTANCE_TYPE, ALLOCATION }

    public static final String FORMS = "job, team, project, label:KEY, market, node, instance-type or allocation";

    /** Parses {@code by}; null or blank is {@code job}. Throws {@link IllegalArgumentException} naming what it accepts. */
    public static CostGrouping parse(String by) {
        String b = by == null || by.isBlank() ? "job" : by.trim();
        if (b.startsWith("label:")) {
            String key = b.substring("label:".length());
            if (key.isBlank()) throw new IllegalArgumentException("by: label: needs a key, e.g. label:experiment");
            return new CostGrouping(Dimension.LABEL, key);
        }
        return switch (b.toLowerCase(Locale.ROOT)) {
            case "job" -> new CostGrouping(Dimension.JOB, null);
            case "team" -> new CostGrouping(Dimension.LABEL, "team");
            case "project" -> new CostGrouping(Dimension.LABEL, "project");
            case "market" -> new CostGrouping(Dimension.MARKET, null);
            case "node" -> new CostGrouping(Dimension.NODE, null);
            case "instance-type" -> new CostGrouping(Dimension.INSTANCE_TYPE, null);
            case "allocation" -> new CostGrouping(Dimension.ALLOCATION, null);
            default -> throw new IllegalArgumentException("by: '" + b + "' is not one of " + FORMS);
        };
    }

    /**
     * The group of a segment. Node time that no job held is {@code (idle)} or {@code (boot)} under
     * every job or label grouping, so shared overhead shows as its own rows; a job's recovery time is
     * the job's (its rows also show it apart, {@link CostReport.Row#recoveryUsd}); a job without the
     * label is {@code (no KEY)}.
     */
    public String keyOf(LedgerEntry e) {
        return switch (dimension) {
            case MARKET -> e.market().label();
            case NODE -> e.nodeId();
            case INSTANCE_TYPE -> e.instanceType();
            case ALLOCATION -> e.allocation().label();
            case JOB -> e.jobId() != null ? e.jobId() : "(" + e.allocation().label() + ")";
            case LABEL -> e.jobId() == null ? "(" + e.allocation().label() + ")" : e.labels().getOrDefault(labelKey, "(no " + labelKey + ")");
        };
    }

    public String label() {
        return dimension == Dimension.LABEL ? (labelKey.equals("team") || labelKey.equals("project") ? labelKey : "label:" + labelKey)
                : dimension.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
