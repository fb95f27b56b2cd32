package io.spottrain.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.protocol.json.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "explain", description = "Why a job waits or where it runs: the pools of live nodes that fit it (free, its own, held by "
        + "others) and the spec field that keeps each other pool off, what the launcher could start, the pools it left out, and "
        + "the jobs placed before it.")
final class ExplainCommand implements Callable<Integer> {
    @Parameters(paramLabel = "JOB")
    String jobId;

    @Mixin
    Options.Cluster cluster;

    @Mixin
    Options.Output output;

    @Override
    public Integer call() {
        JsonNode e = cluster.client().get("/api/v1/jobs/" + jobId + "/explain");
        if (output.json()) {
            System.out.println(Json.pretty(e));
            return 0;
        }
        System.out.printf("job %s %s: %s%n", jobId, e.path("state").asText(), e.path("answer").asText());
        for (JsonNode w : e.path("why")) System.out.println("  - " + w.asText());
        if (!e.path("pools").isEmpty()) {
            var rows = new ArrayList<List<String>>();
            for (JsonNode p : e.path("pools")) {
                var held = new ArrayList<String>();
                p.path("heldBy").forEach(h -> held.add(h.asText()));
                String verdict = p.path("fits").asBoolean() ? "fits" + (held.isEmpty() ? "" : "; held by " + String.join(", ", held))
                        : "no: " + p.path("misfit").asText();
                // a Spot pool's estimated interruptions per node-hour (the number, the evidence stays in --output json)
                String risk = p.path("interruptRisk").isTextual() ? p.path("interruptRisk").asText().split(" ")[0] + "/h" : "-";
                rows.add(List.of(p.path("market").asText(), p.path("instanceType").asText(), p.path("zone").asText(), p.path("gpus").asText(),
                        "$" + p.path("pricePerHour").asText(), risk, p.path("nodes").asText(), p.path("free").asText(), p.path("thisJob").asText(),
                        verdict));
            }
            System.out.printf("%nlive nodes by pool:%n%s", Text.table(List.of("MARKET", "TYPE", "ZONE", "GPUS", "$/H", "INTERRUPTS", "NODES", "FREE",
                    "THIS JOB", "FITS"), rows));
        }
        if (!e.path("fleet").isEmpty()) {
            System.out.printf("%nthe launcher can start:%n");
            for (JsonNode s : e.path("fleet")) {
                System.out.printf("  %s %s (%d GPUs, $%s/h, %s): %s%n", s.path("market").asText(), s.path("instanceType").asText(),
                        s.path("gpus").asInt(), s.path("pricePerHour").asText(),
                        s.path("maxNodes").asInt() > 0 ? "at most " + s.path("maxNodes").asInt() : "no limit known",
                        s.path("fits").asBoolean() ? "fits" : "no: " + s.path("misfit").asText());
            }
        }
        return 0;
    }
}
