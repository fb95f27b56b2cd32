package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.launch.NodeLauncher;
import io.spottrain.protocol.spec.JobSpec;
import io.spottrain.protocol.spec.Market;
import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.wire.NodeInfo;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Replacement launches for the job manager: a node like the departed one (same market, type,
 * GPUs, price, zone), named by the launcher, launched off the actor; a failure is tried again
 * after 1 s, 2 s, 4 s ... up to the configured attempts. Every departed node gets its own request.
 */
final class Replacements {

    /** A launch finished: {@code launched} or {@code error}. */
    record Launched(String jobId, NodeInfo departed, int attempt, NodeLauncher.LaunchedNode launched, String error)
            implements JobManager.Command {}

    record Retry(String jobId, NodeInfo departed, int attempt) implements JobManager.Command {}

    private final ActorContext<JobManager.Command> ctx;
    private final TimerScheduler<JobManager.Command> timers;
    private final AtomicReference<NodeLauncher> launcher;
    private final Executor blocking;
    private final int attempts;
    /** A job's spec: its labels (team, project ...) tag the machines, its market says whether on-demand may stand in for Spot. */
    private final Function<String, Optional<JobSpec>> specOf;

    Replacements(ActorContext<JobManager.Command> ctx, TimerScheduler<JobManager.Command> timers, AtomicReference<NodeLauncher> launcher,
            Executor blocking, int attempts, Function<String, Optional<JobSpec>> specOf) {
        this.ctx = ctx;
        this.timers = timers;
        this.launcher = launcher;
        this.blocking = blocking;
        this.attempts = attempts;
        this.specOf = specOf;
    }

    NodeLauncher launcher() {
        return launcher.get();
    }

    /** A departed node's replacement, like it as the registry last knew it (nothing when it never registered). */
    <T> Behavior<T> request(JobManager.RequestReplacement r, Function<String, Optional<NodeInfo>> lastKnown, Behavior<T> same) {
        lastKnown.apply(r.departed()).ifPresent(info -> launch(r.jobId(), info, 1));
        return same;
    }

    Behavior<JobManager.Command> retry(Retry r) {
        launch(r.jobId(), r.departed(), r.attempt());
        return Behaviors.same();
    }

    private void launch(String jobId, NodeInfo departed, int attempt) {
        var l = launcher.get();
        if (l == null) return;
        var spec = specOf.apply(jobId);
        var jobMarket = spec.map(s -> s.spec().placement().market()).orElse(Market.SPOT);
        var market = launchMarket(departed.market(), jobMarket);
        double price = market == departed.market() ? departed.pricePerHour() : market == NodeMarket.ON_DEMAND ? departed.onDemandPricePerHour()
                : l.shapes().stream().filter(s -> s.market() == market && s.instanceType().equals(departed.instanceType()))
                        .mapToDouble(NodeLauncher.NodeShape::pricePerHour).findFirst().orElse(departed.onDemandPricePerHour());
        // any zone: the one that just took a Spot node back is the last place to ask again
        var request = new NodeLauncher.NodeRequest(null, market, departed.instanceType(), departed.gpus(), price,
                departed.onDemandPricePerHour(), null).forJob(jobId, spec.map(s -> s.metadata().labels()).orElse(Map.of()))
                .withGpu(spec.map(s -> s.spec().placement().gpuModels()).orElse(List.of()),
                        spec.map(s -> s.spec().placement().minGpuMemoryGiB()).orElse(0))
                .withTypes(spec.map(s -> s.spec().placement().instanceTypes()).orElse(List.of())); // a pinned job's types only
        var fallback = fallback(request, jobMarket);
        ctx.pipeToSelf(CompletableFuture.supplyAsync(() -> {
            try {
                return l.launch(request);
            } catch (NodeLauncher.LaunchException e) {
                if (fallback.isEmpty()) throw new IllegalStateException(e.getMessage(), e);
                try { // the job hears which market the replacement is on
                    return l.launch(fallback.get());
                } catch (NodeLauncher.LaunchException onDemand) {
                    throw new IllegalStateException(request.market().label() + ": " + e.getMessage() + "; on-demand: " + onDemand.getMessage(), onDemand);
                }
            }
        }, blocking), (node, e) -> new Launched(jobId, departed, attempt, node, e == null ? null : Causes.root(e)));
    }

    /**
     * The market a node like {@code departed} is launched on for a job of {@code jobMarket}: its own, but for a reserved
     * node the job's cheapest open market (Spot where the job takes it, else on-demand). Reserved capacity is bounded by
     * its commitment: only its autoscaler pool launches it (a launcher may launch none: EC2's refuses).
     */
    static NodeMarket launchMarket(NodeMarket departed, Market jobMarket) {
        if (departed != NodeMarket.RESERVED) return departed;
        return jobMarket.admits(NodeMarket.SPOT) ? NodeMarket.SPOT : NodeMarket.ON_DEMAND;
    }

    /**
     * The on-demand request that stands in for a Spot replacement nobody could launch, where the
     * job's market allows it ({@code spot-with-fallback}): same type, GPUs and zone, at the on-demand price.
     */
    static Optional<NodeLauncher.NodeRequest> fallback(NodeLauncher.NodeRequest spot, Market jobMarket) {
        if (spot.market() != NodeMarket.SPOT || jobMarket != Market.SPOT_WITH_FALLBACK) return Optional.empty();
        return Optional.of(new NodeLauncher.NodeRequest(null, NodeMarket.ON_DEMAND, spot.instanceType(), spot.gpus(),
                spot.onDemandPricePerHour(), spot.onDemandPricePerHour(), spot.zone(), spot.job(), spot.labels(), spot.gpuModels(),
                spot.minGpuMemoryGiB(), spot.instanceTypes()));
    }

    /** The job (when it is still in progress) hears of the launch; a retry is scheduled when one is left. */
    <T> Behavior<T> onLaunched(Launched l, Function<String, ActorRef<JobMaster.Command>> masterOf, Behavior<T> same) {
        var outcome = outcome(l);
        var master = masterOf.apply(l.jobId());
        if (master != null) master.tell(outcome);
        return same;
    }

    private JobMaster.Command outcome(Launched l) {
        String departed = l.departed().nodeId();
        if (l.error() == null) {
            ctx.getLog().info("replacement {} ({}) launched for {}{}", l.launched().nodeId(), l.launched().market().label(), departed,
                    l.launched().market() == l.departed().market() ? "" : ": no " + l.departed().market().label()
                            + " capacity, the job's market allows " + l.launched().market().label());
            return new JobMaster.ReplacementLaunched(departed, l.launched().nodeId(), l.launched().market().label() + " "
                    + l.departed().instanceType());
        }
        boolean giveUp = l.attempt() >= attempts;
        ctx.getLog().warn("replacement for {} could not be launched (attempt {} of {}): {}", departed, l.attempt(), attempts, l.error());
        if (!giveUp) {
            timers.startSingleTimer(new Retry(l.jobId(), l.departed(), l.attempt() + 1), Duration.ofSeconds(1L << (l.attempt() - 1)));
        }
        return new JobMaster.ReplacementFailed(departed, l.error(), giveUp);
    }
}
