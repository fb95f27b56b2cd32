package io.spottrain.coordinator.api;

import io.spottrain.coordinator.jobs.JobDocument;
import io.spottrain.coordinator.jobs.JobProgress;
import io.spottrain.protocol.json.Json;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The API's job list ({@code GET /api/v1/jobs}): every job's {@link JobSummary}, as one JSON array.
 * An ended job's row no longer moves with the clock (its cost stops at its end), so it is
 * serialized once and kept with the stored JSON it came from (document and progress): a list
 * compares each job's stored JSON with the kept one ({@code equals}, no parse, no hashing of the
 * document) and copies the row. A job in progress is summarized afresh on every list (its cost
 * and ETA move). With 1,400 jobs, most of them ended, the list had been a quarter of the
 * coordinator's CPU under the scale bench's reader (docs/benchmarks.md). Bounded by the JSON it
 * keeps ({@code maxChars}): past it, further ended jobs' rows are made afresh on each list. Thread-safe.
 */
final class JobList {
    private record Row(String json, String progressJson, String submittedAt, String id, String body) {
        long chars() {
            return json.length() + (progressJson == null ? 0 : progressJson.length()) + body.length();
        }
    }

    private final Map<String, Row> ended = new ConcurrentHashMap<>();
    private final AtomicLong chars = new AtomicLong();
    private final long maxChars;

    JobList(long maxChars) {
        this.maxChars = maxChars;
    }

    /**
     * The list of {@code jobs} (stored documents by job id) with their {@code progress} (stored by job id), in submission
     * order, as JSON; {@code parse} and {@code parseProgress} read stored JSON.
     */
    String json(Map<String, String> jobs, Map<String, String> progress, Function<String, JobDocument> parse,
            Function<String, JobProgress> parseProgress, Instant now) {
        var rows = new ArrayList<Row>(jobs.size());
        int length = 2;
        for (var e : jobs.entrySet()) {
            String id = e.getKey(), json = e.getValue(), progressJson = progress.get(id);
            Row row = ended.get(id);
            if (row == null || !row.json().equals(json) || !Objects.equals(row.progressJson(), progressJson)) {
                row = row(json, progressJson, parse, parseProgress, now);
            }
            rows.add(row);
            length += row.body().length() + 1;
        }
        for (String id : ended.keySet()) if (!jobs.containsKey(id)) keep(id, null); // a job no longer stored leaves the list
        rows.sort(Comparator.comparing(Row::submittedAt).thenComparing(Row::id));
        var out = new StringBuilder(length).append('[');
        for (int i = 0; i < rows.size(); i++) {
            if (i > 0) out.append(',');
            out.append(rows.get(i).body());
        }
        return out.append(']').toString();
    }

    private Row row(String json, String progressJson, Function<String, JobDocument> parse, Function<String, JobProgress> parseProgress,
            Instant now) {
        JobDocument d = parse.apply(json);
        if (progressJson != null) d = d.withProgress(parseProgress.apply(progressJson));
        var row = new Row(json, progressJson, d.submittedAt(), d.id(), Json.write(JobSummary.of(d, now)));
        // an ended job's summary no longer depends on the clock: kept while there is room
        boolean keep = d.state().terminal() && d.finishedAt() != null && chars.get() + row.chars() <= maxChars;
        keep(d.id(), keep ? row : null);
        return row;
    }

    /** Keeps {@code row} for job {@code id} (null: keeps none), counting what is kept. */
    private void keep(String id, Row row) {
        Row old = row == null ? ended.remove(id) : ended.put(id, row);
        chars.addAndGet((row == null ? 0 : row.chars()) - (old == null ? 0 : old.chars()));
    }

    /** Rows kept, and the characters they hold (tests). */
    int kept() {
        return ended.size();
    }

    long keptChars() {
        return chars.get();
    }
}
