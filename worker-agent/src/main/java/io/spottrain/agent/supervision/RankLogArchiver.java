package io.spottrain.agent.supervision;

import io.spottrain.checkpoint.remote.ArchivedRankLog;
import io.spottrain.checkpoint.remote.RemoteTier;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies the end of each rank's output file to the job's remote tier ({@link ArchivedRankLog}), so
 * the output outlives the machine: when the rank's process exits, on an interruption notice (the
 * two minutes a Spot machine has left), and every {@code interval} while it runs and writes (a
 * machine lost without notice loses at most that much). Secrets are masked before anything leaves
 * the node, with the agent's secrets as they are at each copy (a job secret added later too). The
 * first copy of a rank's output comes {@link #FIRST_COPY} after it started (what a rank prints
 * first, its start-up, is often what explains a crash), then at most every {@code interval}.
 * Periodic and exit copies run in order on one thread (an exit's copy is the last); notice copies on
 * another, so a slow periodic upload does not hold up the copies a notice's deadline is for. A copy
 * that fails is logged and tried again {@link #FIRST_COPY} later. A job without a remote tier has no copies.
 */
public final class RankLogArchiver implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RankLogArchiver.class);

    /** A process writing a file; its pid tells a restarted rank (same file) from the one before it. */
    public record Watched(String jobId, long fileGeneration, int fileRank, String jobRemote, long pid) {}

    private final String nodeId;
    private final Function<String, Optional<RemoteTier>> tiers;
    private final Supplier<Redactor> redactor;
    private final Map<Path, Watched> watched = new ConcurrentHashMap<>();
    /** The file size each file had at its last copy (no copy again while it has not grown). */
    private final Map<Path, Long> copied = new ConcurrentHashMap<>();
    /** When each watched file's next periodic copy is due (System.nanoTime()). */
    private final Map<Path, Long> due = new ConcurrentHashMap<>();
    private final long intervalNanos;
    private final ScheduledExecutorService inOrder = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "rank-log-archiver"));
    private final ExecutorService urgent = Executors.newSingleThreadExecutor(r -> daemon(r, "rank-log-archiver-notice"));

    /**
     * @param tiers    the remote tier of a job's {@code spec.checkpoint.remote} (null: the node's default), empty when it has none
     * @param redactor the secrets to mask now
     */
    public RankLogArchiver(String nodeId, Function<String, Optional<RemoteTier>> tiers, Supplier<Redactor> redactor, Duration interval) {
        this.nodeId = nodeId;
        this.tiers = tiers;
        this.redactor = redactor;
        this.intervalNanos = Math.max(100, interval.toMillis()) * 1_000_000L;
        long tick = Math.max(100, Math.min(1000, interval.toMillis()));
        inOrder.scheduleWithFixedDelay(this::copyGrown, tick, tick, TimeUnit.MILLISECONDS);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** How soon after a rank started its output is first copied (or the interval, if shorter). */
    static final Duration FIRST_COPY = Duration.ofSeconds(5);

    /** A rank process ({@code pid}) started writing {@code file} (named for the generation and rank it started as). */
    public Watched watch(String jobId, long generation, int rank, long pid, Path file, String jobRemote) {
        var w = new Watched(jobId, generation, rank, jobRemote, pid);
        due.put(file, System.nanoTime() + Math.min(FIRST_COPY.toNanos(), intervalNanos));
        watched.put(file, w);
        return w;
    }

    /** The process {@code w} that wrote {@code file} exited: its last copy now, and no more after it. */
    public void exited(Path file, Watched w) {
        watched.remove(file, w); // a process started since (a restart into the same file) stays watched
        Runnable last = () -> {
            copy(file, w);
            if (!watched.containsKey(file)) {
                copied.remove(file);
                due.remove(file);
            }
        };
        try {
            inOrder.execute(last);
        } catch (RejectedExecutionException e) {
            last.run(); // closing: copy here
        }
    }

    /** An interruption notice: every running rank's output now (the machine may be gone soon). */
    public void copyAllNow() {
        try {
            urgent.execute(() -> watched.forEach(this::copy));
        } catch (RejectedExecutionException e) {
            // closing: close() copies what is watched
        }
    }

    private void copyGrown() {
        long now = System.nanoTime();
        watched.forEach((file, w) -> {
            Long at = due.get(file);
            if (at == null || now - at < 0) return;
            try {
                long size = Files.size(file);
                if (!Long.valueOf(size).equals(copied.get(file))) {
                    // next copy an interval on; after a failure, soon again (a failed first copy must not wait the whole interval)
                    due.replace(file, at, now + (copy(file, w) ? intervalNanos : Math.min(FIRST_COPY.toNanos(), intervalNanos)));
                }
            } catch (IOException e) {
                // not there yet, or gone: nothing to copy
            }
        });
    }

    /** Copies the file's end now; false when the copy failed (logged). */
    private boolean copy(Path file, Watched w) {
        Redactor r = redactor.get();
        try {
            Optional<RemoteTier> tier = tiers.apply(w.jobRemote());
            if (tier.isEmpty()) return true;
            var archived = read(file, w, r);
            if (archived == null) return true;
            tier.get().putRankLog(archived);
            copied.put(file, archived.to());
            return true;
        } catch (IOException | RuntimeException e) {
            log.warn("job {}: could not copy {} to the remote tier (tried again soon): {}", w.jobId(), file.getFileName(),
                    r.redact(e.toString()));
            return false;
        }
    }

    /**
     * The file's end (at most {@link ArchivedRankLog#MAX_BYTES}), from its first whole line, secrets masked: never the rest of a
     * secret that began before the window, nor the start of one still being written at its end; null when there is no file (a
     * link a rank planted is none: never followed).
     */
    ArchivedRankLog read(Path file, Watched w, Redactor r) throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) return null;
        try (SeekableByteChannel ch = Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            long size = ch.size();
            long from = Math.max(0, size - ArchivedRankLog.MAX_BYTES);
            // from where a secret that spans the window's start begins (and at least the byte before it: a line's end, or not)
            long context = Math.max(0, from - Math.max(1, r.longestBytes()));
            ByteBuffer bb = ByteBuffer.allocate((int) (size - context));
            ch.position(context);
            while (bb.hasRemaining() && ch.read(bb) > 0) {
                // read all of it
            }
            byte[] buf = bb.array();
            int len = bb.position();
            int start = (int) (from - context);
            if (from > 0) {
                start = r.safeStart(buf, len, start);
                if (start < len && buf[start - 1] != '\n') { // from the next whole line
                    while (start < len && buf[start] != '\n') start++;
                    start = Math.min(len, start + 1);
                }
            }
            int end = Math.max(start, r.safeCut(buf, len, len));
            String text = r.redact(new String(buf, start, end - start, StandardCharsets.UTF_8));
            return new ArchivedRankLog(w.jobId(), w.fileGeneration(), w.fileRank(), nodeId, file.toString(), context + start, context + end,
                    Instant.now().toString(), text);
        }
    }

    /** Copies what is still being watched (waiting at most 5 s), then stops the threads. */
    @Override
    public void close() {
        try {
            inOrder.execute(() -> watched.forEach(this::copy));
        } catch (RejectedExecutionException e) {
            return; // closed already
        }
        inOrder.shutdown();
        urgent.shutdown();
        try {
            inOrder.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
