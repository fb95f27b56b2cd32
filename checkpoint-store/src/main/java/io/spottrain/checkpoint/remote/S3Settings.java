package io.spottrain.checkpoint.remote;

import java.net.URI;

/**
 * Where and how to reach an S3-compatible store. {@code checksumsWhenRequired} turns off the AWS
 * SDK's default trailing checksums (S3Proxy and some S3-compatible servers reject them; real S3
 * wants them on). Credentials are never printed: {@link #toString()} hides them.
 */
public record S3Settings(
        URI endpoint,
        String region,
        String bucket,
        String accessKey,
        String secretKey,
        boolean pathStyle,
        boolean checksumsWhenRequired,
        long partSize,
        int parallelism) {

    public static final long MIN_PART = 5L * 1024 * 1024;

    public S3Settings {
        if (bucket == null || bucket.isBlank()) throw new IllegalArgumentException("bucket is required");
        if (partSize < MIN_PART) throw new IllegalArgumentException("partSize must be >= 5 MiB (S3's minimum), got " + partSize);
        if (parallelism < 1) throw new IllegalArgumentException("parallelism must be >= 1, got " + parallelism);
    }

    /** Settings for an S3-compatible server at {@code endpoint} (path-style, checksums when required). */
    public static S3Settings compatible(URI endpoint, String bucket, String accessKey, String secretKey) {
        return new S3Settings(endpoint, "us-east-1", bucket, accessKey, secretKey, true, true, 8 * 1024 * 1024, 4);
    }

    public S3Settings withPartSize(long bytes) {
        return new S3Settings(endpoint, region, bucket, accessKey, secretKey, pathStyle, checksumsWhenRequired, bytes, parallelism);
    }

    public S3Settings withBucket(String b) {
        return new S3Settings(endpoint, region, b, accessKey, secretKey, pathStyle, checksumsWhenRequired, partSize, parallelism);
    }

    @Override
    public String toString() {
        return "S3Settings[endpoint=" + endpoint + ", region=" + region + ", bucket=" + bucket + ", accessKey=***, secretKey=***"
                + ", pathStyle=" + pathStyle + ", partSize=" + partSize + ", parallelism=" + parallelism + "]";
    }
}
