package io.spottrain.protocol.checkpoint;

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
}
