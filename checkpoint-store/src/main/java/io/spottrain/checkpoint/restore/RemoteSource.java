package io.spottrain.checkpoint.restore;

import io.spottrain.checkpoint.Progress;
import io.spottrain.checkpoint.remote.RemoteTier;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import io.spottrain.protocol.checkpoint.CheckpointException;
import java.io.IOException;
import java.util.List;

/** The remote (S3) tier as a restore source. */
public final class RemoteSource implements CheckpointSource {
    private final RemoteTier remote;

    public RemoteSource(RemoteTier remote) {
        this.remote = remote;
    }

    @Override
    public String name() {
        return "s3 (" + remote.store().describe() + ")";
    }

    @Override
    public List<Long> steps(String job) {
        try {
            return remote.committedSteps(job);
        } catch (IOException e) {
            return List.of();
        }
    }

    @Override
    public void fetchInto(String job, long step, CheckpointDir local, Progress progress) throws IOException, CheckpointException {
        remote.download(job, step, local, progress);
    }
}
