package io.spottrain.coordinator.jobs;

import io.spottrain.protocol.checkpoint.CheckpointTier;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the tiers still hold after their last retention run, as the agents reported it
 * ({@code AgentProtocol.CheckpointsRetained}): the remote tier's steps and each node's local
 * steps. The catalog is filtered through it, so {@code checkpoints ls} stops listing steps that
 * retention deleted. A step newer than every step of a report came after it and is taken as held.
 *
 * @param remote steps the remote tier kept, newest first (null: no retention reported yet)
 * @param local  node -> steps its local tier kept, newest first
 */
public record CheckpointRetention(List<Long> remote, Map<String, List<Long>> local) {
    public static final CheckpointRetention NONE = new CheckpointRetention(null, Map.of());

    public CheckpointRetention {
        remote = remote == null ? null : List.copyOf(remote);
        local = local == null ? Map.of() : Map.copyOf(local);
    }

    /** After a retention report of {@code node}'s {@code tier}. */
    public CheckpointRetention reported(CheckpointTier tier, String node, List<Long> kept) {
        if (tier == CheckpointTier.REMOTE) return new CheckpointRetention(kept, local);
        var l = new TreeMap<>(local);
        l.put(node, kept);
        return new CheckpointRetention(remote, l);
    }

    public boolean remoteHas(long step) {
        return holds(remote, step);
    }

    public boolean localHas(String node, long step) {
        return holds(local.get(node), step);
    }

    private static boolean holds(List<Long> kept, long step) {
        if (kept == null || kept.isEmpty()) return true; // never reported: nothing known to be gone
        return kept.contains(step) || step > kept.stream().mapToLong(Long::longValue).max().orElse(Long.MIN_VALUE);
    }
}
