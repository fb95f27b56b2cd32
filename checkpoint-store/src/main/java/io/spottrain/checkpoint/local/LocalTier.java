package io.spottrain.checkpoint.local;

import io.spottrain.protocol.checkpoint.CheckpointDir;
import io.spottrain.protocol.checkpoint.CheckpointManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongPredicate;

/**
 * A job's local tier (fast local disk) with retention that never loses committed work: keep the
 * newest {@code keep} steps, but never delete a step that is not yet safe elsewhere
 * ({@code uploaded} says which are), nor one pinned by a running restore or upload.
 */
public final class LocalTier {
    private final CheckpointDir dir;
    private final Set<Long> pins = ConcurrentHashMap.newKeySet();

    public LocalTier(Path root) {
        this.dir = new CheckpointDir(root);
    }

    public CheckpointDir dir() {
        return dir;
    }

    /** Pins a step against retention until the returned handle is closed. */
    public AutoCloseable pin(long step) {
        pins.add(step);
        return () -> pins.remove(step);
    }

    public Set<Long> pinned() {
        return Set.copyOf(pins);
    }

    /**
     * Deletes committed steps beyond the newest {@code keep}, except pinned ones and those for
     * which {@code uploaded} is false. The manifest is deleted first. Returns the deleted steps.
     */
    public List<Long> retain(int keep, LongPredicate uploaded) throws IOException {
        List<Long> steps = dir.committedSteps();
        var deleted = new ArrayList<Long>();
        for (int i = Math.max(1, keep); i < steps.size(); i++) {
            long step = steps.get(i);
            if (pins.contains(step) || !uploaded.test(step)) continue;
            Path d = dir.stepDir(step);
            Files.deleteIfExists(d.resolve(CheckpointManifest.FILE_NAME));
            try (var walk = Files.walk(d)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
            deleted.add(step);
        }
        return deleted;
    }
}
