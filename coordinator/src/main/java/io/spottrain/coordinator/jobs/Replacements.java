package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.launch.NodeLauncher;
import io.spottrain.protocol.wire.NodeInfo;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
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
    /** A job's labels (team, project ...), for the launcher to tag its machines with. */
    private final Function<String, Map<String, String>> labelsOf;

    Replacements(ActorContext<JobManager.Command> ctx, TimerScheduler<JobManager.Command> timers, AtomicReference<NodeLauncher> launcher,
            Executor blocking, int attempts, Function<String, Map<String, String>> labelsOf) {
        this.ctx = ctx;
        this.timers = timers;
        this.launcher = launcher;
        this.blocking = blocking;
        this.attempts = attempts;
        this.labelsOf = labelsOf;
    }

    NodeLauncher launcher() {
        return launcher.get();
    }

    void request(String jobId, NodeInfo departed) {
        launch(jobId, departed, 1);
    }

    Behavior<JobManager.Command> retry(Retry r) {
        launch(r.jobId(), r.departed(), r.attempt());
        return Behaviors.same();
    }

    private void launch(String jobId, NodeInfo departed, int attempt) {
        var l = launcher.get();
        if (l == null) return;
        var request = new NodeLauncher.NodeRequest(null, departed.market(), departed.instanceType(), departed.gpus(), departed.pricePerHour(),
                departed.onDemandPricePerHour(), departed.zone()).forJob(jobId, labelsOf.apply(jobId));
        ctx.pipeToSelf(CompletableFuture.supplyAsync(() -> {
            try {
                return l.launch(request);
            } catch (NodeLauncher.LaunchException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        }, blocking), (node, e) -> new Launched(jobId, departed, attempt, node, e == null ? null : JobManager.rootMessage(e)));
    }

    /** What the job hears of the launch (null: nothing), and a retry scheduled when one is left. */
    JobMaster.Command onLaunched(Launched l) {
        String departed = l.departed().nodeId();
        if (l.error() == null) {
            ctx.getLog().info("replacement {} launched for {}", l.launched().nodeId(), departed);
            return new JobMaster.ReplacementLaunched(departed, l.launched().nodeId(), l.departed().market().label() + " "
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
