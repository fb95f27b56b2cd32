package io.spottrain.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.protocol.json.Json;
import java.util.LinkedHashMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "resize", description = "Set a running job's worker count (within its spec's min..max): it grows or shrinks at its "
        + "next safe point, through a checkpoint, losing no step. Every request is kept as a scaling event.")
final class ResizeCommand implements Callable<Integer> {
    @Parameters(paramLabel = "JOB")
    String jobId;

    @Option(names = "--workers", required = true, paramLabel = "N", description = "The worker count the job should run at.")
    int workers;

    @Option(names = "--message", paramLabel = "TEXT", description = "Why (kept with the scaling event).")
    String message;

    @Option(names = "--expected-generation", paramLabel = "G",
            description = "Refuse (409) unless the job is still at this generation (an optimistic check).")
    Long expectedGeneration;

    @Mixin
    Options.Cluster cluster;

    @Mixin
    Options.Output output;

    @Override
    public Integer call() {
        var body = new LinkedHashMap<String, Object>();
        body.put("workers", workers);
        if (message != null) body.put("message", message);
        if (expectedGeneration != null) body.put("expectedGeneration", expectedGeneration);
        body.put("source", "cli");
        JsonNode answer = cluster.client().post("/api/v1/jobs/" + jobId + "/scale", Json.write(body), "application/json");
        if (output.json()) {
            System.out.println(Json.pretty(answer));
            return 0;
        }
        JsonNode last = answer.path("request");
        JsonNode scale = answer.path("scale");
        System.out.println(line(jobId, last, scale));
        return 0;
    }

    /** The answer for people: what the job runs at, what it was asked, and what happens next. */
    static String line(String jobId, JsonNode request, JsonNode scale) {
        int running = scale.path("running").asInt();
        int to = request.path("to").asInt();
        String where = "running " + running + " in generation " + scale.path("generation").asLong();
        String outcome = request.path("outcome").asText();
        if (outcome.equals("unchanged")) {
            return "job " + jobId + ": unchanged: already set to " + to + " workers (" + where + ")";
        }
        if (!outcome.equals("accepted")) { // an older job manager's answer carries no request of its own
            return "job " + jobId + ": " + (outcome.isEmpty() ? "answered" : outcome) + " (" + where + "): see scaling-events " + jobId;
        }
        String next = to > running ? "grows to " + to + " at its next safe point" : to < running ? "shrinks to " + to + " at its next safe point"
                : "runs at " + to + " already";
        return "job " + jobId + ": accepted: " + request.path("from").asInt() + " -> " + to + " workers (" + where + "): " + next;
    }
}
