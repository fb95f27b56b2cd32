package io.spottrain.checkpoint.reshard;

import io.spottrain.protocol.checkpoint.CheckpointDir;
import io.spottrain.protocol.checkpoint.CheckpointException;
import io.spottrain.protocol.checkpoint.CheckpointManifest;
import io.spottrain.protocol.checkpoint.ManifestFile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Regroups a checkpoint's rank-sharded files for another world size. A group of W shards is the
 * logical array they slice (shard r of W holds elements [r*N/W, (r+1)*N/W)); resharding to W'
 * concatenates the shards in rank order and cuts the array again at element boundaries.
 * Replicated files are taken once, unchanged.
 */
public final class Resharder {
    private Resharder() {}

    /**
     * Reads a complete, verified step and returns its files and shardings for {@code newWorld}
     * ranks, ready for {@link CheckpointDir#write}. Throws naming the group when shards are missing
     * or do not add up to whole elements.
     */
    public static Resharded reshard(CheckpointDir source, long step, int newWorld) throws CheckpointException {
        if (newWorld < 1) throw new IllegalArgumentException("world size must be >= 1, got " + newWorld);
        CheckpointManifest m = source.verify(step);
        Map<String, byte[]> bytes = source.read(step);
        var files = new LinkedHashMap<String, byte[]>();
        var sharding = new HashMap<String, ManifestFile>();
        var groups = new TreeMap<String, List<ManifestFile>>();
        for (ManifestFile f : m.files()) {
            if (f.sharded()) groups.computeIfAbsent(f.group(), g -> new ArrayList<>()).add(f);
            else files.put(f.name(), bytes.get(f.name()));
        }
        for (var e : groups.entrySet()) {
            String group = e.getKey();
            List<ManifestFile> shards = new ArrayList<>(e.getValue());
            shards.sort(Comparator.comparingInt(ManifestFile::shardRank));
            int w = shards.get(0).shardCount();
            int elem = shards.get(0).elementBytes();
            if (shards.size() != w) {
                throw new CheckpointException("step " + step + ": group " + group + " has " + shards.size() + " of " + w + " shards");
            }
            var all = new ByteArrayOutputStream();
            for (int r = 0; r < w; r++) {
                ManifestFile s = shards.get(r);
                if (s.shardRank() != r || s.shardCount() != w || s.elementBytes() != elem) {
                    throw new CheckpointException("step " + step + ": group " + group + " shards disagree (" + s.name() + ")");
                }
                all.writeBytes(bytes.get(s.name()));
            }
            byte[] whole = all.toByteArray();
            if (elem <= 0 || whole.length % elem != 0) {
                throw new CheckpointException("step " + step + ": group " + group + " is " + whole.length
                        + " bytes, not a whole number of " + elem + "-byte elements");
            }
            long n = whole.length / elem;
            for (int r = 0; r < newWorld; r++) {
                long lo = n * r / newWorld;
                long hi = n * (r + 1) / newWorld;
                byte[] part = Arrays.copyOfRange(whole, (int) (lo * elem), (int) (hi * elem));
                ManifestFile f = ManifestFile.shard(group, r, newWorld, elem);
                files.put(f.name(), part);
                sharding.put(f.name(), f);
            }
        }
        return new Resharded(m, files, sharding);
    }

    /** Files and shardings of a resharded checkpoint, and the manifest it came from. */
    public record Resharded(CheckpointManifest from, Map<String, byte[]> files, Map<String, ManifestFile> sharding) {

        /** Writes it as step {@code from.step()} of {@code target} for {@code newWorld} ranks. */
        public CheckpointManifest writeTo(CheckpointDir target, int newWorld, long generation) throws IOException {
            var meta = new HashMap<>(from.metadata());
            meta.put("reshardedFromWorldSize", Integer.toString(from.worldSize()));
            return target.write(from.step(), newWorld, generation, from.job(), files, sharding, meta);
        }
    }
}
