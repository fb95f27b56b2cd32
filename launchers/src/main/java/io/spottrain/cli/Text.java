package io.spottrain.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.protocol.json.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

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

    /** The run summary of DESIGN.md, from a job view. */
    static JsonNode summary(JsonNode j) {
        var s = Json.MAPPER.createObjectNode();
        for (String k : List.of("job", "state", "reason", "steps", "finalLoss", "paramsSha256", "paramsAgree", "generations",
                "worldSize", "wallSeconds", "preemptions", "growths", "checkpoints", "cost")) {
            s.set(k, j.path(k).isMissingNode() ? Json.MAPPER.nullNode() : j.get(k));
        }
        return s;
    }

    static String summaryText(JsonNode j) {
        var sb = new StringBuilder();
        sb.append("run summary: job ").append(j.path("job").asText()).append("  ").append(j.path("state").asText());
        if (!or(j.get("reason"), "").isEmpty()) sb.append("  (").append(j.path("reason").asText()).append(')');
        sb.append('\n');
        sb.append("  steps ").append(j.path("steps").asLong());
        if (j.path("finalLoss").isNumber()) sb.append(String.format(", final loss %.6f", j.path("finalLoss").asDouble()));
        sb.append('\n');
        if (!or(j.get("paramsSha256"), "").isEmpty()) {
            sb.append("  params-sha256 ").append(j.path("paramsSha256").asText())
                    .append(j.path("paramsAgree").asBoolean() ? " (every rank agrees)" : " (RANKS DISAGREE)").append('\n');
        }
        sb.append("  generations ").append(j.path("generations").asLong()).append(", world size ").append(j.path("worldSize").asInt())
                .append(", wall ").append(j.path("wallSeconds").asDouble()).append(" s\n");
        JsonNode c = j.path("checkpoints");
        if (c.path("count").asInt() > 0) {
            sb.append(String.format("  checkpoints %d (latest step %d; p50 stall %.2f ms, persist %.1f ms; %s)%n",
                    c.path("count").asInt(), c.path("latestStep").asLong(), c.path("stallMsP50").asDouble(),
                    c.path("persistMsP50").asDouble(), c.path("uploadMsP50").isNumber()
                            ? String.format("S3: %d uploaded, p50 %.1f ms, latest step %d, backlog %d", c.path("uploads").asInt(),
                                    c.path("uploadMsP50").asDouble(), c.path("remoteLatestStep").asLong(), c.path("backlogSteps").asInt())
                            : "none in S3"));
        } else {
            sb.append("  checkpoints none\n");
        }
        if (c.path("autoIntervalSeconds").isNumber()) {
            sb.append("  checkpoint interval auto: every ").append(c.path("autoIntervalSeconds").asLong()).append(" s (")
                    .append(c.path("autoIntervalWhy").asText()).append(")\n");
        }
        JsonNode cost = j.path("cost");
        sb.append(String.format("  cost $%.6f on these nodes vs $%.6f on-demand: %.1f%% saved%n", cost.path("actualUsd").asDouble(),
                cost.path("onDemandUsd").asDouble(), cost.path("savingsPct").asDouble()));
        if (j.path("preemptions").size() == 0) {
            sb.append("  preemptions none\n");
        } else {
            int restarts = j.path("restarts").asInt();
            int requeues = 0;
            for (JsonNode p : j.path("preemptions")) if (p.path("kind").asText().equals("requeue")) requeues++;
            sb.append("  preemptions ").append(j.path("preemptions").size() - restarts - requeues)
                    .append(requeues > 0 ? ", requeued " + requeues + " time(s) for higher-priority jobs" : "")
                    .append(", restarts after failures ").append(restarts).append(" of ").append(j.path("maxRestarts").asInt()).append(":\n");
            for (JsonNode p : j.path("preemptions")) {
                sb.append(String.format("    %-7s %-5s resumed from step %d: detect %.1f s, resume %s, training again %s%s, lost %s step(s)%s%n",
                        p.path("kind").asText(), p.path("node").asText(), p.path("atStep").asLong(), p.path("detectSeconds").asDouble(),
                        seconds(p.path("resumeSeconds")), seconds(p.path("backToTrainingSeconds")), paused(p),
                        p.path("lostSteps").isNumber() ? p.path("lostSteps").asText() : "-",
                        p.path("inPlaceRanks").asInt() > 0 ? ", " + p.path("inPlaceRanks").asInt() + " rank(s) re-formed in place" : ""));
            }
        }
        if (j.path("growths").size() > 0) {
            sb.append("  growths ").append(j.path("growths").size()).append(":\n");
            for (JsonNode g : j.path("growths")) {
                sb.append(String.format(Locale.ROOT, "    %d -> %s workers at step %d: resume %s, training again %s%s%s%n", g.path("fromWorkers").asInt(),
                        or(g.get("toWorkers"), "?"), g.path("atStep").asLong(), seconds(g.path("resumeSeconds")),
                        seconds(g.path("backToTrainingSeconds")), paused(g),
                        g.path("inPlaceRanks").asInt() > 0 ? ", " + g.path("inPlaceRanks").asInt() + " rank(s) re-formed in place" : ""));
            }
        }
        return sb.toString();
    }

    /** " (training paused 0.5 s)": what an interruption or growth cost the job in training time, when it was measured. */
    private static String paused(JsonNode p) {
        return p.path("pausedSeconds").isNumber() ? String.format(Locale.ROOT, " (training paused %.1f s)", p.path("pausedSeconds").asDouble()) : "";
    }

    /** "step 120 of 1000, 2.5 steps/s, ETA 5 m 52 s": what is known of it; empty before the first step. */
    static String progress(JsonNode j) {
        long steps = j.path("steps").asLong();
        if (steps <= 0) return "";
        var sb = new StringBuilder("step ").append(steps);
        if (j.path("totalSteps").isNumber()) sb.append(" of ").append(j.path("totalSteps").asLong());
        if (j.path("stepsPerSec").isNumber()) sb.append(String.format(Locale.ROOT, ", %.2f steps/s", j.path("stepsPerSec").asDouble()));
        if (j.path("etaSeconds").isNumber()) sb.append(", ETA ").append(duration(j.path("etaSeconds").asDouble()));
        return sb.toString();
    }

    /** 42 s, 5 m 52 s, 3 h 07 m. */
    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) return s + " s";
        if (s < 3600) return (s / 60) + " m " + String.format(Locale.ROOT, "%02d", s % 60) + " s";
        return (s / 3600) + " h " + String.format(Locale.ROOT, "%02d", (s % 3600) / 60) + " m";
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
        String progress = progress(j);
        if (!progress.isEmpty()) sb.append("  ").append(progress).append('\n');
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

    private static String seconds(JsonNode n) {
        return n.isNumber() ? String.format("%.1f s", n.asDouble()) : "-";
    }
}
