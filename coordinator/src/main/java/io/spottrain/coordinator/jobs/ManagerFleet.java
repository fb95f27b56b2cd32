package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.autoscale.AutoscalePolicy;
import io.spottrain.coordinator.autoscale.Autoscaler;
import io.spottrain.coordinator.autoscale.CapacityPool;
import io.spottrain.coordinator.autoscale.FleetView;
import io.spottrain.coordinator.launch.NodeLauncher;
import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.coordinator.membership.NodeState;
import io.spottrain.coordinator.scheduling.PoolRisks;
import io.spottrain.coordinator.settings.CoordinatorSettings;
import io.spottrain.coordinator.state.StateStore;
import io.spottrain.coordinator.state.StoreWriter;
import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.wire.NodeInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * The job manager's side of the autoscaler: it starts the {@link Autoscaler} child when the cluster
 * has a policy, answers its requests from the registry and the queue (the fleet's view; taking
 * nodes it wants to release out of placement, only while they are still free), and forwards
 * status asks. Not thread-safe: the job manager's.
 */
final class ManagerFleet {

    /** An autoscaler's request, adapted to the job manager's protocol. */
    record Asked(Autoscaler.FleetRequest request) implements JobManager.Command {}

    private final WorkerNodes nodes;
    private final PlacementQueue queue;
    /** Jobs an exceeded {@code block-scale-up} budget selects: they wait for free nodes, the autoscaler adds none for them. */
    private final Predicate<String> scaleUpBlocked;
    /** The waiting jobs their teams' quotas hold now: no node serves them before their team gives one back. */
    private final Supplier<Set<String>> quotaHeld;
    private final ActorRef<Autoscaler.Command> autoscaler;
    private final List<CapacityPool> pools;
    private final AtomicReference<NodeLauncher> launcher;
    private final Clock clock;

    /** The launcher whose shapes price registering nodes (set also where replacements are off). */
    private final AtomicReference<NodeLauncher> prices;

    ManagerFleet(ActorContext<JobManager.Command> ctx, CoordinatorSettings settings, WorkerNodes nodes, PlacementQueue queue,
            AtomicReference<NodeLauncher> launcher, AtomicReference<NodeLauncher> prices, Executor blocking, Clock clock,
            Predicate<String> scaleUpBlocked, Supplier<Set<String>> quotaHeld, StateStore store) {
        this.prices = prices;
        this.nodes = nodes;
        this.queue = queue;
        this.scaleUpBlocked = scaleUpBlocked;
        this.quotaHeld = quotaHeld;
        this.clock = clock;
        this.launcher = launcher;
        AutoscalePolicy policy = read(ctx, settings);
        this.pools = policy == null ? List.of() : policy.pools();
        this.autoscaler = policy == null ? null : start(ctx, policy, settings, launcher, blocking, clock, store);
    }

    /** A registering node at what it costs ({@link NodePricing}): its pool's price, the launcher's, or its own. */
    NodeInfo priced(NodeInfo node) {
        var l = prices.get();
        return NodePricing.price(node, pools, l == null ? List.of() : l.shapes(), l != null && l.pricesItsNodes());
    }

    /** The Spot priors of interruption: the named pools' own ({@code interruptionPrior}), else {@code clusterPrior}. */
    PoolRisks.Priors priors(double clusterPrior) {
        return CapacityPool.priors(pools, clusterPrior);
    }

    /** Once the job manager has read the store: the autoscaler keeps its state through the job manager's fenced writer. */
    void open(ActorRef<StoreWriter.Command> writer) {
        if (autoscaler != null) autoscaler.tell(new Autoscaler.Journal(writer));
    }

    private static AutoscalePolicy read(ActorContext<JobManager.Command> ctx, CoordinatorSettings settings) {
        String file = settings.autoscalePolicyFile();
        if (file == null || file.isBlank()) return null;
        try {
            return AutoscalePolicy.parse(file, Files.readString(Path.of(file))).scaled(settings.autoscaleTimeScale());
        } catch (IOException | AutoscalePolicy.PolicyException e) {
            ctx.getLog().error("no autoscaler: the policy {} cannot be used: {}", file, e.getMessage());
            return null;
        }
    }

    private static ActorRef<Autoscaler.Command> start(ActorContext<JobManager.Command> ctx, AutoscalePolicy policy, CoordinatorSettings settings,
            AtomicReference<NodeLauncher> launcher, Executor blocking, Clock clock, StateStore store) {
        long tick = Math.max(250, Math.min(2000, Math.round(2000 * settings.autoscaleTimeScale())));
        if (!policy.pools().isEmpty()) ctx.getLog().info("autoscaler pools: {}", policy.pools());
        return ctx.spawn(Autoscaler.create(policy, ctx.messageAdapter(Autoscaler.FleetRequest.class, Asked::new), launcher, blocking, clock,
                Duration.ofMillis(tick), Duration.ofMinutes(10), store), "autoscaler");
    }

    <T> Behavior<T> onAsked(Asked a, Behavior<T> same) {
        if (a.request() instanceof Autoscaler.ViewRequest v) {
            var view = new ArrayList<FleetView.Node>();
            var risks = nodes.risks(clock.instant());
            for (NodeRecord n : nodes.all()) {
                if (n.state() == NodeState.INTERRUPTING) continue; // leaving (a notice, or released): not capacity any more
                view.add(new FleetView.Node(n.nodeId(), n.info().instanceId(), n.info().instanceType(), n.info().market(), n.info().gpus(),
                        n.state() != NodeState.READY, null, risks.of(n), n.info().zone()));
            }
            var waiting = new ArrayList<FleetView.Waiting>();
            var heldBack = new ArrayList<String>();
            var byQuota = new ArrayList<String>();
            var quotas = quotaHeld.get();
            for (var w : queue.waiting(risks)) {
                if (quotas.contains(w.jobId())) byQuota.add(w.jobId());
                else if (scaleUpBlocked.test(w.jobId())) heldBack.add(w.jobId());
                else waiting.add(w);
            }
            v.replyTo().tell(new FleetView(view, waiting, heldBack, byQuota, spotRisk(risks)));
        } else if (a.request() instanceof Autoscaler.Retire r) {
            var retired = new ArrayList<String>();
            for (NodeRecord n : nodes.all()) {
                if (r.nodeIds().contains(n.nodeId()) && n.state() == NodeState.READY && n.jobId() == null) {
                    nodes.retiring(n.nodeId()); // nothing is placed on it any more; it leaves when the launcher stops it
                    retired.add(n.nodeId());
                }
            }
            r.replyTo().tell(new Autoscaler.Retired(List.copyOf(retired)));
        }
        return same;
    }

    /** Per Spot instance type the launcher has: the lowest estimate of its pools seen, else its prior alone. */
    private Map<String, Double> spotRisk(PoolRisks risks) {
        var l = launcher.get();
        if (l == null) return Map.of();
        var out = new HashMap<String, Double>();
        for (var shape : l.shapes()) {
            if (shape.market() != NodeMarket.SPOT) continue;
            String t = shape.instanceType();
            double seen = risks.pools().entrySet().stream().filter(e -> e.getKey().instanceType().equals(t))
                    .mapToDouble(e -> e.getValue().perNodeHour()).min().orElse(risks.risk(t, null).perNodeHour());
            out.merge(t, seen, Math::min);
        }
        return out;
    }

    <T> Behavior<T> status(JobManager.AutoscalerStatus s, Behavior<T> same) {
        if (autoscaler == null) s.replyTo().tell(Autoscaler.Status.disabled());
        else autoscaler.tell(new Autoscaler.GetStatus(s.replyTo()));
        return same;
    }
}
