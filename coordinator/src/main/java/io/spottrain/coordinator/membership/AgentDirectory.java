package io.spottrain.coordinator.membership;

import io.spottrain.coordinator.metrics.ControlMetrics;
import io.spottrain.protocol.wire.AgentProtocol;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Membership of worker agents, for the job manager: finds agents through the Receptionist, asks
 * each to describe itself (its reports then go to the job manager), watches it, follows cluster
 * reachability, and checks each agent's own heartbeat, so a hung agent is found even while its
 * machine answers the cluster's failure detector. It decides nothing about jobs: it tells its
 * {@code listener} what happened to which agent.
 */
public final class AgentDirectory extends AbstractBehavior<AgentDirectory.Command> {

    public interface Command {}

    /** What the directory tells its listener. */
    public interface Event {}

    /** The agent's actor is gone: its machine left or was downed, or the actor stopped. */
    public record AgentGone(ActorRef<AgentProtocol.Command> agent, String why) implements Event {}

    /** The agent sent no heartbeat for {@code silentFor}: it is treated as lost (it registers again if it comes back). */
    public record AgentSilent(ActorRef<AgentProtocol.Command> agent, Duration silentFor) implements Event {}

    /**
     * The agent of {@code nodeId} offers {@code port} as the rendezvous port of its node's next generation as rank 0 (0: none).
     * Told when the offer changes, and again every {@link #OFFER_REPEAT} heartbeats (a listener that could not take it yet, its
     * node not registered, gets it again).
     */
    public record RendezvousOffered(String nodeId, ActorRef<AgentProtocol.Command> agent, int port) implements Event {}

    /** Heartbeats between repeats of an unchanged rendezvous offer. */
    static final int OFFER_REPEAT = 10;

    /** The cluster's failure detector changed its mind about an address (a machine, several agents on a host). */
    public record AddressReachability(String address, boolean reachable) implements Event {}

    /**
     * Forget an agent (its registration was refused): its next heartbeat has it described again,
     * so it registers once the refusal no longer holds (the node id it claims is free).
     */
    public record Forget(ActorRef<AgentProtocol.Command> agent) implements Command {}

    /** Heartbeat and sweep settings. */
    public record Settings(Duration heartbeatInterval, Duration heartbeatTimeout) {}

    private record Listed(Receptionist.Listing listing) implements Command {}

    private record Beat(AgentProtocol.Heartbeat heartbeat) implements Command {}

    private record Terminated(ActorRef<AgentProtocol.Command> agent) implements Command {}

    private record Reachability(ClusterEvent.ReachabilityEvent event) implements Command {}

    private enum Sweep implements Command { INSTANCE }

    public static Behavior<Command> create(ActorRef<AgentProtocol.Report> reports, ActorRef<Event> listener, Settings settings) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            timers.startTimerWithFixedDelay(Sweep.INSTANCE, settings.heartbeatInterval().dividedBy(2));
            return new AgentDirectory(ctx, reports, listener, settings);
        }));
    }

    private final ActorRef<AgentProtocol.Report> reports;
    private final ActorRef<Event> listener;
    private final Settings settings;
    private final ActorRef<AgentProtocol.Heartbeat> beats;
    /** Agents described, with the last time they were heard of (heartbeat or description). */
    private final Map<ActorRef<AgentProtocol.Command>, Instant> lastHeard = new HashMap<>();
    private final Set<ActorRef<AgentProtocol.Command>> silent = new HashSet<>();
    private final Set<String> unreachable = new HashSet<>();
    /** The node each registered agent heartbeats as (its GPU series are dropped when it goes). */
    private final Map<ActorRef<AgentProtocol.Command>, String> nodeOf = new HashMap<>();
    /** The rendezvous port each agent offered last. */
    private final Map<ActorRef<AgentProtocol.Command>, Integer> offers = new HashMap<>();

    private final ControlMetrics metrics;

    private AgentDirectory(ActorContext<Command> ctx, ActorRef<AgentProtocol.Report> reports, ActorRef<Event> listener, Settings settings) {
        super(ctx);
        this.metrics = ControlMetrics.get(ctx.getSystem());
        this.reports = reports;
        this.listener = listener;
        this.settings = settings;
        this.beats = ctx.messageAdapter(AgentProtocol.Heartbeat.class, Beat::new);
        ctx.getSystem().receptionist().tell(Receptionist.subscribe(AgentProtocol.SERVICE_KEY,
                ctx.messageAdapter(Receptionist.Listing.class, Listed::new)));
        Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(
                ctx.messageAdapter(ClusterEvent.ReachabilityEvent.class, Reachability::new), ClusterEvent.ReachabilityEvent.class));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Listed.class, this::onListed)
                .onMessage(Beat.class, this::onBeat)
                .onMessage(Terminated.class, this::onTerminated)
                .onMessage(Forget.class, f -> {
                    forgetGpus(f.agent());
                    lastHeard.remove(f.agent());
                    silent.remove(f.agent());
                    getContext().unwatch(f.agent());
                    return this;
                })
                .onMessage(Reachability.class, this::onReachability)
                .onMessageEquals(Sweep.INSTANCE, this::onSweep)
                .onSignal(PostStop.class, s -> {
                    metrics.gpuClear(); // the job manager moved: its GPU series must not stay frozen here
                    return this;
                })
                .build();
    }

    private Behavior<Command> onListed(Listed m) {
        for (ActorRef<AgentProtocol.Command> agent : m.listing().getServiceInstances(AgentProtocol.SERVICE_KEY)) {
            if (!lastHeard.containsKey(agent)) describe(agent);
        }
        return this;
    }

    private void describe(ActorRef<AgentProtocol.Command> agent) {
        lastHeard.put(agent, Instant.now());
        silent.remove(agent);
        getContext().watchWith(agent, new Terminated(agent));
        agent.tell(new AgentProtocol.DescribeNode(reports, beats, settings.heartbeatInterval().toMillis()));
    }

    private Behavior<Command> onBeat(Beat b) {
        var agent = b.heartbeat().agent();
        if (silent.contains(agent) || !lastHeard.containsKey(agent)) {
            getContext().getLog().info("agent {} is heard again after it was declared silent: registering it again", b.heartbeat().nodeId());
            describe(agent);
        } else {
            lastHeard.put(agent, Instant.now());
            // only a registered agent's GPUs count (one that was silent registers again first)
            nodeOf.put(agent, b.heartbeat().nodeId());
            metrics.gpus(b.heartbeat().nodeId(), b.heartbeat().gpus(), Instant.now());
            int port = b.heartbeat().rendezvousPort();
            Integer before = offers.put(agent, port);
            if (before == null || before != port || b.heartbeat().seq() % OFFER_REPEAT == 0) {
                listener.tell(new RendezvousOffered(b.heartbeat().nodeId(), agent, port));
            }
        }
        return this;
    }

    private Behavior<Command> onSweep() {
        Instant now = Instant.now();
        for (var e : lastHeard.entrySet()) {
            var agent = e.getKey();
            Duration quiet = Duration.between(e.getValue(), now);
            // silent for the timeout: lost, whether its machine is unreachable too (found before the downing)
            // or answers the cluster's failure detector while the agent hangs; heard again, it registers afresh.
            // Said again at every sweep while it stays silent: its description may reach the job manager after the first
            // (an agent that answered "describe yourself" and then hung, its answer queued behind the silence), and a node
            // registered then must still be lost, not live for good. The job manager ignores it for a node it does not hold.
            if (quiet.compareTo(settings.heartbeatTimeout()) > 0) {
                if (silent.add(agent)) forgetGpus(agent);
                listener.tell(new AgentSilent(agent, quiet));
            }
        }
        metrics.gpuSweep(now);
        return this;
    }

    private void forgetGpus(ActorRef<AgentProtocol.Command> agent) {
        offers.remove(agent);
        String node = nodeOf.remove(agent);
        if (node != null) metrics.gpuForget(node);
    }

    private Behavior<Command> onTerminated(Terminated t) {
        forgetGpus(t.agent());
        lastHeard.remove(t.agent());
        silent.remove(t.agent());
        String address = t.agent().path().address().toString();
        listener.tell(new AgentGone(t.agent(), unreachable.contains(address) ? "stopped answering heartbeats and was downed" : "left the cluster"));
        return this;
    }

    private Behavior<Command> onReachability(Reachability r) {
        String address = r.event().member().address().toString();
        boolean reachable = r.event() instanceof ClusterEvent.ReachableMember;
        if (reachable) {
            unreachable.remove(address);
            // heartbeats could not arrive while it was unreachable: start its silence count afresh
            lastHeard.replaceAll((agent, at) -> agent.path().address().toString().equals(address) ? Instant.now() : at);
        } else {
            unreachable.add(address);
        }
        listener.tell(new AddressReachability(address, reachable));
        return this;
    }
}
