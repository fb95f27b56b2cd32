package io.spottrain.checkpoint.upload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.checkpoint.remote.AwsS3ObjectStore;
import io.spottrain.checkpoint.remote.EmbeddedS3;
import io.spottrain.checkpoint.remote.RemoteTier;
import io.spottrain.checkpoint.remote.S3Settings;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** S3 goes down while checkpoints keep coming: they wait on the local tier, then go out oldest first. */
@Timeout(120)
class AsyncUploaderTest {
    @TempDir
    Path tmp;

    @Test
    void uploadsResumeOldestFirstWhenS3ComesBackAndNothingIsLost() throws Exception {
        int port;
        try (var s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path s3dir = tmp.resolve("s3");
        EmbeddedS3 s3 = EmbeddedS3.start(s3dir, port, "testaccess", "testsecret0123456789");
        var settings = s3.settings("ckpts");
        var uploaded = new CopyOnWriteArrayList<Long>();
        var failures = new CopyOnWriteArrayList<String>();
        var local = new CheckpointDir(tmp.resolve("local"));
        try (var store = new AwsS3ObjectStore(settings);
                var uploader = new AsyncUploader(new RemoteTier(store, "p"),
                        UploaderSettings.defaults().withBackoff(Duration.ofMillis(50), Duration.ofMillis(400)),
                        new AsyncUploader.Listener() {
                            @Override
                            public void uploaded(String job, long step, long bytes, long millis, int attempts) {
                                uploaded.add(step);
                            }

                            @Override
                            public void attemptFailed(String job, long step, int attempt, String reason, long retryInMillis) {
                                failures.add(step + ": " + reason);
                            }
                        })) {
            store.ensureBucket();
            local.write(1, 1, 1, "j", Map.of("p.bin", new byte[100]), Map.of(), Map.of());
            uploader.submit("j", local, 1);
            assertTrue(uploader.awaitIdle(20_000));
            assertEquals(List.of(1L), uploaded);

            s3.close(); // S3 is down
            for (long step = 2; step <= 4; step++) {
                local.write(step, 1, 1, "j", Map.of("p.bin", new byte[(int) (100 * step)]), Map.of(), Map.of());
            }
            uploader.submit("j", local, 4); // out of order on purpose
            uploader.submit("j", local, 2);
            uploader.submit("j", local, 3);
            long deadline = System.currentTimeMillis() + 20_000;
            while (failures.size() < 3 && System.currentTimeMillis() < deadline) Thread.sleep(20);
            var backlog = uploader.backlog();
            assertEquals(3, backlog.steps());
            assertEquals(900, backlog.bytes());
            assertEquals(2L, backlog.oldestStep());
            assertNotNull(backlog.lastError());
            assertEquals(List.of(1L), uploaded, "nothing went out while S3 was down");

            s3 = EmbeddedS3.start(s3dir, port, "testaccess", "testsecret0123456789"); // back, same data
            assertTrue(uploader.awaitIdle(30_000), () -> "backlog did not drain: " + uploader.backlog());
            assertEquals(List.of(1L, 2L, 3L, 4L), uploaded, "oldest first");
            assertEquals(List.of(4L, 3L, 2L, 1L), new RemoteTier(store, "p").committedSteps("j"));
            assertEquals(0, uploader.backlog().steps());
        } finally {
            s3.close();
        }
    }

    @Test
    void theBandwidthCapSlowsUploadsDown() throws Exception {
        try (var s3 = EmbeddedS3.start(tmp.resolve("s3cap"));
                var store = new AwsS3ObjectStore(s3.settings("cap").withPartSize(S3Settings.MIN_PART))) {
            store.ensureBucket();
            var local = new CheckpointDir(tmp.resolve("cap-local"));
            local.write(1, 1, 1, "j", Map.of("big.bin", new byte[12 * 1024 * 1024]), Map.of(), Map.of()); // 3 parts
            var millis = new CopyOnWriteArrayList<Long>();
            try (var uploader = new AsyncUploader(new RemoteTier(store, "p"), UploaderSettings.defaults().withBytesPerSecond(6L * 1024 * 1024),
                    (job, step, bytes, ms, attempts) -> millis.add(ms))) {
                long t0 = System.nanoTime();
                uploader.submit("j", local, 1);
                assertTrue(uploader.awaitIdle(60_000));
                double seconds = (System.nanoTime() - t0) / 1e9;
                // 12 MiB at 6 MiB/s: at least ~1.5 s even on loopback (the last part is not waited for)
                assertTrue(seconds >= 1.4, "took " + seconds + " s");
            }
        }
    }

    @Test
    void backoffDoublesUpToTheCapWithJitter() {
        var u = new AsyncUploader(null, UploaderSettings.defaults().withBackoff(Duration.ofMillis(100), Duration.ofMillis(1000)),
                (job, step, bytes, millis, attempts) -> { });
        try {
            for (int attempt = 1; attempt <= 8; attempt++) {
                long cap = Math.min(1000, 100L << (attempt - 1));
                long d = u.backoff(attempt);
                assertTrue(d >= cap / 2 && d <= cap, "attempt " + attempt + ": " + d + " not in [" + cap / 2 + ", " + cap + "]");
            }
        } finally {
            u.close();
        }
    }
}
