package io.spottrain.coordinator.autoscale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.coordinator.autoscale.AutoscalePolicy.Metric;
import io.spottrain.coordinator.autoscale.FleetView.Waiting;
import io.spottrain.coordinator.launch.NoOpLauncher;
import io.spottrain.coordinator.launch.NodeLauncher;
import io.spottrain.coordinator.state.InMemoryStateStore;
import io.spottrain.coordinator.state.StateStore;
import io.spottrain.coordinator.state.StoreWriter;
import io.spottrain.coordinator.state.Table;
import io.spottrain.protocol.spec.Market;
import io.spottrain.protocol.spec.NodeMarket;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The autoscaler actor with a probe as the job manager and a launcher that records what it is asked:
 * what one autoscaler keeps in the store, the next one (a job manager taking over) goes on from —
 * its launches in flight are not asked for again, its decisions are still listed.
 */
class AutoscalerTest {
    final ActorTestKit kit = ActorTestKit.create();
    final InMemoryStateStore store = new InMemoryStateStore();
    final List<NodeLauncher.NodeRequest> launched = new CopyOnWriteArrayList<>();
    final AtomicReference<NodeLauncher> launcher = new AtomicReference<>(new Launcher());
    /** No cooldown: only the capacity in flight keeps a second autoscaler from launching the same gang again. */
    final AutoscalePolicy policy = new AutoscalePolicy(Metric.WAITING_JOBS_IN_QUEUE, 0, Duration.ZERO, Duration.ofHours(1), 0, 10,
            List.of(new CapacityPool("spot-g5", NodeMarket.SPOT, List.of("g5.xlarge"), 0, 4, null)));

    @AfterEach
    void stop() {
        kit.shutdownTestKit();
    }

    ActorRef<Autoscaler.Command> start(TestProbe<Autoscaler.FleetRequest> fleet) {
        return start(fleet, Runnable::run);
    }

    ActorRef<Autoscaler.Command> start(TestProbe<Autoscaler.FleetRequest> fleet, Executor blocking) {
        var a = kit.spawn(Autoscaler.create(policy, fleet.getRef(), launcher, blocking, Clock.systemUTC(), Duration.ofMillis(50),
                Duration.ofMinutes(10), store));
        a.tell(new Autoscaler.Journal(kit.spawn(StoreWriter.create(store))));
        return a;
    }

    static FleetView waiting(List<FleetView.Node> nodes) {
        return new FleetView(nodes, List.of(new Waiting("j1", 2, 1, Market.SPOT)));
    }

    @Test
    void aSecondAutoscalerGoesOnFromTheStoredStateAndDoesNotLaunchTwice() {
        var fleet = kit.createTestProbe(Autoscaler.FleetRequest.class);
        var first = start(fleet);
        fleet.expectMessageClass(Autoscaler.ViewRequest.class).replyTo().tell(waiting(List.of()));
        fleet.awaitAssert(Duration.ofSeconds(5), () -> {
            assertEquals(1, launched.size(), "one request for the gang");
            var stored = store.get(Table.AUTOSCALER, AutoscalerState.KEY).orElseThrow();
            assertTrue(stored.contains("\"nodeId\":\"node2\""), stored);
            return null;
        });
        kit.stop(first);

        var fleet2 = kit.createTestProbe(Autoscaler.FleetRequest.class);
        var second = start(fleet2);
        // the same queue, nothing registered yet: the two nodes in flight cover the gang (the cooldown is zero)
        fleet2.expectMessageClass(Autoscaler.ViewRequest.class).replyTo().tell(waiting(List.of()));
        var statusProbe = kit.createTestProbe(Autoscaler.Status.class);
        second.tell(new Autoscaler.GetStatus(statusProbe.getRef()));
        var status = statusProbe.receiveMessage();
        assertEquals(1, launched.size(), "nothing launched again: " + status);
        assertEquals(List.of("node1", "node2"), status.inFlight().stream().map(Autoscaler.Launching::nodeId).toList());
        assertTrue(status.decisions().stream().anyMatch(e -> e.action() == AutoscaleDecision.Action.SCALE_UP
                && e.reason().contains("launching 2 node(s) for 1 waiting job(s)")), status.decisions().toString());
        assertEquals(List.of(new Autoscaler.PoolStatus("spot-g5", NodeMarket.SPOT, 0, 2, 0, 4, null)), status.pools());

        // node1 registers: it leaves the capacity in flight, in the store too
        fleet2.expectMessageClass(Autoscaler.ViewRequest.class).replyTo().tell(waiting(List.of(new FleetView.Node("node1", "", "g5.xlarge",
                NodeMarket.SPOT, 1, false, null, 0))));
        fleet2.awaitAssert(Duration.ofSeconds(5), () -> {
            var stored = store.get(Table.AUTOSCALER, AutoscalerState.KEY).orElseThrow();
            assertTrue(!stored.contains("\"nodeId\":\"node1\"") && stored.contains("\"nodeId\":\"node2\""), stored);
            assertTrue(stored.contains("\"provisioningMs\":["), stored);
            return null;
        });
        assertEquals(1, launched.size());
    }

    /** Until the stored state is read (the store is slow), the autoscaler asks for no view and so decides nothing. */
    @Test
    void nothingIsDecidedBeforeTheStoredStateIsRead() {
        var held = new LinkedBlockingQueue<Runnable>();
        var fleet = kit.createTestProbe(Autoscaler.FleetRequest.class);
        start(fleet, held::add);
        fleet.expectNoMessage(Duration.ofMillis(300)); // six ticks: no view asked while the read is held back
        assertEquals(1, held.size(), "one read, not one per tick");
        held.poll().run();
        fleet.expectMessageClass(Autoscaler.ViewRequest.class);
    }

    @Test
    void aStoredStateOfANewerSchemaIsNotUsed() {
        store.write(List.of(new StateStore.Put(Table.AUTOSCALER, AutoscalerState.KEY,
                "{\"schema\":99,\"inFlight\":[{\"nodeId\":\"x\",\"gpus\":1,\"market\":\"spot\",\"askedAt\":\"2026-12-03T10:00:00Z\"}]}")));
        var fleet = kit.createTestProbe(Autoscaler.FleetRequest.class);
        start(fleet);
        fleet.expectMessageClass(Autoscaler.ViewRequest.class).replyTo().tell(waiting(List.of()));
        fleet.awaitAssert(Duration.ofSeconds(5), () -> {
            assertEquals(1, launched.size(), "the unknown document's launch in flight is not trusted: the gang is launched");
            var stored = store.get(Table.AUTOSCALER, AutoscalerState.KEY).orElseThrow();
            assertTrue(stored.startsWith("{\"schema\":1,") && stored.contains("\"nodeId\":\"node1\""), "replaced: " + stored);
            return null;
        });
    }

    final class Launcher extends NoOpLauncher {
        @Override
        public LaunchedNode launch(NodeRequest request) {
            throw new UnsupportedOperationException("the autoscaler asks for a gang at once");
        }

        @Override
        public List<LaunchedNode> launch(NodeRequest request, int count) {
            launched.add(request);
            return IntStream.rangeClosed(1, count).mapToObj(i -> new LaunchedNode("node" + i, request.market(), 0, null))
                    .toList();
        }

        @Override
        public List<NodeShape> shapes() {
            return List.of(new NodeShape(NodeMarket.SPOT, "g5.xlarge", 1, 0.42, 0), new NodeShape(NodeMarket.ON_DEMAND, "g5.xlarge", 1, 1.0, 0));
        }
    }
}
