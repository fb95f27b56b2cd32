package io.spottrain.cli;

import io.spottrain.agent.checkpoint.RemoteSettings;
import io.spottrain.checkpoint.remote.AwsS3ObjectStore;
import io.spottrain.checkpoint.remote.ObjectStore;
import io.spottrain.checkpoint.remote.RemoteTier;
import io.spottrain.checkpoint.remote.S3Settings;
import io.spottrain.coordinator.api.LogArchive;
import io.spottrain.launchers.local.ClusterState;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The copies of rank output that agents keep in the remote tier ({@code <prefix><job>/logs/}), read
 * for the API with the cluster's S3 settings: a job's own {@code spec.checkpoint.remote} or the
 * cluster's root. One client per bucket, kept.
 */
public final class S3LogArchive implements LogArchive, AutoCloseable {
    private final String endpoint;
    private final String rootUri;
    private final String[] keys;
    private final boolean local;
    private final Map<String, ObjectStore> stores = new ConcurrentHashMap<>();

    private S3LogArchive(String endpoint, String rootUri, String[] keys, boolean local) {
        this.endpoint = endpoint;
        this.rootUri = rootUri;
        this.keys = keys;
        this.local = local;
    }

    /** The local cluster's remote tier (from its state dir), empty for a cluster without one ({@code --no-s3}). */
    public static Optional<S3LogArchive> of(Path stateDir) {
        var state = ClusterState.read(stateDir);
        if (state.isEmpty() || state.get().s3Uri() == null) return Optional.empty();
        String ep = state.get().s3Endpoint();
        return Optional.of(new S3LogArchive(ep, state.get().s3Uri(), S3Credentials.read(stateDir),
                ep != null && Files.isRegularFile(stateDir.resolve(S3Credentials.FILE))));
    }

    /**
     * A control node run as a service: the cluster's remote tier {@code s3Uri} (an S3-compatible {@code endpoint}, or null:
     * AWS), read with the keys in the environment or, without them, the SDK's default chain (the instance role).
     */
    static S3LogArchive service(Path stateDir, String s3Uri, String endpoint) {
        return new S3LogArchive(endpoint, s3Uri, S3Credentials.read(stateDir), false);
    }

    /** S3 settings for a bucket of this cluster's server; {@code local}: the embedded server (checksums only when required). */
    static S3Settings settings(String endpoint, String bucket, String[] keys, boolean local) {
        return new S3Settings(endpoint == null ? null : URI.create(endpoint), "us-east-1", bucket, keys[0], keys[1], true, local,
                8 * 1024 * 1024, 4);
    }

    @Override
    public Optional<Copy> read(String jobId, String jobRemote, long fileGeneration, int fileRank, String nodeId) throws IOException {
        String uri = jobRemote == null || jobRemote.isBlank() ? rootUri : jobRemote;
        String[] bp = RemoteSettings.parse(uri);
        ObjectStore store = stores.computeIfAbsent(bp[0], b -> new AwsS3ObjectStore(settings(endpoint, b, keys, local)));
        var tier = new RemoteTier(store, bp[1]);
        String location = "s3://" + bp[0] + "/" + tier.rankLogKey(jobId, fileGeneration, fileRank, nodeId);
        return tier.rankLog(jobId, fileGeneration, fileRank, nodeId)
                .map(l -> new Copy(location, l.nodeId(), l.file(), l.from(), l.to(), l.archivedAt(), l.text()));
    }

    /**
     * The local cluster's archive once its state says where the remote tier is (an extra control node may start before the
     * first one wrote it): looked up at each read until found, then kept.
     */
    static LogArchive lazy(Path stateDir) {
        var found = new AtomicReference<S3LogArchive>();
        var closed = new AtomicBoolean();
        return new LogArchive() {
            @Override
            public Optional<Copy> read(String jobId, String jobRemote, long fileGeneration, int fileRank, String nodeId) throws IOException {
                if (closed.get()) return Optional.empty(); // the API stopped: no client is made any more
                if (found.get() == null) of(stateDir).ifPresent(a -> {
                    if (!found.compareAndSet(null, a)) a.close();
                });
                S3LogArchive a = found.get();
                return a == null ? Optional.empty() : a.read(jobId, jobRemote, fileGeneration, fileRank, nodeId);
            }

            @Override
            public void close() {
                closed.set(true);
                S3LogArchive a = found.getAndSet(null);
                if (a != null) a.close();
            }
        };
    }

    @Override
    public void close() {
        stores.values().forEach(ObjectStore::close);
    }
}
