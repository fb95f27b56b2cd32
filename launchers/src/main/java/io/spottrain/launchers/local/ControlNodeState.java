package io.spottrain.launchers.local;

import io.spottrain.protocol.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * One running control node of a local cluster, in {@code <stateDir>/control/<id>.json}: its API,
 * pid, Pekko endpoint and Ignite discovery address (extra control nodes join the state store through it).
 */
public record ControlNodeState(String id, String apiUrl, long pid, String storeAddress, String clusterEndpoint) {

    static Path file(Path stateDir, String id) {
        return stateDir.resolve("control").resolve(id + ".json");
    }

    public static void write(Path stateDir, ControlNodeState s) throws IOException {
        Path f = file(stateDir, s.id());
        Files.createDirectories(f.getParent());
        Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
        Files.writeString(tmp, Json.pretty(s));
        Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    public static void delete(Path stateDir, String id) {
        try {
            Files.deleteIfExists(file(stateDir, id));
        } catch (IOException ignored) {
            // gone already
        }
    }

    /** Every control node that wrote its file (possibly no longer alive: check the pid). */
    public static List<ControlNodeState> all(Path stateDir) {
        Path d = stateDir.resolve("control");
        if (!Files.isDirectory(d)) return List.of();
        var out = new ArrayList<ControlNodeState>();
        try (Stream<Path> files = Files.list(d)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList()) {
                try {
                    out.add(Json.MAPPER.readValue(f.toFile(), ControlNodeState.class));
                } catch (IOException ignored) {
                    // half-written or foreign: skip
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        return out;
    }

    public boolean alive() {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
}
