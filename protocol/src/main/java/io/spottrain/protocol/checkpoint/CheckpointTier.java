package io.spottrain.protocol.checkpoint;

/** Where a checkpoint step is kept: a node's local tier (NVMe), or the remote tier (S3). */
public enum CheckpointTier {
    LOCAL,
    REMOTE
}
