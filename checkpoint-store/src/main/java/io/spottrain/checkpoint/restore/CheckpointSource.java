package io.spottrain.checkpoint.restore;

import io.spottrain.checkpoint.Progress;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import io.spottrain.protocol.checkpoint.CheckpointException;
import java.io.IOException;
import java.util.List;

/** Somewhere a job's checkpoints may be complete: a peer agent's local tier, or the remote tier. */
public interface CheckpointSource {

    /** e.g. {@code peer node2} or {@code s3 (aws-sdk s3://bucket at ...)}. */
    String name();

    /** Committed steps of the job, newest first (empty when unreachable). */
    List<Long> steps(String job);

    /** Copies the step into the local tier, verifying every file; throws naming a bad file. */
    void fetchInto(String job, long step, CheckpointDir local, Progress progress) throws IOException, CheckpointException;
}
