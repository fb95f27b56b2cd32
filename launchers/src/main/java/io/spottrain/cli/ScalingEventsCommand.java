package io.spottrain.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.protocol.json.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "scaling-events", description = "A job's desired, running, min and max workers and its recent resize requests "
        + "(accepted, unchanged or refused), with who asked and why.")
final class ScalingEventsCommand implements Callable<Integer> {
    @Parameters(paramLabel = "JOB")
    String jobId;

    @Mixin
    Options.Cluster cluster;

    @Mixin
    Options.Output output;

    @Override
    public Integer call() {
        JsonNode scale = cluster.client().get("/api/v1/jobs/" + jobId + "/scale");
        if (output.json()) {
            System.out.println(Json.pretty(scale));
            return 0;
        }
        System.out.printf("job %s %s generation %d: running %d, desired %s, min %d, max %d%s%n", jobId, scale.path("state").asText(),
                scale.path("generation").asLong(), scale.path("running").asInt(),
                scale.path("desired").isNull() ? "max" : scale.path("desired").asText(), scale.path("min").asInt(), scale.path("max").asInt(),
                scale.path("changing").asBoolean() ? " (a generation change is in flight)" : "");
        if (scale.path("events").isEmpty()) {
            System.out.println("no resize requests");
            return 0;
        }
        var rows = new ArrayList<List<String>>();
        for (JsonNode e : scale.path("events")) {
            String text = e.path("message").isNull() ? "" : e.path("message").asText();
            if (!e.path("reason").isNull()) text = text + (text.isEmpty() ? "" : " / ") + e.path("reason").asText();
            rows.add(List.of(e.path("at").asText(), e.path("generation").asText(), e.path("from").asInt() + "->" + e.path("to").asInt(),
                    e.path("outcome").asText(), e.path("source").asText(), e.path("actor").isNull() ? "-" : e.path("actor").asText(), text));
        }
        System.out.print(Text.table(List.of("AT", "GEN", "FROM->TO", "OUTCOME", "SOURCE", "BY", "MESSAGE / REASON"), rows));
        return 0;
    }
}
