package io.spottrain.checkpoint.remote;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicInteger;

/** One embedded S3 server per test class; each test gets its own bucket. */
final class S3ProxyFixture implements AutoCloseable {
    private static final AtomicInteger BUCKETS = new AtomicInteger();
    final Path dir;
    final EmbeddedS3 s3;

    S3ProxyFixture() throws Exception {
        dir = Files.createTempDirectory("s3proxy");
        s3 = EmbeddedS3.start(dir);
    }

    S3Settings freshBucket() {
        return s3.settings("bucket-" + BUCKETS.incrementAndGet()).withPartSize(S3Settings.MIN_PART);
    }

    @Override
    public void close() throws IOException {
        s3.close();
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
