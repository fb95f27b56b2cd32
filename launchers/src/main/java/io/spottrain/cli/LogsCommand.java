package io.spottrain.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.client.ApiClient;
import io.spottrain.client.CliException;
import io.spottrain.protocol.json.Json;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "logs", description = "The end of a rank's output in the job's current (or last) generation, or in an earlier one "
        + "(--generation: from the node that ran it, while it is live), read by the agent of its node with secrets masked (the job's "
        + "ranks: status JOB). With -f, follow it until the job ends, across recoveries.")
final class LogsCommand implements Callable<Integer> {
    static final List<String> ENDED = List.of("SUCCEEDED", "FAILED", "CANCELLED");

    @Parameters(paramLabel = "JOB")
    String jobId;

    @Option(names = "--rank", defaultValue = "0", description = "the rank (default: ${DEFAULT-VALUE})")
    int rank;

    @Option(names = "--bytes", defaultValue = "16384", description = "at most this many bytes from the end, 1..65536 (default: ${DEFAULT-VALUE})")
    int bytes;

    @Option(names = "--generation", description = "an earlier generation's output of that rank (default: the current or last one)")
    Long generation;

    @Option(names = {"-f", "--follow"}, description = "go on printing what the rank writes (polling every second) until the job ends; "
            + "when the rank moves to another node or file (a recovery), say so and print the new one from its start")
    boolean follow;

    @Mixin
    Options.Cluster cluster;

    @Mixin
    Options.Output output;

    @Override
    public Integer call() throws InterruptedException {
        var api = cluster.client();
        String path = "/api/v1/jobs/" + jobId + "/ranks/" + rank + "/log?bytes=" + bytes;
        if (generation != null) {
            if (follow) throw new CliException("--generation reads a generation's output as it is: it takes no -f (that follows the current one)");
            path += "&generation=" + generation;
        }
        if (!follow) {
            JsonNode log = api.get(path);
            if (output.json()) {
                System.out.println(Json.pretty(log));
                return 0;
            }
            header(log);
            System.out.print(log.path("text").asText());
            return 0;
        }
        if (output.json()) throw new CliException("-f prints the output as it comes: it takes no --output json");
        return follow(api, path);
    }

    private void header(JsonNode log) {
        System.err.printf("job %s generation %d rank %d on %s: %s (%d bytes in all)%n", jobId,
                generation != null ? generation : log.path("generation").asLong(), rank,
                log.path("nodeId").asText(), log.path("file").asText(), log.path("size").asLong());
        if (log.path("copiedAt").isTextual()) {
            System.err.printf("(node %s cannot answer: this is the copy of its output its agent made in the remote tier at %s)%n",
                    log.path("nodeId").asText(), log.path("copiedAt").asText());
        }
    }

    /**
     * Polls the log from where the last answer ended; a new node or file starts from 0 (the new
     * file's whole output); while the rank has no output to read (forming, recovering) it waits.
     * Ends once the job has ended and its last output was read.
     */
    private int follow(ApiClient api, String path) throws InterruptedException {
        Long from = null; // the first read: the end of the output, as without -f
        String where = null;
        String lastError = null;
        boolean settled = false;
        while (true) {
            boolean ended;
            try {
                ended = ENDED.contains(api.get("/api/v1/jobs/" + jobId).path("state").asText());
            } catch (ApiClient.ApiError e) {
                if (e.status != 503) throw e;
                Thread.sleep(1000); // no control node answers now (a hand-over): wait
                continue;
            }
            // the job ended: its ranks stopped writing; the agent counts a last line without a newline once the file is quiet
            if (ended && !settled) {
                Thread.sleep(2500);
                settled = true;
            }
            try {
                JsonNode log = api.get(path + (from == null ? "" : "&from=" + from));
                String here = log.path("nodeId").asText() + ":" + log.path("file").asText();
                if (where != null && !where.equals(here)) {
                    from = 0L; // another node or file (a recovery moved the rank): its output from the start
                    where = here;
                    header(log);
                    continue;
                }
                if (where == null) header(log);
                where = here;
                System.out.print(log.path("text").asText());
                System.out.flush();
                if (!log.path("next").isNumber()) {
                    throw new CliException("node " + log.path("nodeId").asText() + "'s agent predates following a log: "
                            + "update it, or read the end without -f");
                }
                long next = log.path("next").asLong();
                boolean more = from != null && next > from && next < log.path("size").asLong();
                from = next;
                lastError = null;
                if (more) continue; // more than one answer holds: read on at once
            } catch (ApiClient.ApiError e) {
                if (e.status != 404 && e.status != 503) throw e;
                if (!e.getMessage().equals(lastError)) System.err.println("(waiting: " + e.getMessage() + ")");
                lastError = e.getMessage();
                if (from == null) from = 0L; // no output yet: once there is, all of it
            }
            if (ended) return 0;
            Thread.sleep(1000);
        }
    }
}
