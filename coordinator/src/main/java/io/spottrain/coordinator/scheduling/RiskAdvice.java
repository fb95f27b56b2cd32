package io.spottrain.coordinator.scheduling;

import io.spottrain.protocol.spec.GpuCatalog;
import io.spottrain.protocol.spec.JobSpec;
import io.spottrain.protocol.spec.Market;
import java.util.Comparator;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BiPredicate;
import java.util.stream.Collectors;

/**
 * What a user should hear at submit time about {@code spec.placement.maxInterruptRisk}: a bound that no Spot pool the job
 * could use is known to meet (every observed one is riskier, or none was observed and the prior for a pool never seen is
 * above it) is accepted (risk changes; a job is never refused for it) but would otherwise wait in silence. Pure.
 */
public final class RiskAdvice {
    private static final int SHOWN = 3;

    private RiskAdvice() {}

    /** Whether a Spot pool of this instance type and GPUs per node could host a rank of the job (risk aside). */
    public static BiPredicate<String, Integer> poolFits(JobSpec.Spec spec) {
        var p = spec.placement();
        return (type, gpus) -> gpus >= spec.workers().gpusPerWorker() && (p.instanceTypes().isEmpty() || p.instanceTypes().contains(type))
                && GpuCatalog.satisfies(type, p.gpuModels(), p.minGpuMemoryGiB());
    }

    /** The warning for this job now, if its bound keeps it off every Spot pool known. */
    public static Optional<String> atSubmit(JobSpec job, PoolRisks risks) {
        var spec = job.spec();
        var p = spec.placement();
        double max = p.maxInterruptRisk();
        if (max <= 0 || p.market() == Market.ON_DEMAND) return Optional.empty();
        var fits = poolFits(spec);
        if (!risks.noPoolWithin(max, fits, p.instanceTypes())) return Optional.empty();
        var seen = risks.pools().entrySet().stream().filter(e -> fits.test(e.getKey().instanceType(), e.getValue().gpus()))
                .sorted(Comparator.comparingDouble(e -> e.getValue().perNodeHour())).toList();
        String observed = seen.isEmpty() ? "none of the pools it could use was observed yet"
                : "the pools it could use were interrupted " + seen.stream().limit(SHOWN)
                        .map(e -> String.format(Locale.ROOT, "%s in %s %.3f", e.getKey().instanceType(), e.getKey().zone(),
                                e.getValue().perNodeHour()))
                        .collect(Collectors.joining(", ")) + (seen.size() > SHOWN ? " (and " + (seen.size() - SHOWN) + " more)" : "")
                        + " times per node-hour";
        String then = p.market() == Market.SPOT_WITH_FALLBACK ? "it runs on on-demand nodes until a Spot pool is within it"
                : "it waits until a Spot pool is within it (market: spot-with-fallback would run it on on-demand meanwhile)";
        return Optional.of(String.format(Locale.ROOT, "no Spot pool is known to be within spec.placement.maxInterruptRisk %s: %s, "
                + "and a pool never seen counts as %.3f (the prior); %s", max, observed, PoolRisks.perNodeHour(0, 0, risks.prior()), then));
    }
}
