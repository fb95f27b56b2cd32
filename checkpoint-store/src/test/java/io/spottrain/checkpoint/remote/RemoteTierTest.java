package io.spottrain.checkpoint.remote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.checkpoint.Progress;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import io.spottrain.protocol.checkpoint.CheckpointException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The remote tier's commit protocol against a real S3 API server (S3Proxy). */
class RemoteTierTest {
    static S3ProxyFixture s3;

    @TempDir
    Path tmp;

    ObjectStore store;
    RemoteTier remote;
    CheckpointDir local;

    @BeforeAll
    static void startS3() throws Exception {
        s3 = new S3ProxyFixture();
    }

    @AfterAll
    static void stopS3() throws Exception {
        s3.close();
    }

    @BeforeEach
    void setUp() throws Exception {
        store = new AwsS3ObjectStore(s3.freshBucket());
        store.ensureBucket();
        remote = new RemoteTier(store, "ckpt");
        local = new CheckpointDir(tmp.resolve("local"));
    }

    @AfterEach
    void tearDown() {
        store.close();
    }

    static Map<String, byte[]> files(String tag) {
        var m = new LinkedHashMap<String, byte[]>();
        m.put("params.bin", ("params-" + tag).getBytes(StandardCharsets.UTF_8));
        m.put("optimizer.bin", ("optimizer-" + tag).getBytes(StandardCharsets.UTF_8));
        return m;
    }

    @Test
    void uploadCommitsManifestLastAndMovesLatest() throws Exception {
        local.write(10, 2, 1, "j", files("a"), Map.of(), Map.of());
        local.write(20, 2, 1, "j", files("b"), Map.of(), Map.of());
        var up = remote.upload("j", local, 10, Progress.NONE);
        assertFalse(up.alreadyRemote());
        assertEquals(files("a").values().stream().mapToLong(b -> b.length).sum(), up.bytes());
        remote.upload("j", local, 20, Progress.NONE);
        assertEquals(List.of(20L, 10L), remote.committedSteps("j"));
        assertEquals(Optional.of(20L), remote.latest("j"));
        assertTrue(remote.upload("j", local, 20, Progress.NONE).alreadyRemote(), "idempotent");
        // latest never moves backwards
        remote.moveLatest("j", 10);
        assertEquals(Optional.of(20L), remote.latest("j"));
        assertEquals(List.of("ckpt/j/latest", "ckpt/j/step-10/MANIFEST.json", "ckpt/j/step-10/optimizer.bin",
                "ckpt/j/step-10/params.bin"), store.list("ckpt/j/").stream().filter(k -> !k.contains("step-20")).toList());
    }

    @Test
    void filesWithoutAManifestAreNotACheckpoint() throws Exception {
        local.write(10, 1, 1, "j", files("a"), Map.of(), Map.of());
        remote.upload("j", local, 10, Progress.NONE);
        // a crash after the shards of step 20, before its manifest
        store.putBytes("ckpt/j/step-20/params.bin", new byte[] {1, 2}, false);
        assertEquals(List.of(10L), remote.committedSteps("j"));
        var target = new CheckpointDir(tmp.resolve("other"));
        assertThrows(CheckpointException.class, () -> remote.download("j", 20, target, Progress.NONE));
        assertFalse(target.isCommitted(20));
    }

    @Test
    void downloadVerifiesEveryFileAndNamesACorruptOne() throws Exception {
        local.write(10, 1, 1, "j", files("a"), Map.of(), Map.of());
        remote.upload("j", local, 10, Progress.NONE);
        var target = new CheckpointDir(tmp.resolve("fresh"));
        remote.download("j", 10, target, Progress.NONE);
        assertArrayEquals(files("a").get("params.bin"), target.read(10).get("params.bin"));

        store.putBytes("ckpt/j/step-10/optimizer.bin", "optimizer-X".getBytes(StandardCharsets.UTF_8), false); // same size, other bytes
        var again = new CheckpointDir(tmp.resolve("again"));
        var e = assertThrows(CheckpointException.class, () -> remote.download("j", 10, again, Progress.NONE));
        assertTrue(e.getMessage().startsWith("step 10: file optimizer.bin from aws-sdk s3://"), e.getMessage());
        assertTrue(e.getMessage().contains("is corrupt"), e.getMessage());
        assertFalse(again.isCommitted(10), "nothing half-downloaded is left as a checkpoint");
        assertTrue(Files.notExists(tmp.resolve("again/.incoming-step-10")));
    }

    @Test
    void aCorruptLocalStepIsNeverUploaded() throws Exception {
        local.write(10, 1, 1, "j", files("a"), Map.of(), Map.of());
        Files.writeString(local.stepDir(10).resolve("params.bin"), "params-Z");
        assertThrows(CheckpointException.class, () -> remote.upload("j", local, 10, Progress.NONE));
        assertEquals(List.of(), remote.committedSteps("j"));
    }

    @Test
    void retentionKeepsTheNewestAndPinnedSteps() throws Exception {
        for (long s : List.of(10L, 20L, 30L, 40L)) {
            local.write(s, 1, 1, "j", files("s" + s), Map.of(), Map.of());
            remote.upload("j", local, s, Progress.NONE);
        }
        var r = remote.retain("j", 2, Set.of(20L));
        assertEquals(List.of(10L), r.deleted(), "20 is beyond keep=2 but pinned by a restore");
        assertEquals(List.of(40L, 30L, 20L), r.kept());
        assertEquals(List.of(40L, 30L, 20L), remote.committedSteps("j"));
        assertEquals(List.of(), store.list("ckpt/j/step-10/"));
        // keep 0 still keeps the newest complete step
        assertEquals(List.of(40L), remote.retain("j", 0, Set.of()).kept());
        assertEquals(List.of(40L), remote.committedSteps("j"));
    }

    @Test
    void aRankLogCopyIsReadBackAndOutlivesRetention() throws Exception {
        assertEquals(Optional.empty(), remote.rankLog("j", 1, 0, "node7"), "no copy yet");
        var copy = new ArchivedRankLog("j", 1, 0, "node7", "/w/logs/j-g1-rank0.log", 1024, 1060, "2026-12-03T12:00:00Z",
                "step 100 loss 0.5\nstep 125 loss 0.4\n");
        remote.putRankLog(copy);
        assertEquals(Optional.of(copy), remote.rankLog("j", 1, 0, "node7"));
        assertEquals("ckpt/_logs/j/g1-rank0-node7.log", remote.rankLogKey("j", 1, 0, "node7"));
        var staged = new ArchivedRankLog("j", 1, 0, "node9", "/w/logs/j-g1-rank0.log", 0, 10, "2026-12-03T12:00:10Z", "staged\n");
        remote.putRankLog(staged);
        assertEquals(Optional.of(copy), remote.rankLog("j", 1, 0, "node7"), "another node's process for the same rank has its own copy");
        remote.putRankLog(new ArchivedRankLog("j", 1, 0, "node7", "/w/logs/j-g1-rank0.log", 1024, 1080, "2026-12-03T12:00:30Z", "newer\n"));
        assertEquals("newer\n", remote.rankLog("j", 1, 0, "node7").orElseThrow().text(), "a later copy replaces the earlier");
        for (long s : List.of(10L, 20L, 30L)) {
            local.write(s, 1, 1, "j", files("s" + s), Map.of(), Map.of());
            remote.upload("j", local, s, Progress.NONE);
        }
        assertEquals(List.of(30L), remote.retain("j", 1, Set.of()).kept());
        assertTrue(remote.rankLog("j", 1, 0, "node7").isPresent(), "retention removes steps, not the job's logs");
        assertEquals(List.of(30L), remote.committedSteps("j"), "a log is not taken for a step");
        store.putBytes("ckpt/_logs/j/g2-rank0-node7.log", "not a copy".getBytes(StandardCharsets.UTF_8), false);
        assertEquals(Optional.empty(), remote.rankLog("j", 2, 0, "node7"), "an object that is no copy is none");
    }
}
