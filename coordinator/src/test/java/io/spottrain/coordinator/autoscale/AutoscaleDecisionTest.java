package io.spottrain.coordinator.autoscale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.coordinator.autoscale.AutoscaleDecision.Action;
import io.spottrain.coordinator.autoscale.AutoscaleDecision.Decision;
import io.spottrain.coordinator.autoscale.AutoscaleDecision.Launch;
import io.spottrain.coordinator.autoscale.AutoscalePolicy.Metric;
import io.spottrain.coordinator.autoscale.FleetView.InFlight;
import io.spottrain.coordinator.autoscale.FleetView.Node;
import io.spottrain.coordinator.autoscale.FleetView.Waiting;
import io.spottrain.coordinator.launch.NodeLauncher.NodeShape;
import io.spottrain.protocol.spec.Market;
import io.spottrain.protocol.spec.NodeMarket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The autoscaler's tick as a table: metric x cooldowns x limits x capacity in flight x busy nodes. */
class AutoscaleDecisionTest {
    static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");
    static final AutoscalePolicy QUEUE = new AutoscalePolicy(Metric.WAITING_JOBS_IN_QUEUE, 0, Duration.ofSeconds(300), Duration.ofSeconds(600), 1, 6);

    static Node busy(String id) {
        return new Node(id, "", NodeMarket.SPOT, 1, true, null);
    }

    static Node free(String id, NodeMarket m, long freeForSeconds) {
        return new Node(id, "", m, 1, false, T0.minusSeconds(freeForSeconds));
    }

    static Waiting job(String id, int nodes) {
        return new Waiting(id, nodes, 1, Market.SPOT_WITH_FALLBACK);
    }

    static InFlight flying(String id) {
        return new InFlight(id, 1, NodeMarket.SPOT, T0.minusSeconds(5));
    }

    static Stream<Arguments> table() {
        return Stream.of(
                // name, policy, nodes, waiting, in flight, last up (s ago, -1 never), last down, action, launches (job:count), release
                Arguments.of("empty fleet below minNodes: launch at once", QUEUE, List.of(), List.of(), List.of(), -1, -1, Action.SCALE_UP,
                        "-:1", ""),
                Arguments.of("a launch in flight counts toward minNodes", QUEUE, List.of(), List.of(), List.of(flying("n9")), -1, -1, Action.NONE,
                        "", ""),
                Arguments.of("two jobs wait: their gangs, whole", QUEUE, List.of(busy("a")), List.of(job("j1", 2), job("j2", 1)), List.of(),
                        -1, -1, Action.SCALE_UP, "j1:2,j2:1", ""),
                Arguments.of("a free node that fits covers a job", QUEUE, List.of(free("a", NodeMarket.SPOT, 1)), List.of(job("j1", 2)),
                        List.of(), -1, -1, Action.SCALE_UP, "j1:1", ""),
                Arguments.of("capacity in flight is not asked for twice", QUEUE, List.of(busy("a")), List.of(job("j1", 2)),
                        List.of(flying("n8"), flying("n9")), -1, -1, Action.NONE, "", ""),
                Arguments.of("the scale-up cooldown holds", QUEUE, List.of(busy("a")), List.of(job("j1", 1)), List.of(), 100, -1, Action.NONE,
                        "", ""),
                Arguments.of("... and ends", QUEUE, List.of(busy("a")), List.of(job("j1", 1)), List.of(), 301, -1, Action.SCALE_UP, "j1:1", ""),
                Arguments.of("maxNodes: a gang that does not fit is skipped, a smaller one launched", QUEUE,
                        List.of(busy("a"), busy("b"), busy("c")), List.of(job("big", 4), job("small", 2)), List.of(), -1, -1, Action.SCALE_UP,
                        "small:2", ""),
                Arguments.of("at the threshold nothing happens", new AutoscalePolicy(Metric.WAITING_JOBS_IN_QUEUE, 2, Duration.ZERO, Duration.ZERO,
                        0, 6), List.of(), List.of(job("j1", 1), job("j2", 1)), List.of(), -1, -1, Action.NONE, "", ""),
                Arguments.of("above it, what every waiting job needs", new AutoscalePolicy(Metric.WAITING_JOBS_IN_QUEUE, 2, Duration.ZERO,
                        Duration.ZERO, 0, 6), List.of(), List.of(job("j1", 1), job("j2", 1), job("j3", 1)), List.of(), -1, -1, Action.SCALE_UP,
                        "j1:1,j2:1,j3:1", ""),
                Arguments.of("idle past the cooldown: released, Spot first, down to minNodes", QUEUE,
                        List.of(free("od", NodeMarket.ON_DEMAND, 900), free("s1", NodeMarket.SPOT, 700), free("s2", NodeMarket.SPOT, 800)),
                        List.of(), List.of(), 3600, 3600, Action.SCALE_DOWN, "", "s2,s1"),
                Arguments.of("a busy node is never released", QUEUE, List.of(busy("a"), busy("b")), List.of(), List.of(), 3600, 3600,
                        Action.NONE, "", ""),
                Arguments.of("free, but not for a whole cooldown", QUEUE, List.of(busy("a"), free("b", NodeMarket.SPOT, 599)), List.of(),
                        List.of(), 3600, 3600, Action.NONE, "", ""),
                Arguments.of("the fleet grew a moment ago: no release yet (no flapping)", QUEUE,
                        List.of(busy("a"), free("b", NodeMarket.SPOT, 900)), List.of(), List.of(), 30, -1, Action.NONE, "", ""),
                Arguments.of("pending_gpus counts GPUs", new AutoscalePolicy(Metric.PENDING_GPUS, 3, Duration.ZERO, Duration.ZERO, 0, 6),
                        List.of(), List.of(new Waiting("g", 2, 2, Market.SPOT)), List.of(), -1, -1, Action.SCALE_UP, "g:2", ""),
                Arguments.of("gpu_utilization: an empty fleet with a job waiting reads as full", new AutoscalePolicy(Metric.GPU_UTILIZATION, 80,
                        Duration.ZERO, Duration.ZERO, 0, 6), List.of(), List.of(job("j", 2)), List.of(), -1, -1, Action.SCALE_UP, "j:2", ""),
                Arguments.of("gpu_utilization: idle nodes too few for a waiting gang still read as demand", new AutoscalePolicy(
                        Metric.GPU_UTILIZATION, 80, Duration.ZERO, Duration.ZERO, 0, 6), List.of(free("a", NodeMarket.SPOT, 5)),
                        List.of(job("j", 3)), List.of(), -1, -1, Action.SCALE_UP, "j:2", ""),
                Arguments.of("gpu_utilization: half the fleet busy, nothing waits: below 80, nothing to add", new AutoscalePolicy(
                        Metric.GPU_UTILIZATION, 80, Duration.ZERO, Duration.ofSeconds(600), 0, 6), List.of(busy("a"), free("b", NodeMarket.SPOT, 5)),
                        List.of(), List.of(), -1, -1, Action.NONE, "", ""),
                Arguments.of("a job pinned to p4d.24xlarge: a free g5 node does not cover it", QUEUE,
                        List.of(new Node("g", "", "g5.xlarge", NodeMarket.SPOT, 1, false, T0.minusSeconds(5), 0)),
                        List.of(new Waiting("pinned", 1, 1, Market.SPOT, List.of("p4d.24xlarge"))), List.of(), -1, -1, Action.SCALE_UP,
                        "pinned:1", ""),
                Arguments.of("... and its own launch in flight does", QUEUE, List.of(busy("a")),
                        List.of(new Waiting("pinned", 1, 1, Market.SPOT, List.of("p4d.24xlarge"))),
                        List.of(new InFlight("n9", "p4d.24xlarge", 1, NodeMarket.SPOT, T0)), -1, -1, Action.NONE, "", ""),
                Arguments.of("a memory-bound job: a free A10G (24 GiB) node does not cover a 40 GiB job", QUEUE,
                        List.of(new Node("g", "", "g5.xlarge", NodeMarket.SPOT, 1, false, T0.minusSeconds(5), 0)),
                        List.of(new Waiting("big", 1, 1, Market.SPOT, List.of(), List.of(), 40)), List.of(), -1, -1, Action.SCALE_UP,
                        "big:1", ""),
                Arguments.of("... and a free A100 (p4d, 40 GiB) node does", QUEUE,
                        List.of(new Node("p", "", "p4d.24xlarge", NodeMarket.SPOT, 8, false, T0.minusSeconds(5), 0)),
                        List.of(new Waiting("big", 1, 1, Market.SPOT, List.of(), List.of("A100"), 40)), List.of(), -1, -1, Action.NONE, "", ""),
                Arguments.of("an on-demand job gets on-demand nodes; spot free nodes do not cover it", QUEUE,
                        List.of(free("s", NodeMarket.SPOT, 1)), List.of(new Waiting("od", 1, 1, Market.ON_DEMAND)), List.of(), -1, -1,
                        Action.SCALE_UP, "od:1", ""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void decides(String name, AutoscalePolicy p, List<Node> nodes, List<Waiting> waiting, List<InFlight> inFlight, long upAgo, long downAgo,
            Action action, String launches, String release) {
        Decision d = AutoscaleDecision.decide(p, T0, new FleetView(nodes, waiting), inFlight, upAgo < 0 ? null : T0.minusSeconds(upAgo),
                downAgo < 0 ? null : T0.minusSeconds(downAgo));
        assertEquals(action, d.action(), d.reason());
        var got = new ArrayList<String>();
        for (Launch l : d.launches()) got.add((l.jobId() == null ? "-" : l.jobId()) + ":" + l.count());
        assertEquals(launches, String.join(",", got), d.reason());
        assertEquals(release, String.join(",", d.release()), d.reason());
        assertTrue(!d.reason().isBlank());
    }

    @Test
    void anOnDemandJobsLaunchIsOnDemandAndEveryDecisionSaysItsNumbers() {
        var d = AutoscaleDecision.decide(QUEUE, T0, new FleetView(List.of(busy("a")), List.of(new Waiting("od", 2, 1, Market.ON_DEMAND))),
                List.of(), null, null);
        assertEquals(NodeMarket.ON_DEMAND, d.launches().get(0).market());
        assertEquals("waiting_jobs_in_queue 1 > targetThreshold 0: launching 2 node(s) for 1 waiting job(s)", d.reason());
    }

    @Test
    void jobsABudgetHoldsBackAreNotCountedAndTheDecisionSaysSo() {
        var d = AutoscaleDecision.decide(QUEUE, T0, new FleetView(List.of(busy("a")), List.of(), List.of("capped-2")), List.of(), null, null);
        assertEquals(Action.NONE, d.action(), d::toString);
        assertTrue(d.reason().endsWith("; not counted: 1 waiting job(s) an exceeded block-scale-up budget selects [capped-2]"), d.reason());
        // nothing else waits and a node has been free for an hour: it is not released under the held-back job
        var idle = AutoscaleDecision.decide(QUEUE, T0, new FleetView(List.of(busy("a"), free("b", NodeMarket.SPOT, 3600)), List.of(),
                List.of("capped-2")), List.of(), null, null);
        assertEquals(Action.NONE, idle.action(), idle::toString);
        var without = AutoscaleDecision.decide(QUEUE, T0, new FleetView(List.of(busy("a"), free("b", NodeMarket.SPOT, 3600)), List.of()),
                List.of(), null, null);
        assertEquals(Action.SCALE_DOWN, without.action(), "the same fleet with nothing held back scales down: " + without);
    }

    @Test
    void flappingLoadDoesNotFlapTheFleet() {
        // a job every other tick for an hour: the fleet grows once and never releases a node that keeps being used
        var p = new AutoscalePolicy(Metric.WAITING_JOBS_IN_QUEUE, 0, Duration.ofSeconds(60), Duration.ofSeconds(600), 0, 4);
        Instant lastUp = null;
        Instant lastDown = null;
        int ups = 0;
        int downs = 0;
        Instant freeSince = T0;
        for (int tick = 0; tick < 720; tick++) {
            Instant now = T0.plusSeconds(5L * tick);
            boolean waiting = tick % 2 == 0;
            boolean haveNode = ups > downs;
            var nodes = haveNode ? List.of(new Node("n", "", NodeMarket.SPOT, 1, waiting, waiting ? null : freeSince)) : List.<Node>of();
            if (waiting) freeSince = now.plusSeconds(5);
            var d = AutoscaleDecision.decide(p, now, new FleetView(nodes, waiting && !haveNode ? List.of(job("j", 1)) : List.of()), List.of(),
                    lastUp, lastDown);
            if (d.action() == Action.SCALE_UP) {
                ups++;
                lastUp = now;
            } else if (d.action() == Action.SCALE_DOWN) {
                downs++;
                lastDown = now;
            }
        }
        assertEquals(1, ups);
        assertEquals(0, downs);
    }

    @Test
    void thePolicyFileNamesEveryBadField() {
        var e = assertThrows(AutoscalePolicy.PolicyException.class, () -> AutoscalePolicy.parse("a.yaml", """
                autoscaling:
                  metric: queue_length
                  targetThreshold: -1
                  scaleUpCooldown: soon
                  limits: {minNodes: 5, maxNodes: 2, max: 3}
                  cooldown: 5s
                """));
        var paths = e.errors.stream().map(f -> f.path()).sorted().toList();
        assertEquals(List.of("autoscaling.cooldown", "autoscaling.limits.max", "autoscaling.limits.minNodes", "autoscaling.metric",
                "autoscaling.scaleUpCooldown", "autoscaling.targetThreshold"), paths, e.getMessage());
        assertTrue(e.getMessage().contains("autoscaling.metric: must be one of waiting_jobs_in_queue, pending_gpus, gpu_utilization, got "
                + "\"queue_length\""), e.getMessage());
    }

    @Test
    void theExamplePolicyParsesAndScales() throws Exception {
        var p = AutoscalePolicy.parse("autoscale.yaml", Files.readString(Path.of("").toAbsolutePath().getParent()
                .resolve("examples/cluster/autoscale.yaml")));
        assertEquals(new AutoscalePolicy(Metric.WAITING_JOBS_IN_QUEUE, 5, Duration.ofSeconds(300), Duration.ofSeconds(600), 2, 100, List.of(
                new CapacityPool("spot-g5", NodeMarket.SPOT, List.of("g5.xlarge", "g5.2xlarge"), 0, 80, 0.02),
                new CapacityPool("on-demand-g5", NodeMarket.ON_DEMAND, List.of("g5.xlarge"), 0, 20, null))), p);
        assertEquals(Duration.ofSeconds(3), p.scaled(0.01).scaleUpCooldown());
    }

    /** A launch for a GPU-constrained job picks the cheapest shape whose GPU it can use, not the cheapest shape. */
    @Test
    void theLaunchedShapeHasTheGpuTheJobAsksFor() {
        var shapes = List.of(new NodeShape(NodeMarket.SPOT, "g5.xlarge", 1, 0.42, 0), new NodeShape(NodeMarket.SPOT, "p4d.24xlarge", 8, 9.8, 0));
        assertEquals("g5.xlarge", LaunchShapes.cheapest(shapes, new Launch("any", 1, 1, NodeMarket.SPOT)).orElseThrow().instanceType());
        assertEquals("p4d.24xlarge", LaunchShapes.cheapest(shapes, new Launch("big", 1, 1, NodeMarket.SPOT, List.of(), List.of("A100"), 40))
                .orElseThrow().instanceType());
        assertTrue(LaunchShapes.cheapest(shapes, new Launch("h100", 1, 1, NodeMarket.SPOT, List.of(), List.of("H100"), 0)).isEmpty());
    }

    /** A spot-with-fallback job's launch may fall back to on-demand where no Spot shape has its GPU; a spot-only one may not. */
    @Test
    void aSpotWithFallbackLaunchMayUseAnOnDemandShape() {
        var fleet = new FleetView(List.of(), List.of(new Waiting("a100", 1, 1, Market.SPOT_WITH_FALLBACK, List.of(), List.of("A100"), 0),
                new Waiting("spot-only", 1, 1, Market.SPOT, List.of(), List.of("A100"), 0)));
        var noMinimum = new AutoscalePolicy(Metric.WAITING_JOBS_IN_QUEUE, 0, Duration.ofSeconds(300), Duration.ofSeconds(600), 0, 6);
        Decision d = AutoscaleDecision.decide(noMinimum, T0, fleet, List.of(), null, null);
        var launches = d.launches();
        assertEquals(List.of("a100", "spot-only"), launches.stream().map(Launch::jobId).toList(), d.reason());
        assertEquals(NodeMarket.SPOT, launches.get(0).market(), "Spot first");
        assertTrue(launches.get(0).onDemandFallback());
        assertTrue(!launches.get(1).onDemandFallback());
        var shapes = List.of(new NodeShape(NodeMarket.SPOT, "g5.xlarge", 1, 0.42, 0), new NodeShape(NodeMarket.ON_DEMAND, "p4d.24xlarge", 8, 32.8, 0));
        assertTrue(LaunchShapes.cheapest(shapes, launches.get(0)).isEmpty(), "no Spot A100 shape");
        assertEquals(NodeMarket.ON_DEMAND, LaunchShapes.cheapest(shapes, launches.get(0).onDemand()).orElseThrow().market());
    }

    @Test
    void aFreeSpotNodeOfATooRiskyPoolCoversNoJobThatBoundsTheRiskAndKnownRiskyPoolsMeanOnDemand() {
        var risky = new Node("r", "", "g5.xlarge", NodeMarket.SPOT, 1, false, T0.minusSeconds(10), 0.3);
        var bounded = new Waiting("b", 1, 1, Market.SPOT_WITH_FALLBACK, List.of(), List.of(), 0, 0.1, false);
        var d = AutoscaleDecision.decide(QUEUE, T0, new FleetView(List.of(risky), List.of(bounded)), List.of(), null, null);
        assertEquals(Action.SCALE_UP, d.action(), d::toString);
        assertEquals(NodeMarket.SPOT, d.launches().get(0).market(), "a pool never seen may be quieter: Spot first");
        assertTrue(d.launches().get(0).onDemandFallback());
        // without the bound, the free node is enough
        var unbounded = new Waiting("u", 1, 1, Market.SPOT_WITH_FALLBACK, List.of(), List.of(), 0, 0, false);
        assertEquals(Action.NONE, AutoscaleDecision.decide(QUEUE, T0, new FleetView(List.of(risky), List.of(unbounded)), List.of(), null, null)
                .action());
        // every Spot pool it could use is known to be too risky: on-demand at once
        var known = new Waiting("k", 2, 1, Market.SPOT_WITH_FALLBACK, List.of(), List.of(), 0, 0.1, true);
        var od = AutoscaleDecision.decide(QUEUE, T0, new FleetView(List.of(risky), List.of(known)), List.of(), null, null);
        assertEquals(NodeMarket.ON_DEMAND, od.launches().get(0).market(), od::toString);
        assertEquals(2, od.launches().get(0).count());
        // Spot only: nothing to launch that it could use, and the decision says why
        var spotOnly = new Waiting("s", 1, 1, Market.SPOT, List.of(), List.of(), 0, 0.1, true);
        var none = AutoscaleDecision.decide(QUEUE, T0, new FleetView(List.of(risky), List.of(spotOnly)), List.of(), null, null);
        assertEquals(Action.NONE, none.action(), none::toString);
        assertTrue(none.reason().contains("but nothing can be launched; not launched: s takes Spot only, and every Spot pool it could use "
                + "is riskier than its spec.placement.maxInterruptRisk 0.1"), none.reason());
        // a Spot launch in flight is no capacity for such a job: it lands in a pool not known to be quiet
        var flying = List.of(new InFlight("n9", "g5.xlarge", 1, NodeMarket.SPOT, T0));
        var again = AutoscaleDecision.decide(QUEUE, T0, new FleetView(List.of(), List.of(known)), flying, null, null);
        assertEquals(NodeMarket.ON_DEMAND, again.launches().get(0).market(), again::toString);
        assertEquals(2, again.launches().get(0).count(), "the Spot node in flight does not count for it");
    }

    @Test
    void aJobItsTeamsQuotaHoldsIsCountedApartAndKeepsNoIdleNode() {
        // nothing else waits and a node has been free for an hour: released, though a quota-held job waits (no node serves it
        // before its team gives one back); the decision names it
        var d = AutoscaleDecision.decide(QUEUE, T0, new FleetView(List.of(busy("a"), free("b", NodeMarket.SPOT, 3600)), List.of(), List.of(),
                List.of("big-7")), List.of(), null, null);
        assertEquals(Action.SCALE_DOWN, d.action(), d::toString);
        assertTrue(d.reason().endsWith("; not counted: their team's quota holds 1 waiting job(s) [big-7]"), d.reason());
    }
}
