package io.spottrain.checkpoint.remote;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.testcontainers.containers.MinIOContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * The AWS SDK backend with S3 checksums on, against a real MinIO server (which validates them):
 * a file that does not hash to the SHA-256 it is sent with is refused. Skipped (not failed)
 * without Docker.
 */
@Testcontainers(disabledWithoutDocker = true)
class AwsOnMinioContainerTest extends ObjectStoreContract {
    @Container
    static final MinIOContainer MINIO = new MinIOContainer("minio/minio:RELEASE.2025-04-22T22-12-26Z");

    private static int bucket;
    final List<ObjectStore> opened = new ArrayList<>();

    @AfterEach
    void closeStores() {
        opened.forEach(ObjectStore::close);
    }

    @Override
    ObjectStore store() {
        var settings = new S3Settings(URI.create(MINIO.getS3URL()), "us-east-1", "bucket-" + (++bucket), MINIO.getUserName(),
                MINIO.getPassword(), true, false, S3Settings.MIN_PART, 4);
        var s = new AwsS3ObjectStore(settings);
        opened.add(s);
        return s;
    }
}
