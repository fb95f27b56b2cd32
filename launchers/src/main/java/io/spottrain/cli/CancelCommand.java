package io.spottrain.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.protocol.json.Json;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "cancel", description = "Cancel a job: its ranks are stopped and its nodes freed.")
final class CancelCommand implements Callable<Integer> {
    @Parameters(paramLabel = "JOB")
    String jobId;

    @Mixin
    Options.Cluster cluster;

    @Mixin
    Options.Output output;

    @Override
    public Integer call() {
        JsonNode job = cluster.client().post("/api/v1/jobs/" + jobId + "/cancel", "", "application/json");
        System.out.println(output.json() ? Json.pretty(job) : "job " + jobId + " " + job.path("state").asText());
        return 0;
    }
}
