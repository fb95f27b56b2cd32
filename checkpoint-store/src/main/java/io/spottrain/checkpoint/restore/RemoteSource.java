package io.spottrain.checkpoint.restore;

import io.spottrain.checkpoint.Progress;
import io.spottrain.checkpoint.remote.RemoteTier;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import io.spottrain.protocol.checkpoint.CheckpointException;
import java.io.IOException;
import java.util.List;
import java.util.function.Supplier;

/** The remote (S3) tier as a restore source. */
public final class RemoteSource implements CheckpointSource {
    private final Supplier<RemoteTier> remote;
    private final String name;

    public RemoteSource(RemoteTier remote) {
        this.remote = () -> remote;
        this.name = "s3 (" + remote.store().describe() + ")";
    }

    /** A remote tier built only when a restore gets this far (building an S3 client takes seconds). */
    public RemoteSource(Supplier<RemoteTier> remote, String uri) {
        this.remote = remote;
        this.name = "s3 (" + uri + ")";
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<Long> steps(String job) {
        try {
            return remote.get().committedSteps(job);
        } catch (IOException e) {
            return List.of();
        }
    }

    @Override
    public void fetchInto(String job, long step, CheckpointDir local, Progress progress) throws IOException, CheckpointException {
        remote.get().download(job, step, local, progress);
    }
}
