package io.spottrain.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.protocol.json.Json;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code spottrain cost}: the cost ledger grouped, over a window (the API's {@code GET /api/v1/cost}). */
@Command(name = "cost", description = "What the cluster's nodes cost, by job, team, project, label, market, node, instance type or "
        + "allocation, with Spot savings against on-demand.", subcommands = {CostCommand.BudgetsCommand.class, CostCommand.DailyCommand.class})
final class CostCommand implements Callable<Integer> {
    enum Format { text, json, csv }

    @Option(names = "--by", defaultValue = "job", description = "job, team, project, label:KEY, market, node, instance-type or allocation "
            + "(default: ${DEFAULT-VALUE}); node time no job held shows as (idle) and (boot)")
    String by;

    @Option(names = "--window", defaultValue = "30d", description = "1d, 7d, 30d, Nd or Nh back from now, or FROM..TO (ISO-8601 instants "
            + "or dates, UTC) (default: ${DEFAULT-VALUE})")
    String window;

    @Option(names = {"-o", "--output"}, defaultValue = "text", description = "text, json or csv (default: ${DEFAULT-VALUE})")
    Format format;

    @Option(names = "--spread-overhead", description = "spread the shared overhead ((idle), (boot), (control)) over the rows by their "
            + "node-hours (SHARED $, already in COST $); by job, team, project or label only")
    boolean spread;

    @Mixin
    Options.Cluster cluster;

    @Override
    public Integer call() {
        JsonNode r = cluster.client().get("/api/v1/cost?by=" + enc(by) + "&window=" + enc(window) + (spread ? "&spread=usage" : ""));
        switch (format) {
            case json -> System.out.println(Json.pretty(r));
            case csv -> {
                System.out.println(r.path("by").asText()
                        + ",node_hours,gpu_hours,cost_usd,on_demand_usd,savings_usd,savings_percent,recovery_usd,steps,usd_per_1k_steps,samples,usd_per_1m_samples,shared_usd");
                for (JsonNode row : r.path("rows")) System.out.println(csv(row));
                System.out.println(csv(r.path("total")));
            }
            case text -> {
                List<List<String>> rows = new ArrayList<>();
                for (JsonNode row : r.path("rows")) rows.add(text(row));
                rows.add(text(r.path("total")));
                System.out.println("cost by " + r.path("by").asText() + ", " + r.path("from").asText() + " .. " + r.path("to").asText());
                var headers = new ArrayList<>(List.of(r.path("by").asText().toUpperCase(Locale.ROOT), "NODE-H", "GPU-H", "COST $",
                        "ON-DEMAND $", "SAVED $", "SAVED %", "RECOVERY $", "STEPS", "$/1K STEPS", "SAMPLES", "$/1M SAMPLES"));
                if (spread) {
                    headers.add("SHARED $");
                    for (int i = 0; i < rows.size(); i++) {
                        var withShared = new ArrayList<>(rows.get(i));
                        withShared.add(i < rows.size() - 1 ? opt("%.4f", r.path("rows").get(i), "sharedUsd") : "");
                        rows.set(i, withShared);
                    }
                }
                System.out.print(Text.table(headers, rows));
            }
        }
        return 0;
    }

    private static List<String> text(JsonNode row) {
        return List.of(row.path("key").asText(), f("%.3f", row, "nodeHours"), f("%.3f", row, "gpuHours"), f("%.4f", row, "costUsd"),
                f("%.4f", row, "onDemandUsd"), f("%.4f", row, "savingsUsd"), f("%.1f", row, "savingsPercent"), f("%.4f", row, "recoveryUsd"),
                opt("%d", row, "steps"), opt("%.6f", row, "usdPer1kSteps"), opt("%d", row, "samples"),
                opt("%.4f", row, "usdPer1mSamples"));
    }

    /** A field only some rows have (steps, per 1,000 steps, per million samples: jobs that trained): "-" (text) where absent. */
    private static String opt(String fmt, JsonNode row, String field) {
        JsonNode v = row.path(field);
        if (v.isMissingNode() || v.isNull()) return "-";
        return fmt.equals("%d") ? Long.toString(v.asLong()) : String.format(Locale.ROOT, fmt, v.asDouble());
    }

    private static String csv(JsonNode row) {
        String key = row.path("key").asText();
        if (key.contains(",") || key.contains("\"")) key = "\"" + key.replace("\"", "\"\"") + "\"";
        return String.join(",", key, f("%.6f", row, "nodeHours"), f("%.6f", row, "gpuHours"), f("%.6f", row, "costUsd"),
                f("%.6f", row, "onDemandUsd"), f("%.6f", row, "savingsUsd"), f("%.2f", row, "savingsPercent"), f("%.6f", row, "recoveryUsd"),
                opt("%d", row, "steps").replace("-", ""), opt("%.8f", row, "usdPer1kSteps").replace("-", ""),
                opt("%d", row, "samples").replace("-", ""), opt("%.8f", row, "usdPer1mSamples").replace("-", ""),
                opt("%.8f", row, "sharedUsd").replace("-", ""));
    }

    private static String f(String fmt, JsonNode row, String field) {
        return String.format(Locale.ROOT, fmt, row.path(field).asDouble());
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** {@code spottrain cost daily}: the TCO view, one row per UTC day (and, with {@code --by}, each day's rows by that grouping). */
    @Command(name = "daily", description = "TCO by UTC day over a window: cost, on-demand equivalent, Spot savings, and where it went "
            + "(job time, recovery, idle, boot, control plane, checkpoint storage); with --by, each day also split by job, team, project or label.")
    static final class DailyCommand implements Callable<Integer> {
        @Option(names = "--window", defaultValue = "7d", description = "1d, 7d, 30d, Nd, or FROM..TO (default: ${DEFAULT-VALUE})")
        String window;

        @Option(names = "--by", description = "also split each day by job, team, project, label:KEY, market, node, instance-type or "
                + "allocation")
        String by;

        @Mixin
        Options.Cluster cluster;

        @Mixin
        Options.Output output;

        @Override
        public Integer call() {
            JsonNode r = cluster.client().get("/api/v1/cost/daily?window=" + enc(window) + (by == null ? "" : "&by=" + enc(by)));
            if (output.json()) {
                System.out.println(Json.pretty(r));
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode d : r.path("days")) {
                rows.add(List.of(d.path("day").asText(), f("%.3f", d, "nodeHours"), f("%.4f", d, "costUsd"), f("%.4f", d, "onDemandUsd"),
                        f("%.4f", d, "savingsUsd"), f("%.4f", d, "jobUsd"), f("%.4f", d, "recoveryUsd"), f("%.4f", d, "idleUsd"),
                        f("%.4f", d, "bootUsd"), f("%.4f", d, "controlUsd"), f("%.4f", d, "storageUsd")));
            }
            JsonNode t = r.path("total");
            rows.add(List.of("total", f("%.3f", t, "nodeHours"), f("%.4f", t, "costUsd"), f("%.4f", t, "onDemandUsd"), f("%.4f", t, "savingsUsd"),
                    "", f("%.4f", t, "recoveryUsd"), "", "", "", ""));
            System.out.println("cost by day (UTC), " + r.path("from").asText() + " .. " + r.path("to").asText());
            System.out.print(Text.table(List.of("DAY", "NODE-H", "COST $", "ON-DEMAND $", "SAVED $", "JOB $", "RECOVERY $", "IDLE $",
                    "BOOT $", "CONTROL $", "STORAGE $"), rows));
            if (by != null) {
                List<List<String>> split = new ArrayList<>();
                for (JsonNode d : r.path("days")) {
                    for (JsonNode g : d.path("groups")) {
                        split.add(List.of(d.path("day").asText(), g.path("key").asText(), f("%.3f", g, "nodeHours"), f("%.4f", g, "costUsd"),
                                f("%.4f", g, "savingsUsd"), f("%.4f", g, "recoveryUsd")));
                    }
                }
                System.out.println();
                System.out.println("by day and " + by);
                System.out.print(Text.table(List.of("DAY", by.toUpperCase(Locale.ROOT), "NODE-H", "COST $", "SAVED $", "RECOVERY $"), split));
            }
            return 0;
        }
    }

    /** {@code spottrain cost budgets}: each budget's spend in its current period. */
    @Command(name = "budgets", description = "The cluster's budgets (up --budgets FILE): spend in the current period, limit, action, exceeded.")
    static final class BudgetsCommand implements Callable<Integer> {
        @Mixin
        Options.Cluster cluster;

        @Mixin
        Options.Output output;

        @Override
        public Integer call() {
            JsonNode budgets = cluster.client().get("/api/v1/cost/budgets");
            if (output.json()) {
                System.out.println(Json.pretty(budgets));
                return 0;
            }
            if (budgets.isEmpty()) {
                System.out.println("no budgets (start the cluster with --budgets FILE, see examples/cluster/budgets.yaml)");
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode b : budgets) {
                rows.add(List.of(b.path("name").asText(), b.path("selector").asText(), b.path("period").asText(),
                        String.format(Locale.ROOT, "%.4f", b.path("spentUsd").asDouble()), String.format(Locale.ROOT, "%.2f", b.path("limitUsd").asDouble()),
                        b.path("action").asText(), b.path("exceeded").asBoolean() ? "EXCEEDED" : "ok", b.path("checkedAt").asText()));
            }
            System.out.print(Text.table(List.of("BUDGET", "SELECTS", "PERIOD", "SPENT $", "LIMIT $", "ACTION", "STATE", "CHECKED"), rows));
            return 0;
        }
    }
}
