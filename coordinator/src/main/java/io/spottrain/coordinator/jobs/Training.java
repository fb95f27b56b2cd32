package io.spottrain.coordinator.jobs;

import io.spottrain.protocol.wire.WireMessage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the training processes reported over the contract: progress of rank 0, every checkpoint
 * every rank committed, and each rank's final parameter hash.
 *
 * @param paramsSha256ByRank rank -> params-sha256 at the end (all must agree)
 */
public record Training(
        long step,
        double loss,
        double samplesPerSec,
        List<CheckpointRecord> checkpoints,
        List<UploadRecord> uploads,
        Map<String, String> paramsSha256ByRank,
        Double finalLoss) implements WireMessage {

    public static final Training NONE = new Training(0, Double.NaN, 0, List.of(), List.of(), Map.of(), null);

    public Training {
        checkpoints = List.copyOf(checkpoints);
        uploads = List.copyOf(uploads);
        paramsSha256ByRank = Map.copyOf(paramsSha256ByRank);
    }

    /** A step committed to the remote tier by a node's uploader, and the backlog it left. */
    public record UploadRecord(long step, String node, long bytes, long millis, int attempts, int backlogSteps, long backlogBytes)
            implements WireMessage {}

    Training upload(UploadRecord u) {
        var all = new ArrayList<>(uploads);
        all.add(u);
        return new Training(step, loss, samplesPerSec, checkpoints, all, paramsSha256ByRank, finalLoss);
    }

    /** One committed checkpoint on one rank's local tier. */
    public record CheckpointRecord(long step, long generation, int rank, String node, long bytes, double stallMs,
            double persistMs, String reason, String dir) implements WireMessage {}

    Training progress(long s, double l, double sps) {
        return new Training(Math.max(step, s), l, sps, checkpoints, uploads, paramsSha256ByRank, finalLoss);
    }

    Training checkpoint(CheckpointRecord r) {
        var all = new ArrayList<>(checkpoints);
        all.add(r);
        return new Training(step, loss, samplesPerSec, all, uploads, paramsSha256ByRank, finalLoss);
    }

    Training done(int rank, long s, double l, String sha) {
        var hashes = new LinkedHashMap<>(paramsSha256ByRank);
        hashes.put(Integer.toString(rank), sha);
        return new Training(Math.max(step, s), rank == 0 ? l : loss, samplesPerSec, checkpoints, uploads, hashes,
                rank == 0 ? Double.valueOf(l) : finalLoss);
    }
}
