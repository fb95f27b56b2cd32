package io.spottrain.agent.supervision;

import io.spottrain.checkpoint.remote.ArchivedRankLog;
import io.spottrain.checkpoint.remote.RemoteTier;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies the end of each rank's output file to the job's remote tier ({@link ArchivedRankLog}), so
 * the output outlives the machine: when the rank's process exits, on an interruption notice (the
 * two minutes a Spot machine has left), and every {@code interval} while it runs and writes (a
 * machine lost without notice loses at most that much). Secrets the agent knows are masked before
 * anything leaves the node. One daemon thread; a copy that fails is logged and tried again at the next
 * tick. A job without a remote tier has no copies (its output stays on the node, as before).
 */
public final class RankLogArchiver implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RankLogArchiver.class);

    record Watched(String jobId, long fileGeneration, int fileRank, String jobRemote) {}

    private final String nodeId;
    private final Function<String, Optional<RemoteTier>> tiers;
    private final Redactor redactor;
    private final Map<Path, Watched> watched = new ConcurrentHashMap<>();
    /** The file size each file had at its last copy (no copy again while it has not grown). */
    private final Map<Path, Long> copied = new ConcurrentHashMap<>();
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "rank-log-archiver");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param tiers the remote tier of a job's {@code spec.checkpoint.remote} (null: the node's default), empty when it has none
     */
    public RankLogArchiver(String nodeId, Function<String, Optional<RemoteTier>> tiers, Redactor redactor, Duration interval) {
        this.nodeId = nodeId;
        this.tiers = tiers;
        this.redactor = redactor;
        long every = Math.max(100, interval.toMillis());
        thread.scheduleWithFixedDelay(this::copyGrown, every, every, TimeUnit.MILLISECONDS);
    }

    /** A rank process started writing {@code file} (named for the generation and rank it started as). */
    public void watch(String jobId, long generation, int rank, Path file, String jobRemote) {
        watched.put(file, new Watched(jobId, generation, rank, jobRemote));
    }

    /** The process writing {@code file} exited: its last copy now, and no more after it. */
    public void exited(Path file) {
        Watched w = watched.remove(file);
        if (w != null) {
            thread.execute(() -> {
                copy(file, w);
                copied.remove(file);
            });
        }
    }

    /** An interruption notice: every running rank's output now (the machine may be gone soon). */
    public void copyAllNow() {
        thread.execute(() -> watched.forEach(this::copy));
    }

    private void copyGrown() {
        watched.forEach((file, w) -> {
            try {
                long size = Files.size(file);
                if (!Long.valueOf(size).equals(copied.get(file))) copy(file, w);
            } catch (IOException e) {
                // not there yet, or gone: nothing to copy
            }
        });
    }

    private void copy(Path file, Watched w) {
        try {
            Optional<RemoteTier> tier = tiers.apply(w.jobRemote());
            if (tier.isEmpty() || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) return;
            long size = Files.size(file);
            var archived = read(file, w);
            if (archived == null) return;
            tier.get().putRankLog(archived);
            copied.put(file, size);
        } catch (IOException | RuntimeException e) {
            log.warn("job {}: could not copy {} to the remote tier (next try in the next tick): {}", w.jobId(), file.getFileName(),
                    redactor.redact(String.valueOf(e.getMessage())));
        }
    }

    /** The file's end (at most {@link ArchivedRankLog#MAX_BYTES}), from its first whole line, secrets masked; null if no file. */
    ArchivedRankLog read(Path file, Watched w) throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) return null; // a link a rank planted is no log
        try (var raf = new RandomAccessFile(file.toFile(), "r")) {
            long size = raf.length();
            long from = Math.max(0, size - ArchivedRankLog.MAX_BYTES);
            byte[] buf = new byte[(int) (size - from)];
            raf.seek(from);
            raf.readFully(buf);
            int start = 0;
            if (from > 0) {
                while (start < buf.length && buf[start] != '\n') start++;
                start = Math.min(buf.length, start + 1);
            }
            // never a secret cut in two at the end (a line still being written): up to where one may be starting
            int end = Math.max(start, redactor.safeCut(buf, buf.length, buf.length));
            String text = redactor.redact(new String(buf, start, end - start, StandardCharsets.UTF_8));
            return new ArchivedRankLog(w.jobId(), w.fileGeneration(), w.fileRank(), nodeId, from + start, from + end,
                    Instant.now().toString(), text);
        }
    }

    /** Copies what is still being watched (waiting at most 5 s), then stops the thread. */
    @Override
    public void close() {
        copyAllNow();
        thread.shutdown();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
