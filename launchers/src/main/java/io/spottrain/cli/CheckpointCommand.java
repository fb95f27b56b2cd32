package io.spottrain.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.protocol.json.Json;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "checkpoint", description = "Ask every rank of a running job to checkpoint at their next common step.")
final class CheckpointCommand implements Callable<Integer> {
    @Parameters(paramLabel = "JOB")
    String jobId;

    @Mixin
    Options.Cluster cluster;

    @Mixin
    Options.Output output;

    @Override
    public Integer call() {
        JsonNode job = cluster.client().post("/api/v1/jobs/" + jobId + "/checkpoint", "", "application/json");
        System.out.println(output.json() ? Json.pretty(job)
                : "asked the " + job.path("worldSize").asInt() + " ranks of " + jobId + " to checkpoint at their next common step");
        return 0;
    }
}
