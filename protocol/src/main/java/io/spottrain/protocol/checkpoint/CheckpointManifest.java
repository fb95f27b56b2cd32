package io.spottrain.protocol.checkpoint;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * {@code MANIFEST.json} of a checkpoint directory {@code step-<n>/}: written last, by atomic
 * rename, after every file it lists is durable. No manifest, no checkpoint.
 *
 * @param metadata free-form facts of the trainer (seed, hyper-parameters, loss), strings only
 */
public record CheckpointManifest(
        String format,
        long step,
        int worldSize,
        long generation,
        String job,
        String createdAt,
        List<ManifestFile> files,
        Map<String, String> metadata) {

    public static final String FORMAT = "spottrain-checkpoint/v1";
    public static final String FILE_NAME = "MANIFEST.json";

    public CheckpointManifest {
        files = List.copyOf(files);
        metadata = Map.copyOf(metadata);
    }

    public long totalBytes() {
        return files.stream().mapToLong(ManifestFile::size).sum();
    }

    /**
     * What the manifest commits to, independent of how its JSON is formatted: SHA-256 (hex) over
     * {@code step}, {@code worldSize} and each file's name, size and SHA-256 (sorted by name). The
     * coordinator records it per node when a rank reports a checkpoint; a node restoring from a
     * peer accepts the peer's manifest only with the recorded digest, and then each file only with
     * the manifest's hash, so a peer cannot serve a step it made up.
     */
    public String digest() {
        var sb = new StringBuilder(format).append('\n').append(step).append('\n').append(worldSize).append('\n');
        files.stream().sorted(Comparator.comparing(ManifestFile::name))
                .forEach(f -> sb.append(f.name()).append(' ').append(f.size()).append(' ').append(f.sha256()).append('\n'));
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(sb.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
