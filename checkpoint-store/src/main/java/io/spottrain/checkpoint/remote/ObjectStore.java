package io.spottrain.checkpoint.remote;

import io.spottrain.checkpoint.Progress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The narrow seam to an S3-compatible object store (Flink's {@code S3AccessHelper} idea): the
 * checkpoint logic ({@link RemoteTier}) is written once on top of it; AWS SDK v2 and MinIO
 * implement it and pass one contract test against a real S3 server.
 */
public interface ObjectStore extends AutoCloseable {

    /** e.g. {@code aws-sdk s3://bucket at http://127.0.0.1:9000}; never contains credentials. */
    String describe();

    /** Creates the bucket if it does not exist. */
    void ensureBucket() throws IOException;

    /**
     * Uploads a file, in parallel parts above the part size, each part's MD5 checked by the
     * server; then checks the stored size. Throws on any failure (a partial multipart upload is
     * aborted).
     */
    void putFile(String key, Path file, Progress progress) throws IOException;

    /**
     * Writes a small object. With {@code ifAbsent} the write is create-only
     * ({@code If-None-Match: *}) and returns false when the key already exists — where the server
     * honours it ({@link #conditionalWrites()}); elsewhere it always writes and returns true.
     */
    boolean putBytes(String key, byte[] data, boolean ifAbsent) throws IOException;

    Optional<byte[]> getBytes(String key) throws IOException;

    void getFile(String key, Path dest, Progress progress) throws IOException;

    /** The object's size, or empty when it does not exist. */
    Optional<Long> size(String key) throws IOException;

    /** Keys under a prefix, in lexicographic order. */
    List<String> list(String prefix) throws IOException;

    void delete(String key) throws IOException;

    /** Whether this server honours {@code If-None-Match: *} on PUT (probed once). */
    boolean conditionalWrites();

    @Override
    void close();
}
