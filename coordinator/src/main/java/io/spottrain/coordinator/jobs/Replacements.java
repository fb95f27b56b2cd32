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
        // any zone: the one that just took a Spot node back is the last place to ask again
        var request = new NodeLauncher.NodeRequest(null, departed.market(), departed.instanceType(), departed.gpus(), departed.pricePerHour(),
                departed.onDemandPricePerHour(), null).forJob(jobId, spec.map(s -> s.metadata().labels()).orElse(Map.of()))
                .withGpu(spec.map(s -> s.spec().placement().gpuModels()).orElse(List.of()),
                        spec.map(s -> s.spec().placement().minGpuMemoryGiB()).orElse(0))
                .withTypes(spec.map(s -> s.spec().placement().instanceTypes()).orElse(List.of())); // a pinned job's types only
        var fallback = fallback(request, spec.map(s -> s.spec().placement().market()).orElse(Market.SPOT));
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
     * The on-demand request that stands in for a replacement nobody could launch, where the job's market allows it: a Spot
     * one for a {@code spot-with-fallback} job, a reserved one (the commitment may be full, or the launcher may launch none)
     * for a job that takes on-demand. Same type, GPUs and zone, at the on-demand price.
     */
    static Optional<NodeLauncher.NodeRequest> fallback(NodeLauncher.NodeRequest spot, Market jobMarket) {
        boolean fallsBack = switch (spot.market()) {
            case SPOT -> jobMarket == Market.SPOT_WITH_FALLBACK;
            case RESERVED -> jobMarket.admits(NodeMarket.ON_DEMAND);
            case ON_DEMAND -> false;
        };
        if (!fallsBack) return Optional.empty();
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
