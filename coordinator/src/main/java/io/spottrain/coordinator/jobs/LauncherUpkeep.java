package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.launch.NodeLauncher;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The launcher's housekeeping for the job manager ({@link NodeLauncher#upkeep}): every interval,
 * off the actor, with the names of the machines the cluster knows. A machine seen registered at an
 * earlier round counts as known for three more intervals, so one that is restarting its agent (or
 * briefly unreachable) at the moment of a round is not taken for one that never registered. One
 * round at a time; a round that fails is logged and the next one tries again.
 */
final class LauncherUpkeep {

    record Tick() implements JobManager.Command {}

    record Done(List<String> lines, String error) implements JobManager.Command {}

    private final ActorContext<JobManager.Command> ctx;
    private final AtomicReference<NodeLauncher> launcher;
    private final Executor blocking;
    private final Clock clock;
    private final Duration remember;
    private final Map<String, Instant> lastSeen = new HashMap<>();
    private boolean running;

    LauncherUpkeep(ActorContext<JobManager.Command> ctx, TimerScheduler<JobManager.Command> timers, AtomicReference<NodeLauncher> launcher,
            Executor blocking, Clock clock, Duration interval) {
        this.ctx = ctx;
        this.launcher = launcher;
        this.blocking = blocking;
        this.clock = clock;
        this.remember = interval.multipliedBy(3);
        timers.startTimerWithFixedDelay(new Tick(), interval);
    }

    /** A round starts with the names known now (registered, claimed, expected), unless one still runs. */
    <T> Behavior<T> onTick(Supplier<Set<String>> knownNow, Behavior<T> same) {
        var l = launcher.get();
        if (l == null || running) return same;
        Instant now = clock.instant();
        knownNow.get().forEach(n -> lastSeen.put(n, now));
        lastSeen.values().removeIf(seen -> seen.isBefore(now.minus(remember)));
        var known = Set.copyOf(lastSeen.keySet());
        running = true;
        ctx.pipeToSelf(CompletableFuture.supplyAsync(() -> {
            try {
                return l.upkeep(known);
            } catch (NodeLauncher.LaunchException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        }, blocking), (lines, e) -> new Done(lines == null ? List.of() : lines, e == null ? null : Causes.root(e)));
        return same;
    }

    <T> Behavior<T> onDone(Done d, Behavior<T> same) {
        running = false;
        d.lines().forEach(line -> ctx.getLog().info("launcher upkeep: {}", line));
        if (d.error() != null) ctx.getLog().warn("launcher upkeep failed (next round in one interval): {}", d.error());
        return same;
    }
}
