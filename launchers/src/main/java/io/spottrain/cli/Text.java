package io.spottrain.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** Plain-text rendering of API answers for people. */
final class Text {
    private Text() {}

    /** A table with a header row; columns are as wide as their widest cell. */
    static String table(List<String> header, List<List<String>> rows) {
        int[] w = new int[header.size()];
        var all = new ArrayList<List<String>>();
        all.add(header);
        all.addAll(rows);
        for (var r : all) for (int i = 0; i < r.size(); i++) w[i] = Math.max(w[i], r.get(i).length());
        var sb = new StringBuilder();
        for (var r : all) {
            for (int i = 0; i < r.size(); i++) {
                sb.append(i == r.size() - 1 ? r.get(i) : pad(r.get(i), w[i] + 2));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    static String pad(String s, int n) {
        return s.length() >= n ? s : s + " ".repeat(n - s.length());
    }

    static String or(JsonNode n, String dflt) {
        return n == null || n.isNull() || n.isMissingNode() || n.asText().isEmpty() ? dflt : n.asText();
    }

    static String job(JsonNode j) {
        var sb = new StringBuilder();
        sb.append("job ").append(j.path("id").asText()).append("  ").append(j.path("state").asText());
        String why = or(j.get("reason"), or(j.get("pendingReason"), ""));
        if (!why.isEmpty()) sb.append("  (").append(why).append(')');
        sb.append('\n');
        sb.append("  workers ").append(j.path("minWorkers").asInt()).append("..").append(j.path("maxWorkers").asInt())
                .append(", world size ").append(j.path("worldSize").asInt())
                .append(", generation ").append(j.path("generation").asLong())
                .append(", market ").append(j.path("market").asText()).append('\n');
        sb.append("  submitted ").append(j.path("submittedAt").asText());
        if (j.path("wallSeconds").asDouble() > 0) sb.append(", ran ").append(j.path("wallSeconds").asDouble()).append('s');
        if (!or(j.get("masterAddr"), "").isEmpty()) {
            sb.append(", rendezvous ").append(j.path("masterAddr").asText()).append(':').append(j.path("masterPort").asInt());
        }
        sb.append('\n');
        var rows = new ArrayList<List<String>>();
        for (JsonNode m : j.path("members")) {
            rows.add(List.of(m.path("rank").asText(), m.path("nodeId").asText(), m.path("pid").asText(),
                    or(m.get("exitCode"), m.path("pid").asLong() > 0 ? "running" : "starting"), or(m.get("logFile"), "")));
        }
        if (!rows.isEmpty()) {
            sb.append(table(List.of("  RANK", "NODE", "PID", "EXIT", "LOG"), rows.stream().map(r -> {
                var c = new ArrayList<>(r);
                c.set(0, "  " + c.get(0));
                return (List<String>) c;
            }).toList()));
        }
        sb.append("  events:\n");
        for (JsonNode e : j.path("events")) {
            sb.append("    ").append(e.path("at").asText()).append("  ").append(pad(e.path("type").asText(), 18));
            if (!or(e.get("node"), "").isEmpty()) sb.append(e.path("node").asText()).append(' ');
            sb.append(or(e.get("message"), "")).append('\n');
        }
        return sb.toString();
    }
}
