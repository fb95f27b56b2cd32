package io.spottrain.checkpoint.remote;

import io.spottrain.checkpoint.Progress;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import io.spottrain.protocol.checkpoint.CheckpointException;
import io.spottrain.protocol.checkpoint.CheckpointManifest;
import io.spottrain.protocol.checkpoint.ManifestFile;
import io.spottrain.protocol.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The remote (S3) tier: the same layout as the local one, {@code <prefix>/<job>/step-<n>/<file>}.
 *
 * <p>Commit protocol: every file is uploaded (all at once; with the manifest's SHA-256 as the S3
 * checksum where the server checks it, hashed here first where not), then {@code MANIFEST.json} — created with {@code If-None-Match: *} where the
 * server supports it, so a step is committed once — and only then the {@code latest} pointer.
 * Readers never trust {@code latest} alone: a step exists when its manifest does, and a restore
 * verifies every file's sha256. A crash between files and manifest leaves objects that are not a
 * checkpoint; the next upload of that step overwrites them.
 */
public final class RemoteTier {
    private static final Pattern STEP = Pattern.compile(".*/step-(\\d+)/" + Pattern.quote(CheckpointManifest.FILE_NAME));

    private final ObjectStore store;
    private final String prefix;

    public RemoteTier(ObjectStore store, String prefix) {
        this.store = store;
        this.prefix = prefix == null || prefix.isBlank() ? "" : prefix.replaceAll("^/+|/+$", "") + "/";
    }

    public ObjectStore store() {
        return store;
    }

    String stepKey(String job, long step) {
        return prefix + job + "/step-" + step + "/";
    }

    String latestKey(String job) {
        return prefix + job + "/latest";
    }

    /** What an upload did: bytes sent, whether the step was already there, and how long it took. */
    public record Uploaded(long step, long bytes, boolean alreadyRemote, long millis) {}

    /**
     * Uploads a committed local step, all its files at once, manifest last, then moves
     * {@code latest} forward. Idempotent. A corrupt local copy is never committed remotely: each
     * file is hashed here first unless the server checks the manifest's SHA-256 itself
     * ({@link ObjectStore#serverChecksSha256}).
     */
    public Uploaded upload(String job, CheckpointDir local, long step, Progress progress) throws IOException, CheckpointException {
        long t0 = System.nanoTime();
        CheckpointManifest m = local.manifest(step);
        String base = stepKey(job, step);
        if (store.size(base + CheckpointManifest.FILE_NAME).isPresent()) {
            return new Uploaded(step, 0, true, (System.nanoTime() - t0) / 1_000_000);
        }
        long total = m.totalBytes();
        var sent = new AtomicLongArray(m.files().size());
        var uploads = new ArrayList<CompletableFuture<Void>>();
        for (int i = 0; i < m.files().size(); i++) {
            ManifestFile f = m.files().get(i);
            int slot = i;
            if (!store.serverChecksSha256(f.size())) { // hashed here while the files before it upload
                try {
                    local.verifyFile(step, f);
                } catch (CheckpointException e) {
                    uploads.forEach(u -> u.cancel(true));
                    throw e;
                }
            }
            uploads.add(store.putFileAsync(base + f.name(), local.stepDir(step).resolve(f.name()), f.sha256(), (done, t) -> {
                sent.set(slot, done);
                progress.update(sum(sent), total);
            }));
        }
        awaitAll(uploads, "upload of step " + step + " of " + job);
        byte[] manifest = Files.readAllBytes(local.stepDir(step).resolve(CheckpointManifest.FILE_NAME));
        if (!store.putBytes(base + CheckpointManifest.FILE_NAME, manifest, true)) {
            // another uploader committed this step first: fine if it is the same checkpoint
            CheckpointManifest theirs = manifest(job, step);
            if (!sameFiles(theirs, m)) {
                throw new IOException("step " + step + " of " + job + " was committed remotely with different contents");
            }
        }
        moveLatest(job, step);
        return new Uploaded(step, total, false, (System.nanoTime() - t0) / 1_000_000);
    }

    private static long sum(AtomicLongArray a) {
        long s = 0;
        for (int i = 0; i < a.length(); i++) s += a.get(i);
        return s;
    }

    /** Waits for every transfer; the first failure cancels the rest and is thrown naming {@code what}. */
    private static void awaitAll(List<CompletableFuture<Void>> transfers, String what) throws IOException {
        try {
            CompletableFuture.allOf(transfers.toArray(CompletableFuture[]::new)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            transfers.forEach(t -> t.cancel(true));
            throw new IOException(what + " interrupted", e);
        } catch (ExecutionException e) {
            transfers.forEach(t -> t.cancel(true));
            Throwable cause = AwsS3ObjectStore.unwrap(e);
            throw new IOException(what + " failed: " + AwsS3ObjectStore.message(cause), cause);
        }
    }

    private static boolean sameFiles(CheckpointManifest a, CheckpointManifest b) {
        return a.files().stream().map(f -> f.name() + ":" + f.sha256()).toList()
                .equals(b.files().stream().map(f -> f.name() + ":" + f.sha256()).toList());
    }

    /** Moves {@code latest} to {@code step} unless it already points at a newer step. */
    void moveLatest(String job, long step) throws IOException {
        Optional<Long> current = latest(job);
        if (current.isPresent() && current.get() >= step) return;
        store.putBytes(latestKey(job), ("{\"step\":" + step + "}").getBytes(StandardCharsets.UTF_8), false);
    }

    /** The {@code latest} pointer: a hint, the step last committed by an uploader. */
    public Optional<Long> latest(String job) throws IOException {
        Optional<byte[]> b = store.getBytes(latestKey(job));
        if (b.isEmpty()) return Optional.empty();
        try {
            return Optional.of(Json.MAPPER.readTree(b.get()).path("step").asLong());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Steps with a manifest, newest first. */
    public List<Long> committedSteps(String job) throws IOException {
        var steps = new TreeSet<Long>(Comparator.reverseOrder());
        for (String k : store.list(prefix + job + "/step-")) {
            Matcher mm = STEP.matcher(k);
            if (mm.matches()) steps.add(Long.parseLong(mm.group(1)));
        }
        return new ArrayList<>(steps);
    }

    public CheckpointManifest manifest(String job, long step) throws IOException, CheckpointException {
        byte[] b = store.getBytes(stepKey(job, step) + CheckpointManifest.FILE_NAME)
                .orElseThrow(() -> new CheckpointException("step " + step + ": no manifest in " + store.describe()));
        try {
            CheckpointManifest m = Json.MAPPER.readValue(b, CheckpointManifest.class);
            if (m.step() != step || !CheckpointManifest.FORMAT.equals(m.format())) {
                throw new CheckpointException("step " + step + ": remote manifest is not a " + CheckpointManifest.FORMAT + " manifest of this step");
            }
            return m;
        } catch (IOException e) {
            throw new CheckpointException("step " + step + ": remote manifest is unreadable: " + e.getMessage(), e);
        }
    }

    /**
     * Downloads a step into a local tier: files into a staging directory, each verified against
     * the manifest's sha256, then committed locally (manifest last). Throws naming a bad file.
     */
    public CheckpointManifest download(String job, long step, CheckpointDir local, Progress progress)
            throws IOException, CheckpointException {
        CheckpointManifest m = manifest(job, step);
        long total = m.totalBytes();
        return local.importStep(m, store.describe(), (CheckpointDir.StepFetcher) all -> {
            var got = new AtomicLongArray(all.size());
            var downloads = new ArrayList<CompletableFuture<Void>>();
            int slot = 0;
            for (var e : all.entrySet()) {
                int i = slot++;
                downloads.add(store.getFileAsync(stepKey(job, step) + e.getKey().name(), e.getValue(), (done, t) -> {
                    got.set(i, done);
                    progress.update(sum(got), total);
                }));
            }
            awaitAll(downloads, "download of step " + step + " of " + job);
        });
    }

    /** Writes (replaces) the archived end of a rank's output file ({@link ArchivedRankLog}); retention never removes it. */
    public void putRankLog(ArchivedRankLog log) throws IOException {
        store.putBytes(rankLogKey(log.jobId(), log.fileGeneration(), log.fileRank(), log.nodeId()), log.encode(), false);
    }

    /** The archived end of the output file a rank of {@code job} started on {@code nodeId} as {@code fileRank} in {@code fileGeneration}. */
    public Optional<ArchivedRankLog> rankLog(String job, long fileGeneration, int fileRank, String nodeId) throws IOException {
        return store.getBytes(rankLogKey(job, fileGeneration, fileRank, nodeId)).flatMap(ArchivedRankLog::decode);
    }

    /** The object key {@link #rankLog} reads (in the bucket). */
    public String rankLogKey(String job, long fileGeneration, int fileRank, String nodeId) {
        return prefix + ArchivedRankLog.key(job, fileGeneration, fileRank, nodeId);
    }

    /** What retention left ({@code kept}, newest first) and removed. */
    public record Retention(List<Long> kept, List<Long> deleted) {}

    /**
     * Keeps the newest {@code keep} complete steps; never deletes the newest complete one, nor a
     * pinned one (a restore in progress). The manifest goes first, so a half-deleted step is never
     * taken for a checkpoint.
     */
    public Retention retain(String job, int keep, Set<Long> pinned) throws IOException {
        List<Long> steps = committedSteps(job);
        var kept = new ArrayList<Long>();
        var deleted = new ArrayList<Long>();
        for (int i = 0; i < steps.size(); i++) {
            long step = steps.get(i);
            if (i < Math.max(1, keep) || pinned.contains(step)) {
                kept.add(step);
                continue;
            }
            String base = stepKey(job, step);
            store.delete(base + CheckpointManifest.FILE_NAME);
            for (String k : store.list(base)) store.delete(k);
            deleted.add(step);
        }
        return new Retention(kept, deleted);
    }
}
