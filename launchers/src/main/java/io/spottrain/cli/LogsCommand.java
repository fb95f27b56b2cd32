package io.spottrain.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.protocol.json.Json;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "logs", description = "The end of a rank's output in the job's current (or last) generation, read by the agent of "
        + "its node with secrets masked (the job's ranks: status JOB).")
final class LogsCommand implements Callable<Integer> {
    @Parameters(paramLabel = "JOB")
    String jobId;

    @Option(names = "--rank", defaultValue = "0", description = "the rank (default: ${DEFAULT-VALUE})")
    int rank;

    @Option(names = "--bytes", defaultValue = "16384", description = "at most this many bytes from the end, 1..65536 (default: ${DEFAULT-VALUE})")
    int bytes;

    @Mixin
    Options.Cluster cluster;

    @Mixin
    Options.Output output;

    @Override
    public Integer call() {
        JsonNode log = cluster.client().get("/api/v1/jobs/" + jobId + "/ranks/" + rank + "/log?bytes=" + bytes);
        if (output.json()) {
            System.out.println(Json.pretty(log));
            return 0;
        }
        System.err.printf("job %s generation %d rank %d on %s: %s (%d bytes in all)%n", jobId, log.path("generation").asLong(), rank,
                log.path("nodeId").asText(), log.path("file").asText(), log.path("size").asLong());
        System.out.print(log.path("text").asText());
        return 0;
    }
}
