package io.spottrain.coordinator.membership;

import io.spottrain.protocol.wire.ClusterConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.apache.pekko.remote.RemoteActorRefProvider;
import scala.Option;

/**
 * Downs a control node's cluster member as soon as the state store has seen that node's store
 * fail, instead of waiting for the cluster's failure detector (3 s of missed heartbeats) and the
 * split brain resolver ({@code stable-after}): the store's discovery sees a killed process at once
 * (its TCP connections reset). The job manager singleton then moves after the removal margin.
 * Only a majority side acts: the member is downed only while more than half of the control members
 * are up, reachable from here and in this node's store topology, the failed one not counted. A
 * store that merely lost sight of the others (a partition) therefore downs nobody, and the
 * failure detector with the split brain resolver stays the path for partitions and silent
 * machines. Every job manager fences its store writes with a new epoch, so even a wrong downing
 * cannot have two job managers acting. The decision is {@link #decide}, a pure function.
 */
public final class ControlDowning {

    public interface Command {}

    /** The state store no longer has control node {@code nodeId} (it crashed or stopped). */
    public record StoreLeft(String nodeId) implements Command {}

    /** What the state store knows: where each control node said it runs, and which stores are in its topology now. */
    public interface Evidence {
        /** Control node id to its cluster address, as each node recorded at start. */
        Map<String, String> addresses();

        /** Node ids of the control nodes whose stores are in this node's store topology. */
        Set<String> storeMembers();
    }

    /** A control member as this node sees it: {@code live} is Up or WeaklyUp. */
    public record ControlMember(String address, boolean live, boolean reachable, boolean inStore) {}

    public sealed interface Decision {}

    public record DownMember(String address) implements Decision {}

    public record Skip(String why) implements Decision {}

    private ControlDowning() {}

    /**
     * Whether to down the member at {@code failedAddress} (null: unknown) after control node
     * {@code nodeId}'s store left. {@code controls}: every control member that is neither down nor
     * removed, this one included ({@code self}).
     */
    public static Decision decide(String nodeId, String failedAddress, boolean backInStore, List<ControlMember> controls, String self) {
        if (failedAddress == null) return new Skip("no cluster address is recorded for control node " + nodeId);
        if (failedAddress.equals(self)) return new Skip(nodeId + " is this node");
        if (backInStore) return new Skip(nodeId + " is in the store's topology again");
        var failed = controls.stream().filter(c -> c.address().equals(failedAddress)).findFirst();
        if (failed.isEmpty() || !failed.get().live()) {
            return new Skip(failedAddress + " is not an up control member (already down, leaving or gone)");
        }
        long alive = controls.stream().filter(c -> !c.address().equals(failedAddress) && c.live() && c.reachable() && c.inStore()).count();
        if (alive * 2 <= controls.size()) {
            return new Skip("no majority here: " + alive + " of " + controls.size() + " control nodes are up, reachable and in the store");
        }
        return new DownMember(failedAddress);
    }

    public static Behavior<Command> create(Evidence evidence) {
        return Behaviors.setup(ctx -> Behaviors.receive(Command.class)
                .onMessage(StoreLeft.class, m -> onStoreLeft(ctx, evidence, m))
                .build());
    }

    private static Behavior<Command> onStoreLeft(ActorContext<Command> ctx, Evidence evidence, StoreLeft m) {
        var cluster = Cluster.get(ctx.getSystem());
        var state = cluster.state();
        Map<String, String> addresses = evidence.addresses();
        Set<String> inStore = evidence.storeMembers();
        var nodeIdByAddress = new HashMap<String, String>();
        addresses.forEach((id, address) -> nodeIdByAddress.put(address, id));
        var controls = new ArrayList<ControlMember>();
        for (Member member : state.getMembers()) {
            if (!member.hasRole(ClusterConfig.ROLE_CONTROL) || member.status() == MemberStatus.down() || member.status() == MemberStatus.removed()) continue;
            String address = member.address().toString();
            boolean live = member.status() == MemberStatus.up() || member.status() == MemberStatus.weaklyUp();
            controls.add(new ControlMember(address, live, !state.getUnreachable().contains(member),
                    inStore.contains(nodeIdByAddress.get(address))));
        }
        String self = cluster.selfMember().address().toString();
        var decision = decide(m.nodeId(), addresses.get(m.nodeId()), inStore.contains(m.nodeId()), controls, self);
        if (decision instanceof DownMember d) {
            ctx.getLog().warn("control node {}'s state store failed: downing its cluster member {} now (before the failure detector)",
                    m.nodeId(), d.address());
            var address = AddressFromURIString.parse(d.address());
            cluster.manager().tell(new Down(address));
            // The leader removes a downed member only once it is unreachable or terminated, so the
            // singleton would still wait for the failure detector: quarantining the dead member's
            // association now marks it terminated (what Pekko does itself at removal, seconds later).
            state.getMembers().forEach(member -> {
                if (member.address().equals(address)) quarantine(ctx, member);
            });
        } else if (decision instanceof Skip s) {
            ctx.getLog().info("control node {}'s state store left; not downing it here: {}", m.nodeId(), s.why());
        }
        return Behaviors.same();
    }

    private static void quarantine(ActorContext<Command> ctx, Member member) {
        if (Adapter.toClassic(ctx.getSystem()) instanceof ExtendedActorSystem classic
                && classic.provider() instanceof RemoteActorRefProvider remote) {
            remote.quarantine(member.address(), Option.apply(member.uniqueAddress().longUid()),
                    "its control node's state store failed and the majority of control nodes downed it");
        }
    }
}
