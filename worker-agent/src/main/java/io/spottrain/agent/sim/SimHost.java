package io.spottrain.agent.sim;

import com.typesafe.config.Config;
import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.wire.AgentProtocol;
import io.spottrain.protocol.wire.ClusterConfig;
import io.spottrain.protocol.wire.NodeInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * One JVM hosting many {@link SimAgent}s as one cluster member with role {@code worker} (a scale
 * test's "machine"): node ids {@code <prefix>-0001..}, all Spot g5.xlarge-like with 1 GPU. It tells
 * its agents when another member becomes unreachable, so their ranks stall as real ones would.
 */
public final class SimHost implements AutoCloseable {
    private final ActorSystem<Command> system;

    /** The host's guardian protocol. */
    public interface Command {}

    private record Unreachable(ClusterEvent.UnreachableMember event) implements Command {}

    private record Agents(ActorRef<List<ActorRef<AgentProtocol.Command>>> replyTo) implements Command {}

    private SimHost(ActorSystem<Command> system) {
        this.system = system;
    }

    public static SimHost start(String host, List<String> seeds, Config overrides, String prefix, int count, double stepsPerSecond) {
        Config config = ClusterConfig.node(ClusterConfig.ROLE_WORKER, host, 0, seeds, overrides);
        return new SimHost(ActorSystem.create(guardian(prefix, count, stepsPerSecond), ClusterConfig.SYSTEM_NAME, config));
    }

    private static Behavior<Command> guardian(String prefix, int count, double stepsPerSecond) {
        return Behaviors.setup(ctx -> {
            String address = Cluster.get(ctx.getSystem()).selfMember().address().toString();
            var agents = new ArrayList<ActorRef<AgentProtocol.Command>>();
            String launched = Instant.now().toString();
            for (int i = 1; i <= count; i++) {
                String id = String.format("%s-%04d", prefix, i);
                // each simulated agent stands for a machine of its own: its own (unresolved) host name, as MASTER_ADDR
                var info = new NodeInfo(id, NodeMarket.SPOT, "g5.xlarge", 1, 0.42, 1.006, "sim-a", id + ".sim", "sim-" + id,
                        ProcessHandle.current().pid(), "sim://" + address + "/" + id, launched);
                agents.add(ctx.spawn(SimAgent.create(info, stepsPerSecond), "agent-" + id));
            }
            Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(
                    ctx.messageAdapter(ClusterEvent.UnreachableMember.class, Unreachable::new), ClusterEvent.UnreachableMember.class));
            return Behaviors.receive(Command.class)
                    .onMessage(Unreachable.class, u -> {
                        var m = new SimAgent.PeerUnreachable(u.event().member().address().toString());
                        agents.forEach(a -> a.tell(m));
                        return Behaviors.same();
                    })
                    .onMessage(Agents.class, a -> {
                        a.replyTo().tell(List.copyOf(agents));
                        return Behaviors.same();
                    })
                    .build();
        });
    }

    /** Hangs up to {@code n} idle agents (they stop heartbeating and answering); returns how many. */
    public int hangIdle(int n) throws Exception {
        var agents = AskPattern.<Command, List<ActorRef<AgentProtocol.Command>>>ask(system, Agents::new, Duration.ofSeconds(5),
                system.scheduler()).toCompletableFuture().get(10, TimeUnit.SECONDS);
        int hung = 0;
        for (var agent : agents) {
            if (hung >= n) break;
            boolean did = AskPattern.<AgentProtocol.Command, Boolean>ask(agent, SimAgent.HangIfIdle::new, Duration.ofSeconds(5),
                    system.scheduler()).toCompletableFuture().get(10, TimeUnit.SECONDS);
            if (did) hung++;
        }
        return hung;
    }

    public ActorSystem<?> system() {
        return system;
    }

    @Override
    public void close() {
        system.terminate();
    }
}
