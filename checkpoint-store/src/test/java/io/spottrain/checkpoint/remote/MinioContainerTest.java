package io.spottrain.checkpoint.remote;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.testcontainers.containers.MinIOContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/** The same contract against a real MinIO server in Docker; skipped (not failed) without Docker. */
@Testcontainers(disabledWithoutDocker = true)
class MinioContainerTest extends ObjectStoreContract {
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
        var settings = S3Settings.compatible(URI.create(MINIO.getS3URL()), "bucket-" + (++bucket), MINIO.getUserName(),
                MINIO.getPassword()).withPartSize(S3Settings.MIN_PART);
        var s = new MinioObjectStore(settings);
        opened.add(s);
        return s;
    }
}
