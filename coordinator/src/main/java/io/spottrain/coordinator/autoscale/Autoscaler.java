package io.spottrain.coordinator.autoscale;

import io.spottrain.coordinator.autoscale.AutoscaleDecision.Action;
import io.spottrain.coordinator.autoscale.AutoscaleDecision.Decision;
import io.spottrain.coordinator.autoscale.AutoscaleDecision.Launch;
import io.spottrain.coordinator.autoscale.FleetView.InFlight;
import io.spottrain.coordinator.launch.NodeLauncher;
import io.spottrain.coordinator.launch.NodeLauncher.NodeShape;
import io.spottrain.coordinator.state.StateStore;
import io.spottrain.coordinator.state.StoreWriter;
import io.spottrain.coordinator.state.Table;
import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.wire.WireMessage;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The autoscaler, a child of the job manager: every interval it asks the job manager for the fleet
 * ({@link FleetView}), decides ({@link AutoscaleDecision}, pure), launches what the waiting jobs
 * need through the launcher (a job's gang as one request) and releases idle nodes (the job manager
 * first takes them out of placement, so a node is never released under a job that was just placed
 * on it). It keeps the capacity in flight (asked for, not registered) and measures provisioning
 * (launch to registration); every decision that acts is logged with its numbers and kept for
 * {@code autoscaler status}.
 */
public final class Autoscaler extends AbstractBehavior<Autoscaler.Command> {
    private static final Logger LOG = LoggerFactory.getLogger(Autoscaler.class); // for work off the actor

    public interface Command {}

    /** What the autoscaler asks of the job manager. */
    public interface FleetRequest {}

    public record ViewRequest(ActorRef<FleetView> replyTo) implements FleetRequest {}

    /** Take these nodes out of placement if they are still free; the reply names those taken out. */
    public record Retire(List<String> nodeIds, ActorRef<Retired> replyTo) implements FleetRequest {}

    public record Retired(List<String> nodeIds) implements Command {}

    public record GetStatus(ActorRef<Status> replyTo) implements Command, WireMessage {}

    /** A decision that acted (or changed its reason), with the metric that caused it. */
    public record Event(String at, Action action, double metric, int launch, List<String> release, String reason) {}

    /** For {@code autoscaler status}: the policy, the last metric, the fleet and capacity in flight, the last decisions. */
    public record Status(boolean enabled, String metric, double threshold, double lastMetric, int minNodes, int maxNodes, int nodes,
            List<Launching> inFlight, Long provisioningMsP50, List<Event> decisions, List<PoolStatus> pools) implements WireMessage {

        public static Status disabled() {
            return new Status(false, null, 0, 0, 0, 0, 0, List.of(), null, List.of(), List.of());
        }
    }

    /** A named pool at the last tick: its live nodes and launches in flight, and its limits. */
    public record PoolStatus(String pool, NodeMarket market, int nodes, int inFlight, int minNodes, int maxNodes, String zone) {}

    /** The job manager's fenced writer, once it has read the store: from then on the autoscaler's state is kept there. */
    public record Journal(ActorRef<StoreWriter.Command> writer) implements Command {}

    private record Loaded(Optional<String> json, Throwable error) implements Command {}

    private record Persisted(StoreWriter.Result result) implements Command {}

    /** A launch in flight as the status shows it (the API's JSON has no Java time types: instants as ISO-8601 text). */
    public record Launching(String nodeId, String instanceType, int gpus, NodeMarket market, String askedAt, String zone) {
        public static Launching of(InFlight f) {
            return new Launching(f.nodeId(), f.instanceType(), f.gpus(), f.market(), f.askedAt().toString(), f.zone());
        }
    }

    private record Tick() implements Command {}

    private record Viewed(FleetView view) implements Command {}

    private record Launched(Launch launch, List<String> placeholders, List<NodeLauncher.LaunchedNode> nodes, String error) implements Command {}

    /**
     * An autoscaler that keeps its state in {@code store} (null: nowhere; tests): it reads what an earlier one kept once the
     * job manager hands it its fenced writer ({@link Journal}: after the job manager took the store's epoch, so an older job
     * manager can no longer write it), and decides nothing before.
     */
    public static Behavior<Command> create(AutoscalePolicy policy, ActorRef<FleetRequest> fleet, AtomicReference<NodeLauncher> launcher,
            Executor blocking, Clock clock, Duration interval, Duration provisionTimeout, StateStore store) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            timers.startTimerWithFixedDelay(new Tick(), interval);
            return new Autoscaler(ctx, policy, fleet, launcher, blocking, clock, provisionTimeout, store);
        }));
    }

    private final AutoscalePolicy policy;
    private final ActorRef<FleetRequest> fleet;
    private final AtomicReference<NodeLauncher> launcher;
    private final Executor blocking;
    private final Clock clock;
    private final Duration provisionTimeout;
    private final ActorRef<FleetView> viewAdapter;
    private final ActorRef<Retired> retiredAdapter;
    private final Map<String, InFlight> inFlight = new LinkedHashMap<>();
    private final Map<String, Instant> freeSince = new HashMap<>();
    private final Map<String, String> instanceOf = new HashMap<>();
    private final Deque<Event> events = new ArrayDeque<>();
    private final Deque<Long> provisioning = new ArrayDeque<>();
    private Instant lastUp;
    private Instant lastDown;
    private Instant lastFloor;
    private Instant floorFailed;
    private double lastMetric;
    private int lastNodes;
    private String lastReason = "";
    private int placeholders;
    private List<PoolStatus> pools = List.of();
    /** Whether the stored state was read (nothing is decided before: a launch in flight must not be asked for twice). */
    private boolean loaded;
    private boolean loading;
    private final StateStore store;
    private ActorRef<StoreWriter.Command> journal;
    private final ActorRef<StoreWriter.Result> persisted;
    private String stored = "";

    private Autoscaler(ActorContext<Command> ctx, AutoscalePolicy policy, ActorRef<FleetRequest> fleet, AtomicReference<NodeLauncher> launcher,
            Executor blocking, Clock clock, Duration provisionTimeout, StateStore store) {
        super(ctx);
        this.store = store;
        this.loaded = store == null;
        this.persisted = ctx.messageAdapter(StoreWriter.Result.class, Persisted::new);
        this.policy = policy;
        this.fleet = fleet;
        this.launcher = launcher;
        this.blocking = blocking;
        this.clock = clock;
        this.provisionTimeout = provisionTimeout;
        this.viewAdapter = ctx.messageAdapter(FleetView.class, Viewed::new);
        this.retiredAdapter = ctx.messageAdapter(Retired.class, r -> r);
        ctx.getLog().info("autoscaler on: {} > {}, scale-up cooldown {}, scale-down cooldown {}, {}..{} nodes", policy.metric().label,
                policy.targetThreshold(), policy.scaleUpCooldown(), policy.scaleDownCooldown(), policy.minNodes(), policy.maxNodes());
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Tick.class, t -> {
                    // a local cluster sets the launcher once it is up
                    if (loaded && launcher.get() != null) fleet.tell(new ViewRequest(viewAdapter));
                    else if (!loaded) load();
                    return this;
                })
                .onMessage(Loaded.class, this::onLoaded)
                .onMessage(Journal.class, j -> {
                    journal = j.writer();
                    load();
                    return this;
                })
                .onMessage(Persisted.class, r -> {
                    if (r.result() instanceof StoreWriter.WriteFailed f) {
                        stored = ""; // written again at the next change or tick
                        getContext().getLog().warn("autoscaler: keeping its state in the store failed: {}", f.error());
                    }
                    return this;
                })
                .onMessage(Viewed.class, v -> {
                    onView(v.view());
                    persist();
                    return this;
                })
                .onMessage(Launched.class, l -> {
                    onLaunched(l);
                    persist();
                    return this;
                })
                .onMessage(Retired.class, this::onRetired)
                .onMessage(GetStatus.class, g -> {
                    g.replyTo().tell(status());
                    return this;
                })
                .build();
    }

    private void onView(FleetView raw) {
        Instant now = clock.instant();
        var live = new HashSet<String>();
        var nodes = new ArrayList<FleetView.Node>();
        var owned = new HashSet<String>(); // the launcher's names for what it started or adopted
        if (launcher.get() != null) launcher.get().nodes().forEach(n -> owned.add(n.nodeId()));
        for (var n : raw.nodes()) {
            live.add(n.id());
            // a launch is tracked by the launcher's name for it: on EC2 the instance id, which the agent reports beside its own
            if (n.instanceId() != null && !n.instanceId().isBlank()) {
                live.add(n.instanceId());
                instanceOf.put(n.id(), n.instanceId());
            }
            if (n.busy()) freeSince.remove(n.id());
            else freeSince.putIfAbsent(n.id(), now);
            boolean releasable = owned.contains(n.id()) || (n.instanceId() != null && owned.contains(n.instanceId()));
            nodes.add(new FleetView.Node(n.id(), n.instanceId(), n.instanceType(), n.market(), n.gpus(), n.busy(),
                    n.busy() ? null : freeSince.get(n.id()), n.interruptRisk(), n.zone(), releasable));
        }
        freeSince.keySet().retainAll(live);
        instanceOf.keySet().retainAll(live);
        // capacity in flight: registered now, or given up on after the provisioning timeout
        for (var it = inFlight.values().iterator(); it.hasNext(); ) {
            var f = it.next();
            if (live.contains(f.nodeId())) {
                it.remove();
                remember(provisioning, Duration.between(f.askedAt(), now).toMillis(), 50);
                getContext().getLog().info("autoscaler: {} registered {} ms after it was asked for", f.nodeId(),
                        Duration.between(f.askedAt(), now).toMillis());
            } else if (!f.nodeId().startsWith("launching-") && now.isAfter(f.askedAt().plus(provisionTimeout))) {
                it.remove();
                getContext().getLog().warn("autoscaler: {} did not register within {}; no longer counted as capacity in flight", f.nodeId(),
                        provisionTimeout);
            }
        }
        var view = new FleetView(nodes, raw.waiting(), raw.heldBack(), raw.quotaHeld(), raw.spotRisk());
        var shapes = launcher.get() == null ? null : launcher.get().shapes();
        pools = new PoolPlan(policy.pools(), nodes, List.copyOf(inFlight.values()), shapes, raw.spotRisk()).counts().stream()
                .map(c -> new PoolStatus(c.pool(), c.market(), c.nodes(), c.inFlight(), c.minNodes(), c.maxNodes(), c.zone())).toList();
        Decision d = AutoscaleDecision.tick(policy, now, view, List.copyOf(inFlight.values()),
                new AutoscaleDecision.Clocks(lastUp, lastDown, lastFloor, floorFailed), shapes);
        lastMetric = d.metric();
        lastNodes = nodes.size();
        if (d.action() == Action.NONE) {
            if (!d.reason().equals(lastReason)) record(now, d);
            return;
        }
        record(now, d);
        getContext().getLog().info("autoscaler: {}", d.reason());
        if (d.action() == Action.SCALE_UP) {
            // the scale-up cooldown runs from a growth for the queue; a launch for a minimum only counts as a change of the fleet
            if (d.launches().stream().anyMatch(l -> l.jobId() != null)) lastUp = now;
            if (d.launches().stream().anyMatch(l -> l.jobId() == null)) lastFloor = now;
            d.launches().forEach(l -> launch(l, now));
        } else {
            lastDown = now;
            fleet.tell(new Retire(d.release(), retiredAdapter));
        }
    }

    private void launch(Launch l, Instant now) {
        var lnch = launcher.get();
        var shape = lnch == null ? Optional.<NodeShape>empty() : LaunchShapes.choose(lnch.shapes(), l);
        if (shape.isEmpty()) {
            record(now, new Decision(Action.NONE, lastMetric, List.of(), List.of(), lnch == null ? "no launcher: cannot launch "
                    + l.count() + " node(s)" : "no node shape of the launcher has " + l.gpus() + " GPU(s) on " + l.market().label()));
            return;
        }
        var s = shape.get();
        var ids = new ArrayList<String>();
        for (int i = 0; i < l.count(); i++) {
            String id = "launching-" + (++placeholders);
            ids.add(id);
            inFlight.put(id, new InFlight(id, s.instanceType(), s.gpus(), s.market(), now, l.zone()));
        }
        var request = LaunchShapes.request(lnch.shapes(), s, l);
        getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> {
            try {
                return lnch.launch(request, l.count());
            } catch (NodeLauncher.LaunchException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        }, blocking), (nodes, e) -> new Launched(l, ids, nodes, e == null ? null : rootMessage(e)));
    }

    private void onLaunched(Launched m) {
        Instant now = clock.instant();
        var first = m.placeholders().isEmpty() ? null : inFlight.get(m.placeholders().get(0));
        Instant asked = first == null ? now : first.askedAt();
        String type = first == null ? null : first.instanceType();
        String zone = first == null ? null : first.zone();
        m.placeholders().forEach(inFlight::remove);
        if (m.error() != null) {
            getContext().getLog().warn("autoscaler: launching {} node(s) for {} failed: {}", m.launch().count(), job(m.launch()), m.error());
            record(now, new Decision(Action.NONE, lastMetric, List.of(), List.of(), "launching " + m.launch().count() + " node(s) for "
                    + job(m.launch()) + " failed: " + m.error()));
            // the scale-up cooldown stands: an error that repeats (auth, quota) is tried again once per cooldown, not every tick;
            // so does a failed launch for a minimum (those ignore the cooldown otherwise)
            if (m.launch().jobId() == null) floorFailed = now;
            return;
        }
        for (var n : m.nodes()) inFlight.put(n.nodeId(), new InFlight(n.nodeId(), type, m.launch().gpus(), n.market(), asked, zone));
        getContext().getLog().info("autoscaler: launched {} for {}", m.nodes().stream().map(NodeLauncher.LaunchedNode::nodeId).toList(),
                job(m.launch()));
    }

    private Behavior<Command> onRetired(Retired r) {
        var l = launcher.get();
        if (l == null || r.nodeIds().isEmpty()) return this;
        // stop each by the launcher's name for it (EC2: the instance id; local: the node id)
        var launched = new HashSet<String>();
        l.nodes().forEach(n -> launched.add(n.nodeId()));
        var ids = r.nodeIds().stream().map(id -> launched.contains(id) ? id : instanceOf.getOrDefault(id, id)).toList();
        getContext().getLog().info("autoscaler: releasing {}", ids);
        CompletableFuture.runAsync(() -> {
            for (String id : ids) {
                try {
                    l.stop(id);
                } catch (RuntimeException e) {
                    LOG.error("autoscaler: releasing {} failed: {}", id, e.toString());
                }
            }
        }, blocking);
        return this;
    }

    private static String job(Launch l) {
        return l.jobId() == null ? "the fleet's minimum" : "job " + l.jobId();
    }

    private void record(Instant now, Decision d) {
        lastReason = d.reason();
        remember(events, new Event(now.toString(), d.action(), d.metric(), d.launching(), d.release(), d.reason()), 20);
    }

    private static <T> void remember(Deque<T> q, T item, int keep) {
        q.addLast(item);
        while (q.size() > keep) q.removeFirst();
    }

    private Status status() {
        Long p50 = provisioning.isEmpty() ? null : provisioning.stream().sorted().toList().get(provisioning.size() / 2);
        return new Status(true, policy.metric().label, policy.targetThreshold(), lastMetric, policy.minNodes(), policy.maxNodes(), lastNodes,
                inFlight.values().stream().map(Launching::of).toList(), p50, List.copyOf(events), pools);
    }

    /** Reads the stored state (once the journal is here: after the job manager's epoch), again after a failed read. */
    private void load() {
        if (loaded || loading || journal == null) return;
        loading = true;
        getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> store.get(Table.AUTOSCALER, AutoscalerState.KEY), blocking), Loaded::new);
    }

    private Behavior<Command> onLoaded(Loaded l) {
        loading = false;
        if (l.error() != null) { // a store that cannot be read now: nothing is decided, the next tick reads again
            getContext().getLog().warn("autoscaler: its stored state could not be read ({}); reading again", l.error().toString());
            return this;
        }
        loaded = true;
        if (l.json().isEmpty()) return this;
        try {
            var s = AutoscalerState.parse(l.json().get());
            lastUp = s.lastUp() == null ? null : Instant.parse(s.lastUp());
            lastDown = s.lastDown() == null ? null : Instant.parse(s.lastDown());
            lastFloor = s.lastFloor() == null ? null : Instant.parse(s.lastFloor());
            s.decisions().forEach(e -> remember(events, e, 20));
            s.provisioningMs().forEach(ms -> remember(provisioning, ms, 50));
            for (var f : s.inFlight()) {
                inFlight.put(f.nodeId(), new InFlight(f.nodeId(), f.instanceType(), f.gpus(), f.market(), Instant.parse(f.askedAt()), f.zone()));
            }
            stored = l.json().get();
            getContext().getLog().info("autoscaler: went on from the stored state: {} decision(s), {} launch(es) in flight {}, last scale-up {}, "
                    + "last scale-down {}", s.decisions().size(), inFlight.size(), inFlight.keySet(), lastUp, lastDown);
        } catch (IOException | RuntimeException e) {
            // a document this build cannot use (corrupt, or of a newer schema after a downgrade) is replaced: what it said about
            // launches in flight is lost (EC2: the launcher's reconciliation adopts their instances by tag)
            getContext().getLog().error("autoscaler: its stored state cannot be used ({}); starting afresh and replacing it", e.getMessage());
        }
        return this;
    }

    /** Keeps the state in the store if it changed (launches still asked of the launcher have no name yet: they are not kept). */
    private void persist() {
        if (journal == null || !loaded) return;
        var flying = inFlight.values().stream().filter(f -> !f.nodeId().startsWith("launching-")).map(Launching::of).toList();
        String json = new AutoscalerState(AutoscalerState.SCHEMA, text(lastUp), text(lastDown), text(lastFloor), List.copyOf(events), flying,
                List.copyOf(provisioning)).json();
        if (json.equals(stored)) return;
        stored = json;
        journal.tell(new StoreWriter.Write(List.of(new StateStore.Put(Table.AUTOSCALER, AutoscalerState.KEY, json)), persisted, 0));
    }

    private static String text(Instant t) {
        return t == null ? null : t.toString();
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
