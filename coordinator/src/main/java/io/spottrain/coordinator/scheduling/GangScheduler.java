package io.spottrain.coordinator.scheduling;

import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.protocol.spec.GpuCatalog;
import io.spottrain.protocol.spec.JobSpec;
import io.spottrain.protocol.spec.Market;
import io.spottrain.protocol.spec.NodeMarket;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Gang placement of one job on free nodes: one rank per node, the job starts only with at least
 * {@code workers.min} fitting nodes and takes up to {@code workers.max}. Spot nodes come first for
 * {@code spot-with-fallback}, then the tightest GPU fit, then the cheapest. Pure: no actor, no clock.
 */
public final class GangScheduler {

    private GangScheduler() {}

    /**
     * Reserved first, then Spot, then on-demand ({@link NodeMarket#preference()}); then the tightest GPU fit (big machines stay free for big jobs: the fewest GPUs is the fewest spare GPUs for
     * any job that fits, so the order is the same for every job); then price; then name.
     */
    private static final Comparator<NodeRecord> PREFERENCE = Comparator.<NodeRecord>comparingInt(n -> n.info().market().preference())
            .thenComparingInt(n -> n.info().gpus())
            .thenComparingDouble(n -> n.info().pricePerHour())
            .thenComparingInt(n -> n.nodeId().length()) // node2 before node10
            .thenComparing(NodeRecord::nodeId);

    public static Placement place(JobSpec job, List<NodeRecord> free) {
        return place(job, free, List.of());
    }

    /**
     * As above, {@code preferred} nodes first, in their order, when they are free and fit (the
     * survivors of a recovery, so each resumes from its own local tier; then any other fitting
     * node joins, up to {@code max}).
     */
    public static Placement place(JobSpec job, List<NodeRecord> free, List<String> preferred) {
        return place(job, free, preferred, 0);
    }

    /** As above, with no more than {@code atMost} nodes (0: up to {@code workers.max}; a job that gave nodes back asks for fewer). */
    public static Placement place(JobSpec job, List<NodeRecord> free, List<String> preferred, int atMost) {
        return place(job, free, preferred, atMost, PoolRisks.NONE);
    }

    /**
     * As above, Spot nodes of pools riskier than {@code spec.placement.maxInterruptRisk} ({@code risks}) left out, but for the
     * job's own survivors: they hold its newest state, and moving them costs a restore where the bound only keeps new
     * capacity out of risky pools.
     */
    public static Placement place(JobSpec job, List<NodeRecord> free, List<String> preferred, int atMost, PoolRisks risks) {
        var spec = job.spec();
        int max = atMost > 0 ? Math.min(atMost, spec.workers().max()) : spec.workers().max();
        var chosen = new ArrayList<String>();
        for (String n : preferred) {
            if (free.stream().anyMatch(f -> f.nodeId().equals(n) && fits(spec, f))) chosen.add(n);
        }
        for (NodeRecord n : fitting(job, free, risks)) {
            if (chosen.size() >= max) break;
            if (!chosen.contains(n.nodeId())) chosen.add(n.nodeId());
        }
        int min = spec.workers().min();
        if (chosen.size() < min) {
            return Placement.waitFor("needs " + min + " free " + describe(spec) + " node" + (min == 1 ? "" : "s") + ", " + chosen.size()
                    + " available (" + free.size() + " free in all)");
        }
        return Placement.on(chosen.subList(0, Math.min(chosen.size(), max)));
    }

    /** The free nodes this job may use, best first (no minimum applied). */
    public static List<NodeRecord> fitting(JobSpec job, List<NodeRecord> free) {
        return fitting(job, free, PoolRisks.NONE);
    }

    /**
     * As above, with the Spot pools' interruption risks: riskier than the spec allows is left out. (Not an ordering: while
     * the prior dominates, two quiet pools differ only by their node-hours, and ranks would move between nodes for noise.)
     */
    public static List<NodeRecord> fitting(JobSpec job, List<NodeRecord> free, PoolRisks risks) {
        return free.stream().filter(n -> fits(job.spec(), n, risks)).sorted(PREFERENCE).toList();
    }

    /**
     * {@code free} in the order every job prefers nodes (the same for every job: fewest spare GPUs is the same order as
     * fewest GPUs). A scheduling round sorts its free nodes once; each job's {@link #fitting} then filters a sorted list
     * (a sort of sorted input is one pass) instead of sorting 1,000 nodes per job.
     */
    public static List<NodeRecord> preferred(Collection<NodeRecord> free) {
        var out = new ArrayList<>(free);
        out.sort(PREFERENCE);
        return out;
    }

    public static boolean fits(JobSpec.Spec spec, NodeRecord n) {
        return fits(spec, n, PoolRisks.NONE);
    }

    public static boolean fits(JobSpec.Spec spec, NodeRecord n, PoolRisks risks) {
        var info = n.info();
        return misfit(spec, info.market(), info.instanceType(), info.gpus(), info.pricePerHour(), risks.of(n)) == null;
    }

    /** As below, for a node of no known interruption risk (submit-time admission: risk changes, a job is never refused for it). */
    public static Constraint misfit(JobSpec.Spec spec, NodeMarket market, String instanceType, int gpus, double pricePerHour) {
        return misfit(spec, market, instanceType, gpus, pricePerHour, 0);
    }

    /**
     * The spec constraint that keeps a rank of the job off a node like this, checked in this order; null when it fits.
     * {@code interruptRisk}: the node's pool's (0 for a node that is not Spot).
     */
    public static Constraint misfit(JobSpec.Spec spec, NodeMarket market, String instanceType, int gpus, double pricePerHour,
            double interruptRisk) {
        var p = spec.placement();
        if (!p.market().admits(market)) return Constraint.MARKET;
        if (gpus < spec.workers().gpusPerWorker()) return Constraint.GPUS;
        if (!p.instanceTypes().isEmpty() && !p.instanceTypes().contains(instanceType)) return Constraint.INSTANCE_TYPE;
        if (p.maxPricePerHour() > 0 && pricePerHour > p.maxPricePerHour()) return Constraint.MAX_PRICE;
        if (!GpuCatalog.satisfies(instanceType, p.gpuModels(), 0)) return Constraint.GPU_MODEL;
        if (!GpuCatalog.satisfies(instanceType, List.of(), p.minGpuMemoryGiB())) return Constraint.GPU_MEMORY;
        if (p.maxInterruptRisk() > 0 && market == NodeMarket.SPOT && interruptRisk > p.maxInterruptRisk()) return Constraint.INTERRUPT_RISK;
        return null;
    }

    /** A placement constraint of the job spec, by the field that states it. */
    public enum Constraint {
        MARKET("spec.placement.market"),
        GPUS("spec.workers.gpusPerWorker"),
        INSTANCE_TYPE("spec.placement.instanceTypes"),
        MAX_PRICE("spec.placement.maxPricePerHour"),
        GPU_MODEL("spec.placement.gpuModels"),
        GPU_MEMORY("spec.placement.minGpuMemoryGiB"),
        INTERRUPT_RISK("spec.placement.maxInterruptRisk");

        private final String field;

        Constraint(String field) {
            this.field = field;
        }

        public String field() {
            return field;
        }

        /** Why a node of these attributes fails this constraint of {@code spec}, naming the field. */
        public String why(JobSpec.Spec spec, NodeMarket market, String instanceType, int gpus, double pricePerHour) {
            return why(spec, market, instanceType, gpus, pricePerHour, 0);
        }

        /** As above, with the node's pool's interruption risk. */
        public String why(JobSpec.Spec spec, NodeMarket market, String instanceType, int gpus, double pricePerHour, double interruptRisk) {
            var p = spec.placement();
            return field + ": " + switch (this) {
                case MARKET -> p.market().label() + " takes no " + market.label() + " node";
                case GPUS -> spec.workers().gpusPerWorker() + " GPUs per worker, the node has " + gpus;
                case INSTANCE_TYPE -> instanceType + " is not one of " + String.join(", ", p.instanceTypes());
                case MAX_PRICE -> "$" + pricePerHour + "/h is above $" + p.maxPricePerHour() + "/h";
                case GPU_MODEL -> instanceType + GpuCatalog.of(instanceType).map(g -> " has " + g.model()).orElse(" has no known GPU")
                        + ", not one of " + String.join(", ", p.gpuModels());
                case GPU_MEMORY -> instanceType + GpuCatalog.of(instanceType).map(g -> " has " + g.memoryGiB() + " GiB per GPU")
                        .orElse(" has no known GPU") + ", below " + p.minGpuMemoryGiB() + " GiB";
                case INTERRUPT_RISK -> String.format(Locale.ROOT, "spot %s is interrupted %.3f times per node-hour (estimated), above %s",
                        instanceType, interruptRisk, p.maxInterruptRisk());
            };
        }
    }

    private static String describe(JobSpec.Spec spec) {
        var p = spec.placement();
        // the job's own market (reserved nodes take any job, and count in "available")
        var sb = new StringBuilder(p.market() == Market.SPOT_WITH_FALLBACK ? "spot or on-demand" : p.market().label());
        if (spec.workers().gpusPerWorker() > 0) sb.append(", ").append(spec.workers().gpusPerWorker()).append("-GPU");
        if (!p.instanceTypes().isEmpty()) sb.append(" ").append(String.join("|", p.instanceTypes()));
        if (p.maxPricePerHour() > 0) sb.append(" <= $").append(p.maxPricePerHour()).append("/h");
        if (!p.gpuModels().isEmpty()) sb.append(" ").append(String.join("|", p.gpuModels()));
        if (p.minGpuMemoryGiB() > 0) sb.append(" >= ").append(p.minGpuMemoryGiB()).append(" GiB/GPU");
        if (p.maxInterruptRisk() > 0) sb.append(" interrupted <= ").append(p.maxInterruptRisk()).append("/node-hour");
        return sb.toString();
    }
}
