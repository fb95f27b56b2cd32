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
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RankLogArchiverTest {
    static final String SECRET = "s3cr3t-value-0123456789";
    static final Redactor REDACTOR = new Redactor(List.of(SECRET));

    @TempDir
    Path dir;

    RankLogArchiver.Watched watched = new RankLogArchiver.Watched("job-1", 2, 1, null);

    RankLogArchiver archiver(Duration every) {
        return new RankLogArchiver("node3", remote -> Optional.empty(), REDACTOR, every);
    }

    @Test
    void aSmallFileIsCopiedWholeWithSecretsMasked() throws Exception {
        Path f = Files.writeString(dir.resolve("job-1-g2-rank1.log"), "starting\nkey=" + SECRET + "\nstep 25 loss 0.9\n");
        try (var a = archiver(Duration.ofHours(1))) {
            ArchivedRankLog copy = a.read(f, watched);
            assertEquals("starting\nkey=" + Redactor.MASK + "\nstep 25 loss 0.9\n", copy.text());
            assertFalse(copy.text().contains(SECRET));
            assertEquals(0, copy.from());
            assertEquals(Files.size(f), copy.to());
            assertEquals("node3", copy.nodeId());
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
            ArchivedRankLog copy = a.read(f, watched);
            assertTrue(copy.text().startsWith("step "), copy.text().substring(0, 40));
            assertTrue(copy.text().length() <= ArchivedRankLog.MAX_BYTES);
            assertTrue(copy.from() > 0);
            assertEquals(sb.substring((int) copy.from(), (int) copy.to()), copy.text(), "the range it says it holds");
            assertFalse(copy.text().contains(SECRET.substring(0, 10)), "the start of a secret being written is not shown");
            assertTrue(copy.text().endsWith("being written: "), copy.text().substring(copy.text().length() - 30));
        }
    }

    @Test
    void noFileOrALinkIsNoCopy() throws Exception {
        Path target = Files.writeString(dir.resolve("elsewhere"), "x\n");
        Path link = Files.createSymbolicLink(dir.resolve("link.log"), target);
        try (var a = archiver(Duration.ofHours(1))) {
            assertNull(a.read(dir.resolve("missing.log"), watched));
            assertNull(a.read(link, watched));
        }
    }

    /** The rank's exit copies at once; while it runs, a grown file is copied each tick; a real S3 API server holds the copies. */
    @Test
    void copiesToTheJobsRemoteTierWhileItRunsAndAtExit() throws Exception {
        try (var s3 = EmbeddedS3.start(dir.resolve("s3")); var store = new AwsS3ObjectStore(s3.settings("logs"))) {
            store.ensureBucket();
            var tier = new RemoteTier(store, "prefix");
            Path f = Files.writeString(dir.resolve("job-1-g2-rank1.log"), "first line\n");
            try (var a = new RankLogArchiver("node3", remote -> Optional.of(tier), REDACTOR, Duration.ofMillis(200))) {
                a.watch("job-1", 2, 1, f, null);
                assertEquals("first line\n", await(tier, "first line\n").text(), "copied within a tick");
                Files.writeString(f, "second line\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
                await(tier, "first line\nsecond line\n");
                Files.writeString(f, "last words\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
                a.exited(f);
                assertEquals("first line\nsecond line\nlast words\n", await(tier, "first line\nsecond line\nlast words\n").text());
            }
        }
    }

    private static ArchivedRankLog await(RemoteTier tier, String text) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        Optional<ArchivedRankLog> copy = Optional.empty();
        while (System.nanoTime() < deadline) {
            copy = tier.rankLog("job-1", 2, 1);
            if (copy.isPresent() && copy.get().text().equals(text)) return copy.get();
            Thread.sleep(50);
        }
        throw new AssertionError("no copy holding " + text + " within 10 s; last: " + copy);
    }
}
