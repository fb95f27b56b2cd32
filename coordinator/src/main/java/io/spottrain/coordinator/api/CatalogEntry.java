package io.spottrain.coordinator.api;

import io.spottrain.coordinator.jobs.CheckpointEntry;
import io.spottrain.coordinator.jobs.CheckpointRetention;
import java.util.List;

/**
 * One step of a job's checkpoint catalog as the API shows it: the tiers that still hold it after
 * retention ({@code removed}: neither does any more).
 */
public record CatalogEntry(long step, long generation, List<String> localNodes, boolean remote, long bytes, double stallMs,
        double persistMs, Long uploadMs, boolean removed) {

    static CatalogEntry of(CheckpointEntry e, CheckpointRetention retention) {
        var nodes = e.nodes().stream().filter(n -> retention.localHas(n, e.step())).toList();
        boolean remote = e.remote() && retention.remoteHas(e.step());
        return new CatalogEntry(e.step(), e.generation(), nodes, remote, e.bytes(), e.stallMs(), e.persistMs(), e.uploadMs(),
                nodes.isEmpty() && !remote);
    }
}
