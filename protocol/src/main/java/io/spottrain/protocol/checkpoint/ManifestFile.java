package io.spottrain.protocol.checkpoint;

/**
 * One file of a checkpoint. {@code sharding} is {@code replicated} (every rank holds the same
 * bytes: take it once) or {@code rank} (rank {@code shardRank} of {@code shardCount} holds a
 * slice: {@code docs/training-contract.md#sharded-files}).
 */
public record ManifestFile(String name, long size, String sha256, String sharding, int shardRank, int shardCount) {

    public static final String REPLICATED = "replicated";
    public static final String BY_RANK = "rank";

    public static ManifestFile replicated(String name, long size, String sha256) {
        return new ManifestFile(name, size, sha256, REPLICATED, -1, 0);
    }
}
