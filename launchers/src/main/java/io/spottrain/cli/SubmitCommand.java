package io.spottrain.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.client.ApiClient;
import io.spottrain.client.CliException;
import io.spottrain.protocol.json.Json;
import io.spottrain.protocol.spec.JobSpecException;
import io.spottrain.protocol.spec.JobSpecParser;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "submit", description = "Submit a job spec. With --wait, follow it to the end; exit 0 only if it SUCCEEDED.")
final class SubmitCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "job spec (YAML)")
    Path file;

    @Option(names = "--wait", description = "wait until the job ends")
    boolean await;

    @Option(names = "--timeout", defaultValue = "1800", description = "seconds --wait waits at most (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Mixin
    Options.Cluster cluster;

    @Mixin
    Options.Output output;

    @Override
    public Integer call() {
        String yaml = ValidateCommand.read(file);
        try {
            JobSpecParser.parse(yaml);
        } catch (JobSpecException e) {
            throw new CliException(file + ": " + e.getMessage());
        }
        ApiClient api = cluster.client();
        JsonNode job = api.post("/api/v1/jobs", yaml, "application/yaml");
        String id = job.path("id").asText();
        for (JsonNode e : job.path("events")) { // what the control plane advises at submit time (the job is accepted all the same)
            if (e.path("type").asText().equals("WARNING")) System.err.println("warning: " + e.path("message").asText());
        }
        if (!await) {
            if (output.json()) System.out.println(Json.pretty(job));
            else System.out.println("submitted job " + id + " (" + job.path("state").asText() + "); follow it with ./spottrain status " + id);
            return 0;
        }
        System.err.println("submitted job " + id + "; waiting for it to end");
        JsonNode end = await(api, id, Duration.ofSeconds(timeoutSeconds));
        if (output.json()) {
            System.out.println(Json.pretty(end));
        } else {
            System.out.print(Text.job(end));
        }
        return end.path("state").asText().equals("SUCCEEDED") ? 0 : 1;
    }

    /** Polls the job until it ends, printing each change of state to stderr. */
    static JsonNode await(ApiClient api, String id, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        String last = "";
        JsonNode job;
        while (true) {
            job = api.get("/api/v1/jobs/" + id);
            String state = job.path("state").asText();
            String line = state + (job.path("pendingReason").isTextual() ? " (" + job.path("pendingReason").asText() + ")" : "");
            if (!line.equals(last)) {
                System.err.println("  " + Instant.now().toString().substring(11, 19) + " " + id + " " + line);
                last = line;
            }
            if (state.equals("SUCCEEDED") || state.equals("FAILED") || state.equals("CANCELLED")) return job;
            if (Instant.now().isAfter(deadline)) {
                throw new CliException("job " + id + " is still " + state + " after " + timeout.toSeconds() + "s (it keeps running; ./spottrain status " + id + ")");
            }
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException("interrupted");
            }
        }
    }
}
