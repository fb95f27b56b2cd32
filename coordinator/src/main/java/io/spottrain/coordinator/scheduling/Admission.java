package io.spottrain.coordinator.scheduling;

import io.spottrain.coordinator.launch.NodeLauncher.NodeShape;
import io.spottrain.protocol.spec.GpuCatalog;
import io.spottrain.protocol.spec.JobSpec;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Admission at submit: a job that no node the cluster could ever have can hold is refused at once,
 * naming the constraint, instead of waiting forever. "Could ever have" is the fleet the launcher
 * declares ({@code NodeLauncher.shapes}); with none declared every job is admitted (agents that
 * join by themselves are not foreseen). Pure.
 */
public final class Admission {
    private Admission() {}

    /**
     * Why the job's own {@code checkpoint.remote} is refused: it must lie inside one of the
     * remotes the cluster allows ({@code s3://bucket/prefix}, whole path segments), so a job
     * cannot make agents write into (or read from) buckets the operator did not hand out. A job
     * without its own remote uses the cluster's default and is never refused here.
     */
    public static Optional<String> remoteRefused(JobSpec job, List<String> allowed) {
        String remote = job.spec().checkpoint().remote();
        if (remote == null || remote.isBlank()) return Optional.empty();
        String r = trimSlash(remote.trim());
        boolean dotSegment = List.of(r.substring(Math.min(r.length(), 5)).split("/")).stream().anyMatch(s -> s.equals("..") || s.equals("."));
        if (!dotSegment) {
            for (String a : allowed) {
                String base = trimSlash(a.trim());
                if (!base.isEmpty() && (r.equals(base) || r.startsWith(base + "/"))) return Optional.empty();
            }
        }
        return Optional.of("spec.checkpoint.remote: " + remote + " is outside the remotes this cluster allows ("
                + (allowed.isEmpty() ? "none: jobs use the cluster's default" : String.join(", ", allowed))
                + "); leave it out, or ask an admin to allow it (spottrain.coordinator.security.allowed-remotes)");
    }

    private static String trimSlash(String s) {
        String t = s;
        while (t.endsWith("/")) t = t.substring(0, t.length() - 1);
        return t;
    }

    /** Why no shape of the fleet fits the job, or empty when one does (or nothing is known). */
    public static Optional<String> unfit(JobSpec job, List<NodeShape> fleet) {
        if (fleet.isEmpty()) return Optional.empty();
        var spec = job.spec();
        var p = spec.placement();
        var byMarket = fleet.stream().filter(s -> p.market().admits(s.market())).toList();
        if (byMarket.isEmpty()) {
            return Optional.of("spec.placement.market: " + p.market().label() + " needs " + p.market().label() + " nodes; this cluster launches "
                    + fleet.stream().map(s -> s.market().label()).distinct().collect(Collectors.joining(", ")) + " only");
        }
        var byType = byMarket.stream().filter(s -> p.instanceTypes().isEmpty() || p.instanceTypes().contains(s.instanceType())).toList();
        if (byType.isEmpty()) {
            return Optional.of("spec.placement.instanceTypes: none of " + p.instanceTypes() + " is in this cluster's fleet ("
                    + byMarket.stream().map(NodeShape::instanceType).distinct().collect(Collectors.joining(", ")) + ")");
        }
        int gpus = spec.workers().gpusPerWorker();
        var byGpus = byType.stream().filter(s -> s.gpus() >= gpus).toList();
        if (byGpus.isEmpty()) {
            return Optional.of("spec.workers.gpusPerWorker: " + gpus + " GPUs per worker, but the largest node of this cluster's fleet has "
                    + byType.stream().mapToInt(NodeShape::gpus).max().orElse(0));
        }
        var byPrice = byGpus.stream().filter(s -> p.maxPricePerHour() <= 0 || s.pricePerHour() <= p.maxPricePerHour()).toList();
        if (byPrice.isEmpty()) {
            return Optional.of("spec.placement.maxPricePerHour: $" + p.maxPricePerHour() + "/h is below every fitting node's price (cheapest $"
                    + byGpus.stream().mapToDouble(NodeShape::pricePerHour).min().orElse(0) + "/h)");
        }
        // the GPU model and memory, by each shape's instance type (GpuCatalog): the reason names the fleet's GPUs
        var byGpu = byPrice.stream().filter(s -> GangScheduler.misfit(spec, s.market(), s.instanceType(), s.gpus(), s.pricePerHour()) == null)
                .toList();
        if (byGpu.isEmpty()) {
            // the model when no shape has one of them, else the memory (some shape has the model, with too little memory)
            boolean model = !p.gpuModels().isEmpty() && byPrice.stream().noneMatch(s -> GpuCatalog.satisfies(s.instanceType(), p.gpuModels(), 0));
            var c = model ? GangScheduler.Constraint.GPU_MODEL : GangScheduler.Constraint.GPU_MEMORY;
            return Optional.of(c.field() + ": no node of this cluster's fleet has it ("
                    + byPrice.stream().map(s -> s.instanceType() + GpuCatalog.of(s.instanceType()).map(g -> " " + g.model() + " " + g.memoryGiB()
                            + " GiB").orElse(" no known GPU")).distinct().collect(Collectors.joining(", ")) + ")");
        }
        byPrice = byGpu;
        boolean unbounded = byPrice.stream().anyMatch(s -> s.maxNodes() <= 0);
        int most = byPrice.stream().mapToInt(NodeShape::maxNodes).sum();
        if (!unbounded && most < spec.workers().min()) {
            return Optional.of("spec.workers.min: " + spec.workers().min() + " workers, but this cluster's fleet has at most " + most
                    + " fitting node" + (most == 1 ? "" : "s"));
        }
        return Optional.empty();
    }
}
