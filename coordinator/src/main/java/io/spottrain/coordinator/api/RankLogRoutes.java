package io.spottrain.coordinator.api;

import io.javalin.http.Context;
import io.spottrain.coordinator.jobs.Member;
import io.spottrain.protocol.wire.AgentProtocol;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * {@code GET /api/v1/jobs/{id}/ranks/{rank}/log[?bytes=N][&from=OFFSET][&generation=G]} (viewer): the end of a
 * rank's output in the job's current (or last) generation, or in generation {@code G} (where the job's events say that
 * rank ran: the node that ran it is asked, if it is still live), read by the agent of the rank's node
 * with secrets masked (at most 64 KiB; default 16 KiB); with {@code from}, what follows that offset
 * (whole lines; {@code next} in the answer is where to ask from next: {@code spottrain logs -f}).
 * A {@code from} past the end of the file (another file: the rank moved) reads it from its start. When the node cannot
 * answer (it is gone, or unreachable), the answer is the copy its agent last made in the job's remote tier
 * ({@link LogArchive}; {@code copiedAt} says when, {@code copyLocation} where; {@code file} stays the file's path on its
 * node, so a follower does not take the copy for another file). 404 names what is missing: the job, the rank, or the output
 * (a node that is gone and left no copy); 503 when the node or the copy could not be asked.
 */
final class RankLogRoutes {
    static final int DEFAULT_BYTES = 16 * 1024;
    private static final Pattern FILE = Pattern.compile(".*-g(\\d+)-rank(\\d+)\\.log");

    /** The API's answer: what the rank's agent read ({@code copiedAt} null), or its remote copy. */
    record Answer(String jobId, long generation, int rank, String nodeId, String file, long size, String text, String error, Long next,
            String copiedAt, String copyLocation) {
        static Answer of(AgentProtocol.RankLog l) {
            return new Answer(l.jobId(), l.generation(), l.rank(), l.nodeId(), l.file(), l.size(), l.text(), l.error(), l.next(), null,
                    null);
        }
    }

    private final JobReads reads;
    private final ManagerAsks asks;
    private final Supplier<LogArchive> archive;

    RankLogRoutes(JobReads reads, ManagerAsks asks, Supplier<LogArchive> archive) {
        this.reads = reads;
        this.asks = asks;
        this.archive = archive;
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
            var file = new FileId(where.fileGeneration(), where.fileRank());
            HttpApi.json(ctx, 200, tail(where.nodeId(), id, file.generation(), file.rank(), file, null, bytes, from));
            return;
        }
        Member m = d.members().stream().filter(x -> x.rank() == rank).findFirst()
                .orElseThrow(() -> new HttpApi.ApiException(404, ApiError.of("job " + id + " has no rank " + rank + " in generation "
                        + d.generation() + " (world size " + d.members().size() + ")")));
        HttpApi.json(ctx, 200, tail(m.nodeId(), id, d.generation(), rank, FileId.of(m.logFile(), d.generation(), rank), m.logFile(), bytes,
                from));
    }

    /** The generation and rank a rank's output file is named after (a rank re-formed in place writes on to its first file). */
    record FileId(long generation, int rank) {
        static FileId of(String path, long generation, int rank) {
            var m = path == null ? null : FILE.matcher(path);
            return m != null && m.matches() ? new FileId(Long.parseLong(m.group(1)), Integer.parseInt(m.group(2))) : new FileId(generation, rank);
        }
    }

    private Answer tail(String nodeId, String id, long generation, int rank, FileId fileId, String file, int bytes, Long from) {
        AgentProtocol.RankLog log;
        String problem;
        int status;
        try {
            log = asks.rankLog(nodeId, id, generation, rank, file, bytes, from);
            if (log.error() == null) return Answer.of(log);
            problem = log.error();
            status = 404;
        } catch (ManagerAsks.Unanswered e) {
            problem = "no answer from node " + nodeId + "'s agent through the job manager (the node may be unreachable or overloaded; try "
                    + "again): " + e.getMessage();
            status = 503;
        }
        var found = copy(id, nodeId, fileId);
        if (found.copy() != null) return fromCopy(id, generation, rank, found.copy(), bytes, from);
        throw new HttpApi.ApiException(found.unreadable() ? 503 : status, ApiError.of(problem + found.why()));
    }

    private record Found(LogArchive.Copy copy, String why, boolean unreadable) {}

    private Found copy(String id, String nodeId, FileId fileId) {
        LogArchive a = archive.get();
        if (a == null) return new Found(null, "", false);
        try {
            String remote = reads.spec(id).map(s -> s.spec().checkpoint().remote()).orElse(null);
            return a.read(id, remote, fileId.generation(), fileId.rank(), nodeId).map(c -> new Found(c, "", false))
                    .orElse(new Found(null, "; no copy of it in the job's remote tier either", false));
        } catch (IOException | RuntimeException e) {
            return new Found(null, "; its copy in the job's remote tier could not be read (try again): " + e, true);
        }
    }

    /**
     * The copy's end ({@code bytes}, from a whole line), or with {@code from} what follows that offset of the file: nothing
     * when the copy ends there or before (it is older than what the reader has), all of it when the offset is before the copy,
     * and inside it from the next whole line (approximately: a masked secret changes the text's length). {@code next} is the
     * copy's end in the file.
     */
    static Answer fromCopy(String id, long generation, int rank, LogArchive.Copy c, int bytes, Long from) {
        byte[] text = c.text().getBytes(StandardCharsets.UTF_8);
        int start;
        long next = c.to();
        if (from != null && from >= c.to()) {
            start = text.length;
            next = from;
        } else if (from != null) {
            start = (int) Math.min(text.length, Math.max(0, from - c.from()));
        } else {
            start = Math.max(0, text.length - bytes);
        }
        if (start > 0 && start < text.length && text[start - 1] != '\n') { // from the next whole line
            while (start < text.length && text[start - 1] != '\n') start++;
        }
        String shown = new String(text, start, text.length - start, StandardCharsets.UTF_8);
        return new Answer(id, generation, rank, c.nodeId(), c.file(), c.to(), shown, null, next, c.copiedAt(), c.location());
    }
}
