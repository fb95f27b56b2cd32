package io.spottrain.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.client.ApiClient;
import io.spottrain.protocol.json.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "status", description = "Show all jobs, or one job with its ranks and events.")
final class StatusCommand implements Callable<Integer> {
    @Parameters(paramLabel = "JOB", arity = "0..1", description = "a job id (from submit)")
    String jobId;

    @Mixin
    Options.Cluster cluster;

    @Mixin
    Options.Output output;

    @Override
    public Integer call() {
        ApiClient api = cluster.client();
        if (jobId != null) {
            JsonNode job = api.get("/api/v1/jobs/" + jobId);
            System.out.print(output.json() ? Json.pretty(job) + "\n" : Text.job(job));
            return 0;
        }
        JsonNode jobs = api.get("/api/v1/jobs");
        if (output.json()) {
            System.out.println(Json.pretty(jobs));
            return 0;
        }
        if (jobs.isEmpty()) {
            System.out.println("no jobs yet (submit one: ./spottrain submit examples/jobs/exchange-ranks.yaml)");
            return 0;
        }
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode j : jobs) {
            rows.add(List.of(j.path("id").asText(), j.path("state").asText(),
                    j.path("minWorkers").asInt() + ".." + j.path("maxWorkers").asInt(), j.path("worldSize").asText(),
                    j.path("generation").asText(), Text.or(j.get("reason"), Text.or(j.get("pendingReason"), ""))));
        }
        System.out.print(Text.table(List.of("JOB", "STATE", "WORKERS", "WORLD", "GEN", "REASON"), rows));
        return 0;
    }
}
