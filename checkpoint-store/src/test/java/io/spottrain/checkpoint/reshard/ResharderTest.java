package io.spottrain.checkpoint.reshard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.protocol.checkpoint.CheckpointDir;
import io.spottrain.protocol.checkpoint.CheckpointException;
import io.spottrain.protocol.checkpoint.ManifestFile;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Optimizer state split across ranks (ZeRO-1 style) regrouped for another world size. */
class ResharderTest {
    @TempDir
    Path tmp;

    static final int N = 101; // elements: not divisible by 2, 3 or 4
    static final byte[] PARAMS = "replicated-params".getBytes();

    /** A checkpoint written by {@code world} ranks: params replicated, optimizer.bin sharded (8-byte doubles). */
    static CheckpointDir written(Path dir, int world) throws Exception {
        var files = new LinkedHashMap<String, byte[]>();
        var sharding = new HashMap<String, ManifestFile>();
        files.put("params.bin", PARAMS);
        for (int r = 0; r < world; r++) {
            int lo = N * r / world;
            int hi = N * (r + 1) / world;
            ByteBuffer b = ByteBuffer.allocate((hi - lo) * 8);
            for (int i = lo; i < hi; i++) b.putDouble(i * 1.5);
            ManifestFile f = ManifestFile.shard("optimizer.bin", r, world, 8);
            files.put(f.name(), b.array());
            sharding.put(f.name(), f);
        }
        var cd = new CheckpointDir(dir);
        cd.write(30, world, 1, "j", files, sharding, Map.of());
        return cd;
    }

    static byte[] whole(CheckpointDir d, int world) throws Exception {
        var all = new ByteArrayOutputStream();
        Map<String, byte[]> files = d.read(30);
        for (int r = 0; r < world; r++) all.writeBytes(files.get(ManifestFile.shardName("optimizer.bin", r, world)));
        return all.toByteArray();
    }

    void check(int from, int to) throws Exception {
        CheckpointDir src = written(tmp.resolve("w" + from + "to" + to), from);
        CheckpointDir dst = new CheckpointDir(tmp.resolve("out" + from + "to" + to));
        var m = Resharder.reshard(src, 30, to).writeTo(dst, to, 2);
        assertEquals(to, m.worldSize());
        assertEquals(Integer.toString(from), m.metadata().get("reshardedFromWorldSize"));
        assertEquals(1 + to, m.files().size());
        assertArrayEquals(PARAMS, dst.read(30).get("params.bin"), "replicated files are taken once, unchanged");
        assertArrayEquals(whole(src, from), whole(dst, to), "the same optimizer state, regrouped");
        for (int r = 0; r < to; r++) {
            final int rank = r;
            long size = m.files().stream().filter(f -> f.sharded() && f.shardRank() == rank).findFirst().orElseThrow().size();
            assertEquals(8L * (N * (r + 1) / to - N * r / to), size, "shard " + r + " holds whole elements");
        }
    }

    @Test
    void threeRanksToTwo() throws Exception {
        check(3, 2);
    }

    @Test
    void twoRanksToFour() throws Exception {
        check(2, 4);
    }

    @Test
    void aMissingShardIsNamed() throws Exception {
        CheckpointDir src = written(tmp.resolve("missing"), 3);
        Files.delete(src.stepDir(30).resolve(ManifestFile.shardName("optimizer.bin", 1, 3)));
        var e = assertThrows(CheckpointException.class, () -> Resharder.reshard(src, 30, 2));
        assertTrue(e.getMessage().contains("optimizer.bin.shard-1-of-3 is missing"), e.getMessage());
    }
}
