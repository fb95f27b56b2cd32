package io.spottrain.protocol.checkpoint;

import io.spottrain.protocol.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The checkpoint layout both the training process and the agent use: {@code <root>/step-<n>/} with
 * the files and {@code MANIFEST.json}. The commit protocol: write every file and fsync it, write
 * the manifest to a temporary name and fsync it, rename it to {@code MANIFEST.json} atomically,
 * fsync the directory. A directory without a manifest is not a checkpoint.
 */
public final class CheckpointDir {
    private static final Pattern STEP_DIR = Pattern.compile("step-(\\d+)");

    private final Path root;

    public CheckpointDir(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    public Path stepDir(long step) {
        return root.resolve("step-" + step);
    }

    /**
     * Writes a complete checkpoint of these files (name → bytes, in order) and commits it.
     * A leftover directory of the same step without a manifest (an earlier crash) is replaced.
     */
    public CheckpointManifest write(long step, int worldSize, long generation, String job, Map<String, byte[]> files,
            Map<String, ManifestFile> shardingByName, Map<String, String> metadata) throws IOException {
        Path dir = stepDir(step);
        if (Files.exists(dir.resolve(CheckpointManifest.FILE_NAME))) {
            throw new IOException("checkpoint step " + step + " already committed in " + dir);
        }
        deleteTree(dir);
        Files.createDirectories(dir);
        for (String name : files.keySet()) checkName(name);
        // hashing (CPU) runs beside writing and fsync (I/O): a step costs about the longer of the two, not their sum
        var hashes = new LinkedHashMap<String, CompletableFuture<String>>();
        files.forEach((name, bytes) -> hashes.put(name, CompletableFuture.supplyAsync(() -> sha256(bytes), HASHING)));
        for (var e : files.entrySet()) writeDurably(dir.resolve(e.getKey()), e.getValue());
        var listed = new ArrayList<ManifestFile>();
        for (var e : files.entrySet()) {
            ManifestFile shard = shardingByName.get(e.getKey());
            String sha = hashes.get(e.getKey()).join();
            listed.add(shard == null ? ManifestFile.replicated(e.getKey(), e.getValue().length, sha)
                    : new ManifestFile(e.getKey(), e.getValue().length, sha, shard.sharding(), shard.shardRank(), shard.shardCount(),
                            shard.group(), shard.elementBytes()));
        }
        var manifest = new CheckpointManifest(CheckpointManifest.FORMAT, step, worldSize, generation, job,
                Instant.now().toString(), listed, metadata);
        commit(dir, manifest);
        return manifest;
    }

    /** The last step of the protocol: the manifest, durably and atomically. */
    public static void commit(Path dir, CheckpointManifest manifest) throws IOException {
        Path tmp = dir.resolve(CheckpointManifest.FILE_NAME + ".tmp");
        writeDurably(tmp, Json.pretty(manifest).getBytes(StandardCharsets.UTF_8));
        try {
            Files.move(tmp, dir.resolve(CheckpointManifest.FILE_NAME), StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the file system of " + dir + " cannot rename atomically; checkpoints need it", e);
        }
        fsyncDir(dir);
        fsyncDir(dir.getParent());
    }

    public boolean isCommitted(long step) {
        return Files.isRegularFile(stepDir(step).resolve(CheckpointManifest.FILE_NAME));
    }

    /** Committed steps, newest first (a manifest exists; contents not yet verified). */
    public List<Long> committedSteps() throws IOException {
        if (!Files.isDirectory(root)) return List.of();
        var steps = new ArrayList<Long>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path p : ds) {
                Matcher m = STEP_DIR.matcher(p.getFileName().toString());
                if (m.matches() && Files.isRegularFile(p.resolve(CheckpointManifest.FILE_NAME))) {
                    steps.add(Long.parseLong(m.group(1)));
                }
            }
        }
        steps.sort(Comparator.reverseOrder());
        return steps;
    }

    public CheckpointManifest manifest(long step) throws CheckpointException {
        Path f = stepDir(step).resolve(CheckpointManifest.FILE_NAME);
        try {
            CheckpointManifest m = Json.MAPPER.readValue(f.toFile(), CheckpointManifest.class);
            if (!CheckpointManifest.FORMAT.equals(m.format()) || m.step() != step) {
                throw new CheckpointException("step " + step + ": " + f + " is not a " + CheckpointManifest.FORMAT
                        + " manifest of step " + step);
            }
            return m;
        } catch (IOException e) {
            throw new CheckpointException("step " + step + ": cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    /** Checks every file's size and sha256; throws naming the first bad or missing file. */
    public CheckpointManifest verify(long step) throws CheckpointException {
        CheckpointManifest m = manifest(step);
        for (ManifestFile f : m.files()) verifyFile(step, f);
        return m;
    }

    /** Checks one file of a committed step against its manifest entry (size, then sha256). */
    public void verifyFile(long step, ManifestFile f) throws CheckpointException {
        Path p = stepDir(step).resolve(f.name());
        if (!Files.isRegularFile(p)) {
            throw new CheckpointException("step " + step + ": file " + f.name() + " is missing");
        }
        try {
            long size = Files.size(p);
            if (size != f.size()) {
                throw new CheckpointException("step " + step + ": file " + f.name() + " has " + size + " bytes, manifest says " + f.size());
            }
            String sha = sha256(p);
            if (!sha.equals(f.sha256())) {
                throw new CheckpointException("step " + step + ": file " + f.name() + " is corrupt (sha256 " + sha.substring(0, 12)
                        + "..., manifest says " + f.sha256().substring(0, 12) + "...)");
            }
        } catch (IOException e) {
            throw new CheckpointException("step " + step + ": cannot read " + f.name() + ": " + e.getMessage(), e);
        }
    }

    /** Reads a verified checkpoint's files; throws naming the step and file when it is not intact. */
    public Map<String, byte[]> read(long step) throws CheckpointException {
        CheckpointManifest m = verify(step);
        var out = new LinkedHashMap<String, byte[]>();
        for (ManifestFile f : m.files()) {
            try {
                out.put(f.name(), Files.readAllBytes(stepDir(step).resolve(f.name())));
            } catch (IOException e) {
                throw new CheckpointException("step " + step + ": cannot read " + f.name() + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    /** The newest step that verifies, with the reasons older-than-newest candidates were skipped. */
    public Optional<Long> newestIntact(List<String> skipped) throws IOException {
        for (long step : committedSteps()) {
            try {
                verify(step);
                return Optional.of(step);
            } catch (CheckpointException e) {
                skipped.add(e.getMessage());
            }
        }
        return Optional.empty();
    }

    public static String sha256(byte[] data) {
        return HexFormat.of().formatHex(digest().digest(data));
    }

    public static String sha256(Path file) throws IOException {
        MessageDigest md = digest();
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static void checkName(String name) throws IOException {
        if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.equals(".") || name.equals("..")
                || name.equals(CheckpointManifest.FILE_NAME) || name.endsWith(".tmp")) {
            throw new IOException("bad checkpoint file name \"" + name + "\"");
        }
    }

    private static final int WRITE_CHUNK = 1 << 20;

    /** Hashes checkpoint files beside the writes (daemon threads, one per core). */
    private static final ExecutorService HASHING = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors(), r -> {
        Thread t = new Thread(r, "checkpoint-sha256");
        t.setDaemon(true);
        return t;
    });

    private static void writeDurably(Path f, byte[] data) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            for (int off = 0; off < data.length; off += WRITE_CHUNK) { // slices: the JDK copies each via a direct buffer of its size
                ByteBuffer b = ByteBuffer.wrap(data, off, Math.min(WRITE_CHUNK, data.length - off));
                while (b.hasRemaining()) ch.write(b);
            }
            ch.force(true);
        }
    }

    private static void fsyncDir(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException ignored) {
            // some file systems cannot open directories; the rename is still atomic
        }
    }

    /** Fetches one file of a step into {@code dest} (from a peer, S3, ...). */
    @FunctionalInterface
    public interface FileFetcher {
        void fetch(ManifestFile file, Path dest) throws IOException;
    }

    /** Fetches all files of a step, each into its destination, in whatever order or parallelism it likes. */
    @FunctionalInterface
    public interface StepFetcher {
        void fetchAll(Map<ManifestFile, Path> destinations) throws IOException;
    }

    /** {@link #importStep(CheckpointManifest, String, StepFetcher)} fetching one file after the other. */
    public CheckpointManifest importStep(CheckpointManifest m, String source, FileFetcher fetcher) throws IOException, CheckpointException {
        return importStep(m, source, (StepFetcher) all -> {
            for (var e : all.entrySet()) fetcher.fetch(e.getKey(), e.getValue());
        });
    }

    /**
     * Brings a step in from elsewhere: every file of {@code m} is fetched into a staging
     * directory and checked against its sha256, then the step is committed here (manifest last).
     * A bad file aborts it naming the file and {@code source}; nothing half-imported is left.
     */
    public CheckpointManifest importStep(CheckpointManifest m, String source, StepFetcher fetcher) throws IOException, CheckpointException {
        long step = m.step();
        if (isCommitted(step)) return verify(step);
        Path staging = root.resolve(".incoming-step-" + step);
        deleteTree(staging);
        Files.createDirectories(staging);
        try {
            var destinations = new LinkedHashMap<ManifestFile, Path>();
            for (ManifestFile f : m.files()) {
                checkName(f.name());
                destinations.put(f, staging.resolve(f.name()));
            }
            fetcher.fetchAll(destinations);
            for (ManifestFile f : m.files()) {
                Path dest = destinations.get(f);
                String sha = sha256(dest);
                if (!sha.equals(f.sha256())) {
                    throw new CheckpointException("step " + step + ": file " + f.name() + " from " + source + " is corrupt (sha256 "
                            + sha.substring(0, 12) + "..., manifest says " + f.sha256().substring(0, 12) + "...)");
                }
            }
            Path dir = stepDir(step);
            deleteTree(dir);
            Files.move(staging, dir);
            commit(dir, m);
            return m; // every file was checked above: no second pass over the data
        } finally {
            deleteTree(staging);
        }
    }

    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
