package io.spottrain.launchers.local;

import io.spottrain.protocol.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * What a running local cluster leaves in {@code <stateDir>/cluster.json} so that later commands
 * find it: the API address, the cluster endpoint (seed) and the coordinator's pid.
 */
public record ClusterState(String apiUrl, String clusterEndpoint, long coordinatorPid, int workers, String startedAt, String s3Endpoint,
        String s3Uri) {

    public static final String FILE = "cluster.json";

    public static Optional<ClusterState> read(Path stateDir) {
        Path f = stateDir.resolve(FILE);
        if (!Files.isRegularFile(f)) return Optional.empty();
        try {
            return Optional.of(Json.MAPPER.readValue(f.toFile(), ClusterState.class));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Written atomically: a reader sees the old file or the whole new one. */
    public void write(Path stateDir) throws IOException {
        Files.createDirectories(stateDir);
        Path tmp = stateDir.resolve(FILE + ".tmp");
        Files.writeString(tmp, Json.pretty(this));
        Files.move(tmp, stateDir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    public static void delete(Path stateDir) {
        try {
            Files.deleteIfExists(stateDir.resolve(FILE));
        } catch (IOException ignored) {
            // a stale file is detected by its dead pid
        }
    }

    public boolean alive() {
        return ProcessTree.alive(coordinatorPid);
    }
}
