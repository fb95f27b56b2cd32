package io.spottrain.checkpoint.upload;

import io.spottrain.checkpoint.Progress;
import io.spottrain.checkpoint.remote.RemoteTier;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import io.spottrain.protocol.checkpoint.CheckpointException;
import java.io.IOException;
import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Uploads committed local steps to the remote tier in the background, so the training loop never
 * waits for S3. Oldest first, one step at a time (parts in parallel inside); a failed upload is
 * retried with exponential backoff and jitter until it succeeds — if S3 is down, steps queue up
 * on the local tier and go out, oldest first, when it returns. The backlog (steps and bytes not
 * yet remote) is visible at any time.
 */
public final class AsyncUploader implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AsyncUploader.class);

    /** What happened to an upload. */
    public interface Listener {
        void uploaded(String job, long step, long bytes, long millis, int attempts);

        /** The step cannot be uploaded at all (its local copy is corrupt); it is dropped. */
        default void rejected(String job, long step, String reason) {}

        /** One attempt failed; it will be retried after {@code retryInMillis}. */
        default void attemptFailed(String job, long step, int attempt, String reason, long retryInMillis) {}
    }

    /** Steps and bytes not yet remote, the oldest such step, and the last error (null when none). */
    public record Backlog(int steps, long bytes, Long oldestStep, String lastError) {}

    private record Task(String job, long step, CheckpointDir local, long bytes) {}

    private final RemoteTier remote;
    private final UploaderSettings settings;
    private final Listener listener;
    private final PriorityQueue<Task> queue = new PriorityQueue<>(Comparator.comparingLong(Task::step));
    private final Thread worker;
    private Task current;
    private boolean busy;
    private String lastError;
    private volatile boolean closed;

    public AsyncUploader(RemoteTier remote, UploaderSettings settings, Listener listener) {
        this.remote = remote;
        this.settings = settings;
        this.listener = listener;
        this.worker = new Thread(this::run, "checkpoint-uploader");
        worker.setDaemon(true);
        worker.start();
    }

    /** Queues a committed local step; false when the queue is full (the step stays local). */
    public synchronized boolean submit(String job, CheckpointDir local, long step) {
        if (closed) return false;
        if ((current != null && current.step() == step && current.job().equals(job))
                || queue.stream().anyMatch(t -> t.step() == step && t.job().equals(job))) {
            return true;
        }
        if (queue.size() >= settings.queueCapacity()) return false;
        long bytes;
        try {
            bytes = local.manifest(step).totalBytes();
        } catch (CheckpointException e) {
            listener.rejected(job, step, e.getMessage());
            return true;
        }
        queue.add(new Task(job, step, local, bytes));
        notifyAll();
        return true;
    }

    public synchronized Backlog backlog() {
        int steps = queue.size() + (current == null ? 0 : 1);
        long bytes = queue.stream().mapToLong(Task::bytes).sum() + (current == null ? 0 : current.bytes());
        Long oldest = null;
        if (current != null) oldest = current.step();
        if (!queue.isEmpty() && (oldest == null || queue.peek().step() < oldest)) oldest = queue.peek().step();
        return new Backlog(steps, bytes, oldest, lastError);
    }

    /** Waits until nothing is pending (bounded); true if the backlog drained. */
    public boolean awaitIdle(long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        synchronized (this) {
            while (current != null || busy || !queue.isEmpty()) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) return false;
                wait(left);
            }
        }
        return true;
    }

    private void run() {
        while (!closed) {
            Task t;
            synchronized (this) {
                while (queue.isEmpty() && !closed) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) return;
                t = queue.poll();
                current = t;
            }
            RemoteResult r = upload(t);
            synchronized (this) {
                current = null; // the backlog the listener sees no longer counts this step
                if (r == REQUEUED) {
                    queue.add(t); // an older step arrived while this one was failing: it goes first
                    continue;
                }
                busy = true;
            }
            try {
                if (r != null) listener.uploaded(t.job(), t.step(), r.bytes(), r.millis(), r.attempts());
            } finally {
                synchronized (this) {
                    busy = false;
                    notifyAll();
                }
            }
        }
    }

    private record RemoteResult(long bytes, long millis, int attempts) {}

    private static final RemoteResult REQUEUED = new RemoteResult(-1, -1, -1);

    private RemoteResult upload(Task t) {
        int attempt = 0;
        while (!closed) {
            attempt++;
            long start = System.nanoTime();
            try {
                var u = remote.upload(t.job(), t.local(), t.step(), throttle(start));
                synchronized (this) {
                    lastError = null;
                }
                return new RemoteResult(u.bytes(), u.millis(), attempt);
            } catch (CheckpointException e) {
                log.error("step {} of {} is not uploadable: {}", t.step(), t.job(), e.getMessage());
                listener.rejected(t.job(), t.step(), e.getMessage());
                return null;
            } catch (IOException | RuntimeException e) {
                long delay = backoff(attempt);
                String why = e.getMessage() == null ? e.toString() : e.getMessage();
                synchronized (this) {
                    lastError = "step " + t.step() + ": " + why;
                }
                log.warn("upload of step {} of {} failed (attempt {}), retry in {} ms: {}", t.step(), t.job(), attempt, delay, why);
                listener.attemptFailed(t.job(), t.step(), attempt, why, delay);
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException ie) {
                    return null;
                }
                synchronized (this) {
                    if (!queue.isEmpty() && queue.peek().step() < t.step()) return REQUEUED; // oldest first, always
                }
            }
        }
        return null;
    }

    /** initial * 2^(attempt-1), capped, times a jitter in [0.5, 1]. */
    long backoff(int attempt) {
        long initial = Math.max(1, settings.initialBackoff().toMillis());
        long capped = Math.min(settings.maxBackoff().toMillis(), initial << Math.min(30, attempt - 1));
        return (long) (capped * (0.5 + 0.5 * ThreadLocalRandom.current().nextDouble()));
    }

    /** Sleeps inside progress callbacks so the average rate stays under the cap. */
    private Progress throttle(long startNanos) {
        long cap = settings.bytesPerSecond();
        if (cap <= 0) return Progress.NONE;
        return (done, total) -> {
            double minSeconds = (double) done / cap;
            double elapsed = (System.nanoTime() - startNanos) / 1e9;
            if (minSeconds > elapsed) {
                try {
                    Thread.sleep((long) ((minSeconds - elapsed) * 1000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        worker.interrupt();
        try {
            worker.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
