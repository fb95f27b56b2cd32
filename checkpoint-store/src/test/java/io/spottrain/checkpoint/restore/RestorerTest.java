package io.spottrain.checkpoint.restore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.checkpoint.Progress;
import io.spottrain.checkpoint.remote.AwsS3ObjectStore;
import io.spottrain.checkpoint.remote.EmbeddedS3;
import io.spottrain.checkpoint.remote.ObjectStore;
import io.spottrain.checkpoint.remote.RemoteTier;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Restore prefers the local tier, then a surviving peer (over HTTP), then S3; corrupt copies are skipped by name. */
class RestorerTest {
    static EmbeddedS3 s3;
    static int buckets;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws Exception {
        s3 = EmbeddedS3.start(Files.createTempDirectory("s3"));
    }

    @AfterAll
    static void stop() {
        s3.close();
    }

    static Map<String, byte[]> state(long step) {
        return Map.of("params.bin", ("params@" + step).getBytes());
    }

    RemoteTier remote() throws Exception {
        ObjectStore store = new AwsS3ObjectStore(s3.settings("restore-" + (++buckets)));
        store.ensureBucket();
        return new RemoteTier(store, "r");
    }

    @Test
    void localFirstThenPeerThenS3() throws Exception {
        var mine = new CheckpointDir(tmp.resolve("mine"));
        var peerTier = new CheckpointDir(tmp.resolve("peer"));
        RemoteTier remote = remote();
        // S3 has 10 and 20; the peer has 20 and 30; this node has 10
        var uploader = new CheckpointDir(tmp.resolve("uploader"));
        for (long s : List.of(10L, 20L)) {
            uploader.write(s, 2, 1, "j", state(s), Map.of(), Map.of());
            remote.upload("j", uploader, s, Progress.NONE);
        }
        peerTier.write(20, 2, 1, "j", state(20), Map.of(), Map.of());
        peerTier.write(30, 2, 1, "j", state(30), Map.of(), Map.of());
        mine.write(10, 2, 1, "j", state(10), Map.of(), Map.of());
        try (var server = new PeerTierServer("127.0.0.1", 0, job -> peerTier)) {
            var sources = List.<CheckpointSource>of(new PeerSource("node-dead", "http://127.0.0.1:1"),
                    new PeerSource("node2", server.url()), new RemoteSource(remote));
            var r = new Restorer(mine, sources).restore("j", Progress.NONE);
            assertEquals(30, r.step());
            assertEquals("peer node2", r.source());
            assertArrayEquals(state(30).get("params.bin"), mine.read(30).get("params.bin"));
            // now the newest is local
            assertEquals("local", new Restorer(mine, sources).restore("j", Progress.NONE).source());
        }
    }

    @Test
    void aCorruptNewestStepFallsBackToThePreviousOneSayingWhichFile() throws Exception {
        var mine = new CheckpointDir(tmp.resolve("mine2"));
        RemoteTier remote = remote();
        var uploader = new CheckpointDir(tmp.resolve("up2"));
        for (long s : List.of(10L, 20L)) {
            uploader.write(s, 1, 1, "j", state(s), Map.of(), Map.of());
            remote.upload("j", uploader, s, Progress.NONE);
        }
        remote.store().putBytes("r/j/step-20/params.bin", "params@2X".getBytes(), false);
        var r = new Restorer(mine, List.of(new RemoteSource(remote))).restore("j", Progress.NONE);
        assertEquals(10, r.step());
        assertTrue(r.source().startsWith("s3 (aws-sdk s3://restore-"), r.source());
        assertEquals(1, r.skipped().size());
        assertTrue(r.skipped().get(0).contains("step 20: file params.bin from aws-sdk s3://"), r.skipped().toString());
        assertFalse(mine.isCommitted(20));
    }

    @Test
    void aCorruptLocalCopyIsQuarantinedAndRefetched() throws Exception {
        var mine = new CheckpointDir(tmp.resolve("mine3"));
        var peerTier = new CheckpointDir(tmp.resolve("peer3"));
        mine.write(40, 1, 1, "j", state(40), Map.of(), Map.of());
        peerTier.write(40, 1, 1, "j", state(40), Map.of(), Map.of());
        Files.writeString(mine.stepDir(40).resolve("params.bin"), "params@4X");
        try (var server = new PeerTierServer("127.0.0.1", 0, job -> peerTier)) {
            var r = new Restorer(mine, List.of(new PeerSource("node3", server.url()))).restore("j", Progress.NONE);
            assertEquals(40, r.step());
            assertEquals("peer node3", r.source());
            assertTrue(r.skipped().get(0).startsWith("local: step 40: file params.bin is corrupt"), r.skipped().toString());
            assertArrayEquals(state(40).get("params.bin"), mine.read(40).get("params.bin"));
        }
    }

    @Test
    void nothingAnywhereIsAClearNone() throws Exception {
        var r = new Restorer(new CheckpointDir(tmp.resolve("empty")), List.of(new PeerSource("x", "http://127.0.0.1:1")))
                .restore("j", Progress.NONE);
        assertFalse(r.found());
        assertEquals(0, r.step());
    }
}
