package io.spottrain.coordinator.api;

import io.spottrain.coordinator.jobs.CheckpointEntry;
import java.util.List;

/** One step of a job's checkpoint catalog as the API shows it. */
public record CatalogEntry(long step, long generation, List<String> localNodes, boolean remote, long bytes, double stallMs,
        double persistMs, Long uploadMs) {

    static CatalogEntry of(CheckpointEntry e) {
        return new CatalogEntry(e.step(), e.generation(), e.nodes(), e.remote(), e.bytes(), e.stallMs(), e.persistMs(), e.uploadMs());
    }
}
