package io.spottrain.coordinator.scheduling;

import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.protocol.spec.JobSpec;
import io.spottrain.protocol.spec.Market;
import io.spottrain.protocol.spec.NodeMarket;
import java.util.Comparator;
import java.util.List;

/**
 * Gang placement of one job on free nodes: one rank per node, the job starts only with at least
 * {@code workers.min} fitting nodes and takes up to {@code workers.max}. Spot nodes come first for
 * {@code spot-with-fallback}, then the tightest GPU fit, then the cheapest. Pure: no actor, no clock.
 */
public final class GangScheduler {

    private GangScheduler() {}

    public static Placement place(JobSpec job, List<NodeRecord> free) {
        var spec = job.spec();
        List<NodeRecord> fitting = free.stream().filter(n -> fits(spec, n)).sorted(preference(spec.workers().gpusPerWorker())).toList();
        int min = spec.workers().min();
        if (fitting.size() < min) {
            return Placement.waitFor("waiting for capacity: needs " + min + " free " + describe(spec) + " node"
                    + (min == 1 ? "" : "s") + ", " + fitting.size() + " available (" + free.size() + " free in all)");
        }
        int take = Math.min(spec.workers().max(), fitting.size());
        return Placement.on(fitting.subList(0, take).stream().map(NodeRecord::nodeId).toList());
    }

    /** The free nodes this job may use, best first (no minimum applied). */
    public static List<NodeRecord> fitting(JobSpec job, List<NodeRecord> free) {
        return free.stream().filter(n -> fits(job.spec(), n)).sorted(preference(job.spec().workers().gpusPerWorker())).toList();
    }

    static boolean fits(JobSpec.Spec spec, NodeRecord n) {
        var p = spec.placement();
        var info = n.info();
        return p.market().admits(info.market())
                && info.gpus() >= spec.workers().gpusPerWorker()
                && (p.instanceTypes().isEmpty() || p.instanceTypes().contains(info.instanceType()))
                && (p.maxPricePerHour() <= 0 || info.pricePerHour() <= p.maxPricePerHour());
    }

    /** Spot first; then the tightest GPU fit (big machines stay free for big jobs); then price; then name. */
    private static Comparator<NodeRecord> preference(int gpusPerWorker) {
        return Comparator.<NodeRecord>comparingInt(n -> n.info().market() == NodeMarket.SPOT ? 0 : 1)
                .thenComparingInt(n -> n.info().gpus() - gpusPerWorker)
                .thenComparingDouble(n -> n.info().pricePerHour())
                .thenComparingInt(n -> n.nodeId().length()) // node2 before node10
                .thenComparing(NodeRecord::nodeId);
    }

    private static String describe(JobSpec.Spec spec) {
        var p = spec.placement();
        var sb = new StringBuilder(p.market() == Market.SPOT_WITH_FALLBACK ? "spot or on-demand" : p.market().label());
        if (spec.workers().gpusPerWorker() > 0) sb.append(", ").append(spec.workers().gpusPerWorker()).append("-GPU");
        if (!p.instanceTypes().isEmpty()) sb.append(" ").append(String.join("|", p.instanceTypes()));
        if (p.maxPricePerHour() > 0) sb.append(" <= $").append(p.maxPricePerHour()).append("/h");
        return sb.toString();
    }
}
