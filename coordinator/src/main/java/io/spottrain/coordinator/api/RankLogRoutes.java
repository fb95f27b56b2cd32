package io.spottrain.coordinator.api;

import io.javalin.http.Context;
import io.spottrain.coordinator.jobs.Member;
import io.spottrain.protocol.wire.AgentProtocol;

/**
 * {@code GET /api/v1/jobs/{id}/ranks/{rank}/log[?bytes=N][&from=OFFSET][&generation=G]} (viewer): the end of a
 * rank's output in the job's current (or last) generation, or in generation {@code G} (where the job's events say that
 * rank ran: the node that ran it is asked, if it is still live), read by the agent of the rank's node
 * with secrets masked (at most 64 KiB; default 16 KiB); with {@code from}, what follows that offset
 * (whole lines; {@code next} in the answer is where to ask from next: {@code spottrain logs -f}).
 * A {@code from} past the end of the file (another file: the rank moved) reads it from its start. 404 names what is missing: the job, the rank, or the output (a
 * node that is gone took its logs with it).
 */
final class RankLogRoutes {
    static final int DEFAULT_BYTES = 16 * 1024;

    private final JobReads reads;
    private final ManagerAsks asks;

    RankLogRoutes(JobReads reads, ManagerAsks asks) {
        this.reads = reads;
        this.asks = asks;
    }

    void get(Context ctx) {
        String id = ctx.pathParam("id");
        int rank;
        int bytes;
        Long from;
        Long generation;
        try {
            rank = Integer.parseInt(ctx.pathParam("rank"));
            bytes = ctx.queryParam("bytes") == null ? DEFAULT_BYTES : Integer.parseInt(ctx.queryParam("bytes"));
            from = ctx.queryParam("from") == null ? null : Long.valueOf(ctx.queryParam("from"));
            generation = ctx.queryParam("generation") == null ? null : Long.valueOf(ctx.queryParam("generation"));
        } catch (NumberFormatException e) {
            throw new HttpApi.ApiException(400, ApiError.of("bad log request: the rank, ?bytes=, ?from= and ?generation= are whole numbers"));
        }
        if (from != null && from < 0) throw new HttpApi.ApiException(400, ApiError.of("bad log request: from is an offset, 0 or more"));
        if (bytes < 1 || bytes > AgentProtocol.MAX_LOG_BYTES) {
            throw new HttpApi.ApiException(400, ApiError.of("bad log request: bytes must be 1.." + AgentProtocol.MAX_LOG_BYTES));
        }
        var d = reads.document(id).orElseThrow(() -> new HttpApi.ApiException(404, ApiError.of("no job named " + id)));
        if (generation != null && generation != d.generation()) {
            if (generation < 1 || generation > d.generation()) {
                throw new HttpApi.ApiException(404, ApiError.of("job " + id + " has generations 1.." + d.generation() + ", not " + generation));
            }
            var where = RankHistory.of(reads.allEvents(id), generation, rank).orElseThrow(() -> new HttpApi.ApiException(404, ApiError.of(
                    "job " + id + " generation " + generation + " started no rank " + rank)));
            HttpApi.json(ctx, 200, tail(where.nodeId(), id, where.fileGeneration(), where.fileRank(), null, bytes, from));
            return;
        }
        Member m = d.members().stream().filter(x -> x.rank() == rank).findFirst()
                .orElseThrow(() -> new HttpApi.ApiException(404, ApiError.of("job " + id + " has no rank " + rank + " in generation "
                        + d.generation() + " (world size " + d.members().size() + ")")));
        HttpApi.json(ctx, 200, tail(m.nodeId(), id, d.generation(), rank, m.logFile(), bytes, from));
    }

    private AgentProtocol.RankLog tail(String nodeId, String id, long generation, int rank, String file, int bytes, Long from) {
        AgentProtocol.RankLog log;
        try {
            log = asks.rankLog(nodeId, id, generation, rank, file, bytes, from);
        } catch (ManagerAsks.Unanswered e) {
            throw new HttpApi.ApiException(503, ApiError.of("no answer from node " + nodeId + "'s agent through the job manager (the node "
                    + "may be unreachable or overloaded; try again): " + e.getMessage()));
        }
        if (log.error() != null) throw new HttpApi.ApiException(404, ApiError.of(log.error()));
        return log;
    }
}
