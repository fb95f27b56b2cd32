package io.spottrain.coordinator.jobs;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One step of a job's checkpoint catalog: which ranks committed it to which nodes' local tiers, in
 * which generation, whether it reached the remote tier, its size (largest rank's) and its slowest
 * stall, persist and upload times. {@code seq} is its place in the catalog (store key).
 * {@code manifests} holds, per node, the digest of the manifest its agent reported: what a node
 * restoring this step from that peer checks the peer's copy against.
 */
public record CheckpointEntry(long seq, long step, long generation, Set<Integer> ranks, List<String> nodes, long bytes, double stallMs,
        double persistMs, boolean remote, Long uploadMs, Map<String, String> manifests) {

    public CheckpointEntry {
        ranks = Set.copyOf(ranks);
        nodes = List.copyOf(new TreeSet<>(nodes));
        manifests = manifests == null ? Map.of() : Map.copyOf(manifests);
    }

    static CheckpointEntry first(long seq, long step, long generation) {
        return new CheckpointEntry(seq, step, generation, Set.of(), List.of(), 0, 0, 0, false, null, Map.of());
    }

    /** A rank committed this step on {@code node}, whose manifest has {@code digest} (null: unknown; a replayed report). */
    CheckpointEntry committed(long gen, int rank, String node, long b, double stall, double persist, String digest) {
        var ms = new TreeMap<>(manifests);
        if (digest != null) ms.put(node, digest);
        // the ranks of the newest generation that committed it (a late report of an older one adds no rank)
        var rs = new TreeSet<>(gen > generation ? Set.<Integer>of() : ranks);
        if (gen >= generation) rs.add(rank);
        var ns = new TreeSet<>(nodes);
        ns.add(node);
        return new CheckpointEntry(seq, step, Math.max(gen, generation), rs, List.copyOf(ns), Math.max(bytes, b), Math.max(stallMs, stall),
                Math.max(persistMs, persist), remote, uploadMs, ms);
    }

    CheckpointEntry uploaded(long b, long millis) {
        return new CheckpointEntry(seq, step, generation, ranks, nodes, Math.max(bytes, b), stallMs, persistMs, true, millis, manifests);
    }
}
