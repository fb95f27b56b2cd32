package io.spottrain.coordinator.autoscale;

import io.spottrain.coordinator.autoscale.AutoscaleDecision.Launch;
import io.spottrain.coordinator.launch.NodeLauncher.NodeRequest;
import io.spottrain.coordinator.launch.NodeLauncher.NodeShape;
import io.spottrain.protocol.spec.GpuCatalog;
import io.spottrain.protocol.spec.NodeMarket;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Which of the launcher's shapes an autoscaler launch asks for, and the request it sends (pure). */
final class LaunchShapes {
    private LaunchShapes() {}

    /**
     * The shape for {@code l}: the cheapest on its market with enough GPUs, of an allowed type (the fewest GPUs first, then
     * the price); Spot first, and for a spot-with-fallback job whose shape only exists on-demand, that.
     */
    static Optional<NodeShape> choose(List<NodeShape> shapes, Launch l) {
        return cheapest(shapes, l).or(() -> l.onDemandFallback() ? cheapest(shapes, l.onDemand()) : Optional.empty());
    }

    /** The cheapest shape on the launch's market with enough GPUs, of an allowed type (the fewest GPUs first, then the price). */
    static Optional<NodeShape> cheapest(List<NodeShape> shapes, Launch l) {
        return shapes.stream().filter(s -> s.market() == l.market() && s.gpus() >= l.gpus()
                        && (l.instanceTypes().isEmpty() || l.instanceTypes().contains(s.instanceType()))
                        && GpuCatalog.satisfies(s.instanceType(), l.gpuModels(), l.minGpuMemoryGiB()))
                .min(Comparator.comparingInt(NodeShape::gpus).thenComparingDouble(NodeShape::pricePerHour));
    }

    /**
     * The launcher request for {@code l} on shape {@code s} (its on-demand price beside a Spot or reserved one, for the ledger's savings),
     * keeping a launcher that picks among types (EC2) to the launch's types: a pool's, or the job's pinned ones, and to its
     * pool's zone.
     */
    static NodeRequest request(List<NodeShape> shapes, NodeShape s, Launch l) {
        double onDemand = s.market() != NodeMarket.ON_DEMAND ? shapes.stream().filter(o -> o.instanceType().equals(s.instanceType())
                && o.market() == NodeMarket.ON_DEMAND).mapToDouble(NodeShape::pricePerHour).findFirst().orElse(s.pricePerHour()) : s.pricePerHour();
        return new NodeRequest(null, s.market(), s.instanceType(), s.gpus(), s.pricePerHour(), onDemand, l.zone()).forJob(l.jobId(), Map.of())
                .withGpu(l.gpuModels(), l.minGpuMemoryGiB()).withTypes(l.instanceTypes());
    }
}
