package io.spottrain.agent.supervision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.checkpoint.remote.ArchivedRankLog;
import io.spottrain.checkpoint.remote.AwsS3ObjectStore;
import io.spottrain.checkpoint.remote.EmbeddedS3;
import io.spottrain.checkpoint.remote.RemoteTier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RankLogArchiverTest {
    static final String SECRET = "s3cr3t-value-0123456789";
    static final Redactor REDACTOR = new Redactor(List.of(SECRET));

    @TempDir
    Path dir;

    /** One S3 API server (S3Proxy) for the class; each test its own bucket. */
    @TempDir
    static Path s3Dir;
    static EmbeddedS3 s3;
    final List<AwsS3ObjectStore> stores = new ArrayList<>();

    @BeforeAll
    static void startS3() throws Exception {
        s3 = EmbeddedS3.start(s3Dir);
    }

    @AfterAll
    static void stopS3() {
        s3.close();
    }

    @AfterEach
    void closeStores() {
        stores.forEach(AwsS3ObjectStore::close);
    }

    RemoteTier tier(String bucket, String prefix) throws Exception {
        var store = new AwsS3ObjectStore(s3.settings(bucket));
        stores.add(store);
        store.ensureBucket();
        return new RemoteTier(store, prefix);
    }

    RankLogArchiver.Watched watched = new RankLogArchiver.Watched("job-1", 2, 1, null, 4242);

    RankLogArchiver archiver(Duration every) {
        return new RankLogArchiver("node3", remote -> Optional.empty(), () -> REDACTOR, every);
    }

    @Test
    void aSmallFileIsCopiedWholeWithSecretsMasked() throws Exception {
        Path f = Files.writeString(dir.resolve("job-1-g2-rank1.log"), "starting\nkey=" + SECRET + "\nstep 25 loss 0.9\n");
        try (var a = archiver(Duration.ofHours(1))) {
            ArchivedRankLog copy = a.read(f, watched, REDACTOR);
            assertEquals("starting\nkey=" + Redactor.MASK + "\nstep 25 loss 0.9\n", copy.text());
            assertFalse(copy.text().contains(SECRET));
            assertEquals(0, copy.from());
            assertEquals(Files.size(f), copy.to());
            assertEquals("node3", copy.nodeId());
            assertEquals(f.toString(), copy.file());
            assertEquals(2, copy.fileGeneration());
            assertEquals(1, copy.fileRank());
        }
    }

    @Test
    void aLargeFileKeepsItsEndFromAWholeLineAndNeverHalfASecretAtTheEnd() throws Exception {
        var sb = new StringBuilder();
        for (int i = 0; sb.length() < ArchivedRankLog.MAX_BYTES + 5000; i++) sb.append("step ").append(i).append(" loss 0.5\n");
        sb.append("being written: ").append(SECRET, 0, 10); // a secret still being written at the end
        Path f = Files.writeString(dir.resolve("big.log"), sb.toString());
        try (var a = archiver(Duration.ofHours(1))) {
            ArchivedRankLog copy = a.read(f, watched, REDACTOR);
            assertTrue(copy.text().startsWith("step "), copy.text().substring(0, 40));
            assertTrue(copy.text().length() <= ArchivedRankLog.MAX_BYTES);
            assertTrue(copy.from() > 0);
            assertEquals(sb.substring((int) copy.from(), (int) copy.to()), copy.text(), "the range it says it holds");
            assertTrue(sb.charAt((int) copy.from() - 1) == '\n', "from a whole line");
            assertFalse(copy.text().contains(SECRET.substring(0, 10)), "the start of a secret being written is not shown");
            assertTrue(copy.text().endsWith("being written: "), copy.text().substring(copy.text().length() - 30));
        }
    }

    /** A secret with newlines in it (a PEM key) that began before the window: its rest is not shown either. */
    @Test
    void aMultiLineSecretThatSpansTheWindowsStartIsSkipped() throws Exception {
        String pem = "-----BEGIN KEY-----\nAAAAsecretline1\nBBBBsecretline2\n-----END KEY-----";
        var r = new Redactor(List.of(pem));
        var sb = new StringBuilder();
        sb.append("x".repeat(100)).append('\n').append(pem).append('\n');
        int pemStart = 101;
        // pad so the window starts inside the key, after its first newline
        while (sb.length() - (pemStart + 25) < ArchivedRankLog.MAX_BYTES) sb.append("step ").append(sb.length()).append('\n');
        Path f = Files.writeString(dir.resolve("pem.log"), sb.toString());
        try (var a = new RankLogArchiver("node3", remote -> Optional.empty(), () -> r, Duration.ofHours(1))) {
            ArchivedRankLog copy = a.read(f, watched, r);
            assertTrue(sb.length() - ArchivedRankLog.MAX_BYTES > pemStart && sb.length() - ArchivedRankLog.MAX_BYTES < pemStart + pem.length(),
                    "the window starts inside the key");
            assertFalse(copy.text().contains("secretline2"), copy.text().substring(0, 80));
            assertFalse(copy.text().contains("END KEY"), copy.text().substring(0, 80));
            assertTrue(copy.text().startsWith("step "), copy.text().substring(0, 80));
        }
    }

    @Test
    void noFileOrALinkIsNoCopy() throws Exception {
        Path target = Files.writeString(dir.resolve("elsewhere"), "x\n");
        Path link = Files.createSymbolicLink(dir.resolve("link.log"), target);
        try (var a = archiver(Duration.ofHours(1))) {
            assertNull(a.read(dir.resolve("missing.log"), watched, REDACTOR));
            assertNull(a.read(link, watched, REDACTOR));
        }
    }

    /** The rank's exit copies at once; while it runs, a grown file is copied each tick; a real S3 API server holds the copies. */
    @Test
    void copiesToTheJobsRemoteTierWhileItRunsAndAtExit() throws Exception {
        var tier = tier("logs-1", "prefix");
        Path f = Files.writeString(dir.resolve("job-1-g2-rank1.log"), "first line\n");
        try (var a = new RankLogArchiver("node3", remote -> Optional.of(tier), () -> REDACTOR, Duration.ofMillis(200))) {
            var first = a.watch("job-1", 2, 1, 100, f, null);
            assertEquals("first line\n", await(tier, "first line\n").text(), "copied within a tick");
            Files.writeString(f, "second line\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            await(tier, "first line\nsecond line\n");
            Files.writeString(f, "last words\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            var again = a.watch("job-1", 2, 1, 101, f, null); // the rank restarted into the same file before the first's exit came
            a.exited(f, first);
            assertEquals("first line\nsecond line\nlast words\n", await(tier, "first line\nsecond line\nlast words\n").text());
            Files.writeString(f, "restarted\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            await(tier, "first line\nsecond line\nlast words\nrestarted\n"); // the restarted process is still watched
            a.exited(f, again);
        }
    }

    /** A long interval still copies a rank's start-up output soon (a node lost 12 s into a job once had no copy at all). */
    @Test
    void theFirstCopyComesSoonAfterTheStartWhateverTheInterval() throws Exception {
        var tier = tier("logs-2", "");
        Path f = Files.writeString(dir.resolve("job-1-g2-rank1.log"), "loading the model\n");
        try (var a = new RankLogArchiver("node3", remote -> Optional.of(tier), () -> REDACTOR, Duration.ofHours(1))) {
            long t0 = System.nanoTime();
            a.watch("job-1", 2, 1, 100, f, null);
            await(tier, "loading the model\n");
            double secs = (System.nanoTime() - t0) / 1e9;
            assertTrue(secs >= RankLogArchiver.FIRST_COPY.toSeconds() - 0.5 && secs < RankLogArchiver.FIRST_COPY.toSeconds() + 5,
                    "first copy after " + secs + " s");
        }
    }

    /** A first copy that fails (S3 unreachable for a moment) is tried again soon, not an interval later. */
    @Test
    void aFailedCopyIsTriedAgainSoon() throws Exception {
        var tier = tier("logs-3", "");
        var calls = new AtomicInteger();
        Path f = Files.writeString(dir.resolve("job-1-g2-rank1.log"), "loading the model\n");
        try (var a = new RankLogArchiver("node3", remote -> {
            if (calls.incrementAndGet() == 1) throw new IllegalStateException("remote tier not reachable");
            return Optional.of(tier);
        }, () -> REDACTOR, Duration.ofHours(1))) {
            a.watch("job-1", 2, 1, 100, f, null);
            await(tier, "loading the model\n", 20);
            assertEquals(2, calls.get(), "one failure, then the copy");
        }
    }

    private static ArchivedRankLog await(RemoteTier tier, String text) throws Exception {
        return await(tier, text, 10);
    }

    private static ArchivedRankLog await(RemoteTier tier, String text, int seconds) throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        Optional<ArchivedRankLog> copy = Optional.empty();
        while (System.nanoTime() < deadline) {
            copy = tier.rankLog("job-1", 2, 1, "node3");
            if (copy.isPresent() && copy.get().text().equals(text)) return copy.get();
            Thread.sleep(50);
        }
        throw new AssertionError("no copy holding " + text + " within " + seconds + " s; last: " + copy);
    }
}
