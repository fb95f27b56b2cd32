package io.spottrain.coordinator.api;

import java.io.IOException;
import java.util.Optional;

/**
 * Where rank output lives on after its node: the copies agents make in each job's remote tier
 * (the launchers module reads them from S3; a cluster without a remote tier has none). The API
 * answers from here when the node that ran a rank cannot.
 */
public interface LogArchive extends AutoCloseable {
    /**
     * The copy of the output file a rank of {@code jobId} started on {@code nodeId} as {@code fileRank} in {@code fileGeneration}.
     *
     * @param jobRemote the job's {@code spec.checkpoint.remote}, null for the cluster's
     */
    Optional<Copy> read(String jobId, String jobRemote, long fileGeneration, int fileRank, String nodeId) throws IOException;

    /**
     * @param location where the copy is (an {@code s3://} URI)
     * @param file     the output file's path on its node
     * @param from     offset in the file where {@code text} starts
     * @param to       the file's size when copied ({@code text} ends there; masked secrets make the text's length differ)
     */
    record Copy(String location, String nodeId, String file, long from, long to, String copiedAt, String text) {}

    /** Closes its clients (the API stops). */
    @Override
    default void close() {}
}
