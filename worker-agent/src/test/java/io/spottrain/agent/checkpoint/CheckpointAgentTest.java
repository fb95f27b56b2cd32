package io.spottrain.agent.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.spottrain.checkpoint.remote.EmbeddedS3;
import io.spottrain.checkpoint.remote.RequestCounts;
import io.spottrain.checkpoint.upload.AsyncUploader;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import io.spottrain.protocol.checkpoint.CheckpointTier;
import io.spottrain.protocol.checkpoint.ManifestFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Two agents' checkpoint parts against a real S3 API server: upload, retention, restore from a peer or S3. */
@Timeout(120)
class CheckpointAgentTest {
    @TempDir
    Path tmp;

    RemoteSettings remote(EmbeddedS3 s3) {
        return RemoteSettings.create(ConfigFactory.parseMap(Map.of(
                "spottrain.agent.checkpoint.remote.uri", "s3://tier/jobs",
                "spottrain.agent.checkpoint.remote.endpoint", s3.endpoint().toString(),
                "spottrain.agent.checkpoint.remote.checksums-when-required", "true",
                "spottrain.agent.checkpoint.remote.access-key", s3.accessKey(),
                "spottrain.agent.checkpoint.remote.secret-key", s3.secretKey())).withFallback(ConfigFactory.load()), Map.of());
    }

    @Test
    void rankZeroUploadsKeepsKAndAnotherNodeRestoresFromPeerOrS3() throws Exception {
        try (var s3 = EmbeddedS3.start(tmp.resolve("s3"));
                var node1 = new CheckpointAgent(tmp.resolve("node1"), remote(s3), "127.0.0.1", 0, null);
                var node2 = new CheckpointAgent(tmp.resolve("node2"), remote(s3), "127.0.0.1", 0, null)) {
            var uploads = new CopyOnWriteArrayList<Long>();
            var retained = new Recorded(uploads);
            for (long step = 10; step <= 40; step += 10) {
                node1.tier("j").dir().write(step, 2, 1, "j", Map.of("params.bin", ("p" + step).getBytes()), Map.of(), Map.of());
                node1.committed("j", 0, step, 2, null, retained);
            }
            assertTrue(node1.drain(30_000));
            assertEquals(List.of(10L, 20L, 30L, 40L), uploads);
            assertEquals(List.of(40L, 30L), node1.tier("j").dir().committedSteps(), "local keep=2 after upload");
            assertEquals(List.of(40L, 30L), retained.last(CheckpointTier.REMOTE), "the remote tier's retention was reported");
            assertEquals(List.of(40L, 30L), retained.last(CheckpointTier.LOCAL), "and the local tier's");
            // each report carries the S3 requests since the one before: at least the step's file and manifest PUTs
            assertEquals(4, retained.requests.size());
            assertTrue(retained.requests.stream().allMatch(r -> r.put() >= 2), retained.requests::toString);

            // node2 has nothing; node1 serves 40 as a peer
            String digest40 = node1.tier("j").dir().manifest(40).digest();
            var fromPeer = node2.restore("j", 40, Map.of(node1.peerUrl(), digest40), null);
            assertTrue(fromPeer.source().startsWith("peer"), fromPeer.source());
            assertArrayEquals("p40".getBytes(), node2.tier("j").dir().read(40).get("params.bin"));

            // 30 from S3 when the peer is dead
            var fromS3 = node2.restore("j", 30, Map.of("http://127.0.0.1:1", "unknown"), null);
            assertTrue(fromS3.source().startsWith("s3"), fromS3.source());

            // 10 was removed everywhere by retention (keep 2): a clear error
            var e = assertThrows(IOException.class, () -> node2.restore("j", 10, Map.of(node1.peerUrl(), digest40), null));
            assertTrue(e.getMessage().startsWith("checkpoint step 10 of j is complete nowhere"), e.getMessage());
        }
    }

    @Test
    void aPeerThatServesAStepOtherThanTheRecordedOneIsNotUsed() throws Exception {
        try (var s3 = EmbeddedS3.start(tmp.resolve("s3t"));
                var peer = new CheckpointAgent(tmp.resolve("peer"), remote(s3), "127.0.0.1", 0, null);
                var me = new CheckpointAgent(tmp.resolve("me"), remote(s3), "127.0.0.1", 0, null)) {
            var tier = peer.tier("j").dir();
            tier.write(60, 1, 1, "j", Map.of("params.bin", "honest".getBytes()), Map.of(), Map.of());
            String recorded = tier.manifest(60).digest();
            // the peer replaces the step with one of its own, consistent with its own new manifest
            CheckpointDir.deleteTree(tier.stepDir(60));
            tier.write(60, 1, 1, "j", Map.of("params.bin", "forged".getBytes()), Map.of(), Map.of());
            assertEquals(List.of(60L), tier.committedSteps());
            var e = assertThrows(IOException.class, () -> me.restore("j", 60, Map.of(peer.peerUrl(), recorded), null));
            assertTrue(e.getMessage().contains("is not the one the coordinator recorded"), e.getMessage());
            assertFalse(me.tier("j").dir().isCommitted(60), "nothing forged reached this node's tier");
            // the honest digest of what it serves now would be accepted: the check is the digest, not the peer
            assertEquals("peer " + peer.peerUrl(), me.restore("j", 60, Map.of(peer.peerUrl(), tier.manifest(60).digest()), null)
                    .source());
        }
    }

    @Test
    void aShardedStepRestoredForAnotherWorldSizeIsRegrouped() throws Exception {
        try (var s3 = EmbeddedS3.start(tmp.resolve("s3c"));
                var writer = new CheckpointAgent(tmp.resolve("w"), remote(s3), "127.0.0.1", 0, null);
                var reader = new CheckpointAgent(tmp.resolve("r"), remote(s3), "127.0.0.1", 0, null)) {
            var files = new LinkedHashMap<String, byte[]>();
            var sharding = new HashMap<String, ManifestFile>();
            files.put("params.bin", new byte[] {9, 9});
            for (int r = 0; r < 3; r++) { // 6 two-byte elements over 3 ranks
                var f = ManifestFile.shard("opt.bin", r, 3, 2);
                files.put(f.name(), new byte[] {(byte) (4 * r), (byte) (4 * r + 1), (byte) (4 * r + 2), (byte) (4 * r + 3)});
                sharding.put(f.name(), f);
            }
            writer.tier("j").dir().write(50, 3, 1, "j", files, sharding, Map.of());
            writer.committed("j", 0, 50, 3, null, Recorded.uploads(new CopyOnWriteArrayList<>()));
            assertTrue(writer.drain(30_000));
            reader.restore("j", 50, Map.of(), null, 2);
            var m = reader.tier("j").dir().verify(50);
            assertEquals(2, m.worldSize());
            var got = reader.tier("j").dir().read(50);
            assertArrayEquals(new byte[] {0, 1, 2, 3, 4, 5}, got.get("opt.bin.shard-0-of-2"));
            assertArrayEquals(new byte[] {6, 7, 8, 9, 10, 11}, got.get("opt.bin.shard-1-of-2"));
            assertArrayEquals(new byte[] {9, 9}, got.get("params.bin"));
        }
    }

    @Test
    void theStepARankResumedFromSurvivesRetentionUntilTheRankEnds() throws Exception {
        try (var s3 = EmbeddedS3.start(tmp.resolve("s3d")); var node = new CheckpointAgent(tmp.resolve("p"), remote(s3), "127.0.0.1", 0, null)) {
            node.tier("j").dir().write(5, 1, 1, "j", Map.of("p.bin", new byte[] {5}), Map.of(), Map.of());
            node.committed("j", 0, 5, 2, null, Recorded.uploads(new CopyOnWriteArrayList<>()));
            assertTrue(node.drain(30_000)); // 5 is in S3 too: retention may remove it locally, unless pinned
            node.restore("j", 5, Map.of(), null); // a rank resumes from 5
            for (long step = 6; step <= 9; step++) {
                node.tier("j").dir().write(step, 1, 1, "j", Map.of("p.bin", new byte[] {(byte) step}), Map.of(), Map.of());
                node.committed("j", 0, step, 2, null, Recorded.uploads(new CopyOnWriteArrayList<>()));
            }
            assertTrue(node.drain(30_000));
            assertTrue(node.tier("j").dir().committedSteps().contains(5L), "pinned while the resumed rank runs");
            node.release("j");
            node.tier("j").dir().write(10, 1, 1, "j", Map.of("p.bin", new byte[] {10}), Map.of(), Map.of());
            node.committed("j", 0, 10, 2, null, Recorded.uploads(new CopyOnWriteArrayList<>()));
            assertTrue(node.drain(30_000));
            Thread.sleep(200);
            assertEquals(List.of(10L, 9L), node.tier("j").dir().committedSteps());
        }
    }

    @Test
    void otherRanksDoNotUploadAndKeepTheirNewestK() throws Exception {
        try (var s3 = EmbeddedS3.start(tmp.resolve("s3b")); var node = new CheckpointAgent(tmp.resolve("n"), remote(s3), "127.0.0.1", 0, null)) {
            var uploads = new CopyOnWriteArrayList<Long>();
            for (long step = 1; step <= 4; step++) {
                node.tier("j").dir().write(step, 2, 1, "j", Map.of("p.bin", new byte[] {(byte) step}), Map.of(), Map.of());
                node.committed("j", 1, step, 2, null, Recorded.uploads(uploads));
            }
            assertTrue(node.drain(10_000));
            assertEquals(List.of(), uploads);
            assertEquals(List.of(4L, 3L), node.tier("j").dir().committedSteps());
        }
    }

    /** Records what the agent reports: uploaded steps, and each tier's last retention report. */
    static final class Recorded implements CheckpointAgent.Reports {
        final List<Long> uploads;
        final Map<CheckpointTier, List<Long>> kept = new ConcurrentHashMap<>();
        final List<RequestCounts> requests = new CopyOnWriteArrayList<>();

        Recorded(List<Long> uploads) {
            this.uploads = uploads;
        }

        static Recorded uploads(List<Long> uploads) {
            return new Recorded(uploads);
        }

        @Override
        public void uploaded(String job, long step, long bytes, long millis, int attempts, AsyncUploader.Backlog backlog,
                RequestCounts requests) {
            uploads.add(step);
            this.requests.add(requests);
        }

        @Override
        public void retained(String job, CheckpointTier tier, List<Long> steps) {
            kept.put(tier, steps);
        }

        List<Long> last(CheckpointTier tier) {
            return kept.get(tier);
        }
    }
}
