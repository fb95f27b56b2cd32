package io.spottrain.coordinator.membership;

import io.spottrain.protocol.wire.ClusterConfig;
import java.util.Set;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Downs a worker's cluster member as soon as it is unreachable, instead of leaving it to the split
 * brain resolver. Spot workers die in bursts, one after another: a worker that saw another go
 * unreachable and then died itself is, to the resolver, both an observer and a subject of
 * unreachability ("indirectly connected"); two such decisions in a row make Pekko's resolver down
 * <em>every</em> member, the control nodes included (measured: {@code bench goodput}, 3 of 4 Spot
 * nodes terminated within 6 s took the coordinator down). A worker holds no cluster state and its
 * agent rejoins as a new incarnation, so downing it at once costs nothing the resolver's wait would
 * save; with the dead downed at once, later deaths are clean crashes. Only a control node that
 * sees a majority of the control members up and reachable acts, so a control node cut off from the
 * rest does not down workers the others still reach. The decision is {@link #decide}, a pure function.
 */
public final class WorkerDowning {
    private WorkerDowning() {}

    public sealed interface Decision {}

    public record DownMember() implements Decision {}

    public record Skip(String why) implements Decision {}

    /**
     * Whether to down an unreachable member with {@code roles}, seen from a control node where
     * {@code reachableControls} of {@code controls} control members (itself included) are up and reachable.
     */
    public static Decision decide(Set<String> roles, boolean live, int controls, int reachableControls) {
        if (roles.contains(ClusterConfig.ROLE_CONTROL)) return new Skip("a control member: the control downing and the resolver decide");
        if (!roles.contains(ClusterConfig.ROLE_WORKER)) return new Skip("not a worker");
        if (!live) return new Skip("already leaving, down or removed");
        if (reachableControls * 2 <= controls) {
            return new Skip("no majority here: " + reachableControls + " of " + controls + " control members are up and reachable");
        }
        return new DownMember();
    }

    public static Behavior<ClusterEvent.UnreachableMember> create() {
        return Behaviors.setup(ctx -> {
            Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(ctx.getSelf(), ClusterEvent.UnreachableMember.class));
            return Behaviors.receive(ClusterEvent.UnreachableMember.class)
                    .onMessage(ClusterEvent.UnreachableMember.class, m -> onUnreachable(ctx, m.member()))
                    .build();
        });
    }

    private static Behavior<ClusterEvent.UnreachableMember> onUnreachable(ActorContext<ClusterEvent.UnreachableMember> ctx, Member member) {
        var cluster = Cluster.get(ctx.getSystem());
        var state = cluster.state();
        int controls = 0;
        int reachable = 0;
        for (Member m : state.getMembers()) {
            if (!m.hasRole(ClusterConfig.ROLE_CONTROL) || !live(m)) continue;
            controls++;
            if (!state.getUnreachable().contains(m)) reachable++;
        }
        var d = decide(member.getRoles(), live(member), controls, reachable);
        if (d instanceof DownMember) {
            ctx.getLog().warn("worker member {} is unreachable: downing it now (not waiting for the split brain resolver)", member.address());
            cluster.manager().tell(new Down(member.address()));
        } else if (d instanceof Skip s && member.hasRole(ClusterConfig.ROLE_WORKER)) {
            ctx.getLog().info("worker member {} is unreachable; not downing it here: {}", member.address(), s.why());
        }
        return Behaviors.same();
    }

    private static boolean live(Member m) {
        return m.status() == MemberStatus.up() || m.status() == MemberStatus.weaklyUp() || m.status() == MemberStatus.joining();
    }
}
