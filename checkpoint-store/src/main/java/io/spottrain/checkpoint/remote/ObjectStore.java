package io.spottrain.checkpoint.remote;

import io.spottrain.checkpoint.Progress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The narrow seam to an S3-compatible object store (Flink's {@code S3AccessHelper} idea): the
 * checkpoint logic ({@link RemoteTier}) is written once on top of it; AWS SDK v2 and MinIO
 * implement it and pass one contract test against a real S3 server.
 */
public interface ObjectStore extends AutoCloseable {

    /** e.g. {@code aws-sdk s3://bucket at http://127.0.0.1:9000}; never contains credentials. */
    String describe();

    /** The S3 requests this store made since it was made, by pricing class ({@link RequestCounts#NONE}: not counted by this backend). */
    default RequestCounts requests() {
        return RequestCounts.NONE;
    }

    /** Creates the bucket if it does not exist. */
    void ensureBucket() throws IOException;

    /**
     * Uploads a file (in parallel parts above the part size), with {@code sha256} (hex, the
     * manifest's; may be null) as the object's checksum where the backend and server support it, so
     * the server rejects bytes that do not match. Throws on any failure (a partial multipart upload
     * is aborted).
     */
    void putFile(String key, Path file, String sha256, Progress progress) throws IOException;

    /** {@link #putFile} started now and completed by the future (backends without async I/O run it on a pool thread). */
    default CompletableFuture<Void> putFileAsync(String key, Path file, String sha256, Progress progress) {
        return CompletableFuture.runAsync(() -> {
            try {
                putFile(key, file, sha256, progress);
            } catch (IOException e) {
                throw new CompletionException(e);
            }
        });
    }

    /**
     * Writes a small object. With {@code ifAbsent} the write is create-only
     * ({@code If-None-Match: *}) and returns false when the key already exists — where the server
     * honours it ({@link #conditionalWrites()}); elsewhere it always writes and returns true.
     */
    boolean putBytes(String key, byte[] data, boolean ifAbsent) throws IOException;

    Optional<byte[]> getBytes(String key) throws IOException;

    void getFile(String key, Path dest, Progress progress) throws IOException;

    /** {@link #getFile} started now and completed by the future. */
    default CompletableFuture<Void> getFileAsync(String key, Path dest, Progress progress) {
        return CompletableFuture.runAsync(() -> {
            try {
                getFile(key, dest, progress);
            } catch (IOException e) {
                throw new CompletionException(e);
            }
        });
    }

    /** The object's size, or empty when it does not exist. */
    Optional<Long> size(String key) throws IOException;

    /** Keys under a prefix, in lexicographic order. */
    List<String> list(String prefix) throws IOException;

    void delete(String key) throws IOException;

    /**
     * Whether an upload of a file of this size has the server check the SHA-256 handed to
     * {@link #putFile} (then the uploader need not hash the file itself first).
     */
    default boolean serverChecksSha256(long size) {
        return false;
    }

    /** Whether this server honours {@code If-None-Match: *} on PUT (probed once). */
    boolean conditionalWrites();

    @Override
    void close();
}
