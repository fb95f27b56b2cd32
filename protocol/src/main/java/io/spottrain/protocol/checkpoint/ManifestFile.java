package io.spottrain.protocol.checkpoint;

/**
 * One file of a checkpoint. {@code sharding} is {@code replicated} (every rank holds the same
 * bytes: take it once) or {@code rank}: this file is slice {@code shardRank} of {@code shardCount}
 * of the logical array {@code group}, whose elements are {@code elementBytes} long; slice r of W
 * holds elements [r*N/W, (r+1)*N/W). See docs/training-contract.md#sharded-files.
 */
public record ManifestFile(String name, long size, String sha256, String sharding, int shardRank, int shardCount, String group,
        int elementBytes) {

    public static final String REPLICATED = "replicated";
    public static final String BY_RANK = "rank";

    public static ManifestFile replicated(String name, long size, String sha256) {
        return new ManifestFile(name, size, sha256, REPLICATED, -1, 0, null, 0);
    }

    /** The sharding of a file written by rank {@code rank} of {@code world} (size and hash filled at write). */
    public static ManifestFile shard(String group, int rank, int world, int elementBytes) {
        return new ManifestFile(shardName(group, rank, world), 0, null, BY_RANK, rank, world, group, elementBytes);
    }

    /** {@code optimizer.bin} slice 1 of 3 is {@code optimizer.bin.shard-1-of-3}. */
    public static String shardName(String group, int rank, int world) {
        return group + ".shard-" + rank + "-of-" + world;
    }

    public boolean sharded() {
        return BY_RANK.equals(sharding);
    }
}
