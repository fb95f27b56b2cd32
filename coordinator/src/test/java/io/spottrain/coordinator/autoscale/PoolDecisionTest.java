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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Named pools in the autoscaler's tick: each pool's minimum and maximum, Spot pools first, a pool's minimum kept at release. */
class PoolDecisionTest {
    static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");
    static final CapacityPool SPOT = new CapacityPool("spot-g5", NodeMarket.SPOT, List.of("g5.xlarge"), 0, 3, null);
    static final CapacityPool OD = new CapacityPool("od-g5", NodeMarket.ON_DEMAND, List.of("g5.xlarge"), 1, 2, null);
    static final CapacityPool BIG = new CapacityPool("spot-p4d", NodeMarket.SPOT, List.of("p4d.24xlarge"), 0, 2, 0.02);
    static final CapacityPool RES = new CapacityPool("res-g5", NodeMarket.RESERVED, List.of("g5.xlarge"), 0, 2, null);

    static AutoscalePolicy policy(int min, int max, CapacityPool... pools) {
        return new AutoscalePolicy(Metric.WAITING_JOBS_IN_QUEUE, 0, Duration.ofSeconds(300), Duration.ofSeconds(600), min, max, List.of(pools));
    }

    static Node node(String id, NodeMarket m, boolean busy, long freeForSeconds) {
        return new Node(id, "", "g5.xlarge", m, 1, busy, busy ? null : T0.minusSeconds(freeForSeconds), 0);
    }

    static Waiting job(String id, int nodes, Market m) {
        return new Waiting(id, nodes, 1, m);
    }

    static final List<NodeShape> SHAPES = List.of(new NodeShape(NodeMarket.SPOT, "g5.xlarge", 1, 0.42, 0),
            new NodeShape(NodeMarket.ON_DEMAND, "g5.xlarge", 1, 1.006, 0), new NodeShape(NodeMarket.RESERVED, "g5.xlarge", 1, 0.634, 0));

    static Stream<Arguments> table() {
        var spot = NodeMarket.SPOT;
        var od = NodeMarket.ON_DEMAND;
        var res = NodeMarket.RESERVED;
        return Stream.of(
                Arguments.of("a spot job fills the reserved pool first (paid already), then Spot, whatever the file order",
                        policy(0, 10, SPOT, RES), List.of(), List.of(job("j", 3, Market.SPOT)), List.of(), -1, Action.SCALE_UP,
                        "j:2@res-g5,j:1@spot-g5", ""),
                Arguments.of("an on-demand job takes the reserved pool before the on-demand one", policy(0, 10, OD, RES),
                        List.of(node("o", od, true, 0)), List.of(job("od", 3, Market.ON_DEMAND)), List.of(), -1, Action.SCALE_UP,
                        "od:2@res-g5,od:1@od-g5", ""),
                Arguments.of("idle nodes go back Spot first, then on-demand; reserved last (giving it back saves nothing)", policy(1, 10),
                        List.of(node("r", res, false, 900), node("o", od, false, 800), node("s", spot, false, 700)), List.of(), List.of(),
                        3600, Action.SCALE_DOWN, "", "s,o"),
                // name, policy, nodes, waiting, in flight, last down (s ago, -1 never), action, launches (job:count@pool), release
                Arguments.of("each pool's minimum at once, whatever the cooldown (the fleet changed 10 s ago)", policy(0, 10, SPOT, OD),
                        List.of(), List.of(), List.of(), 10, Action.SCALE_UP, "-:1@od-g5", ""),
                Arguments.of("a minimum and a waiting job in one tick: the minimum's node is no capacity for a spot job",
                        policy(0, 10, SPOT, OD), List.of(), List.of(job("j", 1, Market.SPOT)), List.of(), -1, Action.SCALE_UP,
                        "-:1@od-g5,j:1@spot-g5", ""),
                Arguments.of("... and it is for a spot-with-fallback one", policy(0, 10, SPOT, OD), List.of(),
                        List.of(job("j", 1, Market.SPOT_WITH_FALLBACK)), List.of(), -1, Action.SCALE_UP, "-:1@od-g5", ""),
                Arguments.of("the fleet's minimum beyond the pools' fills them in file order", policy(3, 10, SPOT, OD), List.of(), List.of(),
                        List.of(), -1, Action.SCALE_UP, "-:1@od-g5,-:2@spot-g5", ""),
                Arguments.of("a launch in flight counts toward its pool's minimum", policy(0, 10, SPOT, OD), List.of(), List.of(),
                        List.of(new InFlight("n1", "g5.xlarge", 1, od, T0)), -1, Action.NONE, "", ""),
                Arguments.of("a gang larger than the Spot pool's room: the rest on-demand (spot-with-fallback)", policy(0, 10, SPOT, OD),
                        List.of(node("o", od, true, 0)), List.of(job("j", 4, Market.SPOT_WITH_FALLBACK)), List.of(), -1, Action.SCALE_UP,
                        "j:3@spot-g5,j:1@od-g5", ""),
                Arguments.of("a spot-only gang the Spot pools cannot hold waits, nothing launched", policy(0, 10, SPOT, OD),
                        List.of(node("o", od, true, 0)), List.of(job("j", 4, Market.SPOT)), List.of(), -1, Action.NONE, "", ""),
                Arguments.of("... and a smaller one behind it is launched", policy(0, 10, SPOT, OD), List.of(node("o", od, true, 0)),
                        List.of(job("big", 4, Market.SPOT), job("small", 2, Market.SPOT)), List.of(), -1, Action.SCALE_UP, "small:2@spot-g5",
                        ""),
                Arguments.of("an on-demand job gets on-demand pools only, within their max", policy(0, 10, SPOT, OD),
                        List.of(node("o", od, true, 0)), List.of(job("od", 1, Market.ON_DEMAND)), List.of(), -1, Action.SCALE_UP, "od:1@od-g5",
                        ""),
                Arguments.of("the Spot pool at its max (its launch in flight covers one): on-demand for the other", policy(0, 10, SPOT, OD),
                        List.of(node("s1", spot, true, 0), node("s2", spot, true, 0), node("o", od, true, 0)),
                        List.of(job("j", 2, Market.SPOT_WITH_FALLBACK)), List.of(new InFlight("s3", "g5.xlarge", 1, spot, T0)), -1,
                        Action.SCALE_UP, "j:1@od-g5", ""),
                Arguments.of("a job pinned to a type no pool holds: nothing", policy(0, 10, SPOT, OD), List.of(node("o", od, true, 0)),
                        List.of(new Waiting("pinned", 1, 1, Market.SPOT, List.of("g6.xlarge"))), List.of(), -1, Action.NONE, "", ""),
                Arguments.of("a pool the launcher has no shape for is passed over", policy(0, 10, BIG, SPOT), List.of(),
                        List.of(job("j", 1, Market.SPOT)), List.of(), -1, Action.SCALE_UP, "j:1@spot-g5", ""),
                Arguments.of("idle nodes go down to each pool's minimum: the on-demand pool keeps its one", policy(0, 10, SPOT, OD),
                        List.of(node("o", od, false, 900), node("s", spot, false, 700)), List.of(), List.of(), 3600, Action.SCALE_DOWN, "",
                        "s"),
                Arguments.of("a node in no pool is released like any", policy(0, 10, OD),
                        List.of(node("o", od, false, 900), node("s", spot, false, 700)), List.of(), List.of(), 3600, Action.SCALE_DOWN, "",
                        "s"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void decides(String name, AutoscalePolicy p, List<Node> nodes, List<Waiting> waiting, List<InFlight> inFlight, long downAgo, Action action,
            String launches, String release) {
        Decision d = AutoscaleDecision.decide(p, T0, new FleetView(nodes, waiting), inFlight, downAgo < 0 ? null : T0.minusSeconds(downAgo),
                downAgo < 0 ? null : T0.minusSeconds(downAgo), SHAPES);
        assertEquals(action, d.action(), d.reason());
        var got = new ArrayList<String>();
        for (Launch l : d.launches()) got.add((l.jobId() == null ? "-" : l.jobId()) + ":" + l.count() + "@" + l.pool());
        assertEquals(launches, String.join(",", got), d.reason());
        assertEquals(release, String.join(",", d.release()), d.reason());
    }

    @Test
    void aPoolLaunchCarriesThePoolsMarketAndTypesAndTheDecisionSaysWhatThePoolsHadRoomFor() {
        var d = AutoscaleDecision.decide(policy(0, 10, SPOT, OD), T0, new FleetView(List.of(node("o", od(), true, 0)),
                List.of(job("j", 4, Market.SPOT))), List.of(), null, null, SHAPES);
        assertTrue(d.reason().contains("not launched: j needs 4 more, its pools have room for 3 (spot-g5 3 of maxNodes 3)"), d.reason());
        var ok = AutoscaleDecision.decide(policy(0, 10, SPOT, OD), T0, new FleetView(List.of(node("o", od(), true, 0)),
                List.of(job("j", 2, Market.SPOT))), List.of(), null, null, SHAPES);
        var l = ok.launches().get(0);
        assertEquals(NodeMarket.SPOT, l.market());
        assertEquals(List.of("g5.xlarge"), l.instanceTypes());
        assertTrue(!l.onDemandFallback(), "a pool launch says its market: the pools are the fallback");
        var shape = LaunchShapes.cheapest(SHAPES, l).orElseThrow();
        assertEquals("g5.xlarge", shape.instanceType());
        assertEquals(List.of("g5.xlarge"), LaunchShapes.request(SHAPES, shape, l).instanceTypes(),
                "the launcher (EC2's fleet picks among types) is held to the pool's types");
        assertEquals(1.006, LaunchShapes.request(SHAPES, shape, l).onDemandPricePerHour(), 1e-9, "the on-demand price beside the Spot one");
        var minimum = AutoscaleDecision.decide(policy(0, 10, SPOT, OD), T0, new FleetView(List.of(), List.of()), List.of(), null, null, SHAPES);
        assertEquals("pool od-g5: 0 node(s) with those in flight < minNodes 1: launching 1", minimum.reason());
    }

    /** Overlapping pools: a catch-all pool launches only types no earlier pool holds, else it would never count its own nodes. */
    @Test
    void aPoolLaunchesOnlyTypesThatCountInItAndOverlappingPoolsDoNotRelaunchForever() {
        var anySpot = new CapacityPool("spot-any", NodeMarket.SPOT, List.of(), 3, 10, null);
        var p = policy(0, 10, SPOT, anySpot);
        var g5only = AutoscaleDecision.decide(p, T0, new FleetView(List.of(), List.of()), List.of(), null, null, SHAPES);
        assertEquals(Action.NONE, g5only.action(), "g5.xlarge counts in spot-g5: spot-any has no shape of its own: " + g5only.reason());
        assertTrue(g5only.reason().contains("pool spot-any is below its minNodes 3, but the launcher has no spot shape that counts in it"),
                g5only.reason());
        var shapes = new ArrayList<>(SHAPES);
        shapes.add(new NodeShape(NodeMarket.SPOT, "p4d.24xlarge", 8, 9.8, 0));
        var d = AutoscaleDecision.decide(p, T0, new FleetView(List.of(), List.of()), List.of(), null, null, shapes);
        assertEquals(List.of("p4d.24xlarge"), d.launches().get(0).instanceTypes(), "explicit: never a type an earlier pool holds");
        // those three in flight count in spot-any: nothing more
        var flying = List.of(new InFlight("a", "p4d.24xlarge", 8, NodeMarket.SPOT, T0), new InFlight("b", "p4d.24xlarge", 8, NodeMarket.SPOT, T0),
                new InFlight("c", "p4d.24xlarge", 8, NodeMarket.SPOT, T0));
        assertEquals(Action.NONE, AutoscaleDecision.decide(p, T0, new FleetView(List.of(), List.of()), flying, null, null, shapes).action());
    }

    /** A job bounding the interruption risk gets no launch in a Spot pool whose types are all riskier: the next pool serves it. */
    @Test
    void aRiskyPoolIsPassedOverForAJobThatBoundsTheRisk() {
        var risky = new CapacityPool("risky", NodeMarket.SPOT, List.of("g5.xlarge"), 0, 5, null);
        var quiet = new CapacityPool("quiet", NodeMarket.SPOT, List.of("g6.xlarge"), 0, 5, null);
        var shapes = new ArrayList<>(SHAPES);
        shapes.add(new NodeShape(NodeMarket.SPOT, "g6.xlarge", 1, 0.5, 0));
        var bounded = new Waiting("b", 2, 1, Market.SPOT, List.of(), List.of(), 0, 0.1, false);
        var fleet = new FleetView(List.of(), List.of(bounded), List.of(), List.of(), Map.of("g5.xlarge", 0.3, "g6.xlarge", 0.01));
        var d = AutoscaleDecision.decide(policy(0, 10, risky, quiet), T0, fleet, List.of(), null, null, shapes);
        assertEquals("quiet", d.launches().get(0).pool(), d.reason());
        assertEquals(List.of("g6.xlarge"), d.launches().get(0).instanceTypes());
        var unbounded = new FleetView(List.of(), List.of(job("u", 2, Market.SPOT)), List.of(), List.of(),
                Map.of("g5.xlarge", 0.3, "g6.xlarge", 0.01));
        assertEquals("risky", AutoscaleDecision.decide(policy(0, 10, risky, quiet), T0, unbounded, List.of(), null, null, shapes).launches()
                .get(0).pool(), "no bound: file order");
    }

    /** A launch for a minimum that failed is tried again a scale-up cooldown later, and never holds back the waiting jobs. */
    @Test
    void aFailedMinimumLaunchWaitsACooldownAndDoesNotStarveTheQueue() {
        var clocks = new AutoscaleDecision.Clocks(null, null, T0.minusSeconds(12), T0.minusSeconds(10));
        var d = AutoscaleDecision.tick(policy(0, 10, SPOT, OD), T0, new FleetView(List.of(), List.of(job("j", 1, Market.SPOT))), List.of(),
                clocks, SHAPES);
        assertEquals(Action.SCALE_UP, d.action(), d.reason());
        assertEquals(List.of("j"), d.launches().stream().map(Launch::jobId).toList(), "the job, not the minimum again: " + d.reason());
        assertTrue(d.reason().startsWith("below a minimum, but a launch for it failed at 2026-12-03T09:59:50Z: tried again at "
                + "2026-12-03T10:04:50Z"), d.reason());
        var later = AutoscaleDecision.tick(policy(0, 10, SPOT, OD), T0.plusSeconds(300), new FleetView(List.of(), List.of()), List.of(), clocks,
                SHAPES);
        assertEquals("-:1@od-g5", later.launches().stream().map(l -> "-:" + l.count() + "@" + l.pool()).findFirst().orElse(""), later.reason());
    }

    private static NodeMarket od() {
        return NodeMarket.ON_DEMAND;
    }

    @Test
    void poolsParseWithTheirLimitsAndEveryBadFieldIsNamed() throws Exception {
        var p = AutoscalePolicy.parse("pools.yaml", """
                autoscaling:
                  limits: {minNodes: 1, maxNodes: 10}
                  pools:
                    - {name: spot-g5, market: spot, instanceTypes: [g5.xlarge, g5.2xlarge], maxNodes: 8, interruptionPrior: 0.08}
                    - {name: od-g5, market: on-demand, minNodes: 1, maxNodes: 2}
                    - {name: ri-g5, market: reserved, instanceTypes: [g5.xlarge], minNodes: 1, maxNodes: 1}
                """);
        assertEquals(List.of(new CapacityPool("spot-g5", NodeMarket.SPOT, List.of("g5.xlarge", "g5.2xlarge"), 0, 8, 0.08),
                new CapacityPool("od-g5", NodeMarket.ON_DEMAND, List.of(), 1, 2, null),
                new CapacityPool("ri-g5", NodeMarket.RESERVED, List.of("g5.xlarge"), 1, 1, null)), p.pools());
        assertEquals(p.pools(), p.scaled(0.01).pools());
        var e = assertThrows(AutoscalePolicy.PolicyException.class, () -> AutoscalePolicy.parse("bad.yaml", """
                autoscaling:
                  limits: {maxNodes: 4}
                  pools:
                    - {name: a, market: spot, minNodes: 3, maxNodes: 2, region: x}
                    - {name: a, market: preemptible, instanceTypes: g5.xlarge}
                    - {name: Big_Pool, market: on-demand, maxNodes: 9, interruptionPrior: 0.1}
                    - {name: c, market: spot, minNodes: 4, interruptionPrior: -1}
                """));
        var paths = e.errors.stream().map(f -> f.path()).sorted().toList();
        assertEquals(List.of("autoscaling.pools[0].minNodes", "autoscaling.pools[0].region", "autoscaling.pools[1].instanceTypes",
                "autoscaling.pools[1].market", "autoscaling.pools[1].name", "autoscaling.pools[2].interruptionPrior",
                "autoscaling.pools[2].maxNodes", "autoscaling.pools[2].name", "autoscaling.pools[3].interruptionPrior"), paths, e.getMessage());
        var sum = assertThrows(AutoscalePolicy.PolicyException.class, () -> AutoscalePolicy.parse("sum.yaml", """
                autoscaling:
                  limits: {maxNodes: 4}
                  pools:
                    - {name: a, market: spot, minNodes: 3}
                    - {name: b, market: on-demand, minNodes: 2}
                """));
        assertEquals("autoscaling.pools: the pools' minNodes add up to 5, more than limits.maxNodes 4", sum.errors.get(0).toString(),
                sum.getMessage());
    }

    @Test
    void thePoolsPriorsOfInterruptionGoToTheirTypesFirstPoolFirst() {
        var quiet = new CapacityPool("quiet", NodeMarket.SPOT, List.of("p4d.24xlarge"), 0, 2, 0.01);
        var plain = new CapacityPool("plain", NodeMarket.SPOT, List.of("g5.xlarge", "p4d.24xlarge"), 0, 2, null);
        var rest = new CapacityPool("rest", NodeMarket.SPOT, List.of(), 0, 2, 0.2);
        var od = new CapacityPool("od", NodeMarket.ON_DEMAND, List.of(), 0, 2, null);
        var p = CapacityPool.priors(List.of(od, quiet, plain, rest), 0.05);
        assertEquals(0.01, p.of("p4d.24xlarge"), "the first Spot pool naming it");
        assertEquals(0.05, p.of("g5.xlarge"), "named by a pool without a prior of its own: the cluster's, not the catch-all's");
        assertEquals(0.2, p.of("g6.xlarge"), "any other type: the catch-all Spot pool's");
        assertEquals(0.05, CapacityPool.priors(List.of(), 0.05).of("g5.xlarge"));
    }

    @Test
    void aNodeBelongsToTheFirstPoolThatHoldsIt() {
        var any = new CapacityPool("any-spot", NodeMarket.SPOT, List.of(), 0, 5, null);
        assertEquals("spot-g5", CapacityPool.of(List.of(SPOT, any), NodeMarket.SPOT, "g5.xlarge", "z").orElseThrow().name());
        assertEquals("any-spot", CapacityPool.of(List.of(SPOT, any), NodeMarket.SPOT, "p4d.24xlarge", "z").orElseThrow().name());
        assertTrue(CapacityPool.of(List.of(SPOT, any), NodeMarket.ON_DEMAND, "g5.xlarge", "z").isEmpty());
        assertEquals(List.of("g5.xlarge"), SPOT.typesFor(List.of("g5.xlarge", "p4d.24xlarge")).orElseThrow());
        assertTrue(SPOT.typesFor(List.of("p4d.24xlarge")).isEmpty());
        assertEquals(List.of("p4d.24xlarge"), any.typesFor(List.of("p4d.24xlarge")).orElseThrow());
    }

    static final CapacityPool SPOT_A = new CapacityPool("spot-1a", NodeMarket.SPOT, List.of("g5.xlarge"), 0, 2, null, "us-east-1a");
    static final CapacityPool SPOT_B = new CapacityPool("spot-1b", NodeMarket.SPOT, List.of("g5.xlarge"), 1, 2, null, "us-east-1b");

    @Test
    void aZonedPoolHoldsItsZonesNodesOnlyAndALaterPoolThatCouldOverlapItLaunchesNone() {
        var any = new CapacityPool("spot-any", NodeMarket.SPOT, List.of("g5.xlarge"), 0, 5, null);
        var pools = List.of(SPOT_A, SPOT_B, any);
        assertEquals("spot-1a", CapacityPool.of(pools, NodeMarket.SPOT, "g5.xlarge", "us-east-1a").orElseThrow().name());
        assertEquals("spot-1b", CapacityPool.of(pools, NodeMarket.SPOT, "g5.xlarge", "us-east-1b").orElseThrow().name());
        assertEquals("spot-any", CapacityPool.of(pools, NodeMarket.SPOT, "g5.xlarge", "us-east-1c").orElseThrow().name());
        assertEquals("spot-any", CapacityPool.of(pools, NodeMarket.SPOT, "g5.xlarge", null).orElseThrow().name(),
                "a node whose zone is not known is no zoned pool's");
        assertTrue(CapacityPool.owns(pools, SPOT_A, NodeMarket.SPOT, "g5.xlarge"));
        assertTrue(CapacityPool.owns(pools, SPOT_B, NodeMarket.SPOT, "g5.xlarge"), "another zone: no overlap");
        assertTrue(!CapacityPool.owns(pools, any, NodeMarket.SPOT, "g5.xlarge"),
                "a launch in any zone may land in 1a and count in spot-1a: the catch-all launches no g5.xlarge");
        var sameZone = new CapacityPool("spot-1a-again", NodeMarket.SPOT, List.of(), 0, 5, null, "us-east-1a");
        assertTrue(!CapacityPool.owns(List.of(SPOT_A, sameZone), sameZone, NodeMarket.SPOT, "g5.xlarge"));
        assertTrue(CapacityPool.owns(List.of(SPOT_A, sameZone), sameZone, NodeMarket.SPOT, "p4d.24xlarge"));
    }

    @Test
    void zonedPoolsLaunchInTheirZoneKeepTheirMinimumByZoneAndTheRequestNamesTheZone() {
        var p = policy(0, 10, SPOT_A, SPOT_B);
        var inB = new Node("b1", "", "g5.xlarge", NodeMarket.SPOT, 1, true, null, 0, "us-east-1b");
        Decision d = AutoscaleDecision.decide(p, T0, new FleetView(List.of(inB), List.of(job("j", 3, Market.SPOT))), List.of(), null, null,
                SHAPES);
        assertEquals(Action.SCALE_UP, d.action(), d.reason());
        var got = d.launches().stream().map(l -> l.jobId() + ":" + l.count() + "@" + l.pool() + "/" + l.zone()).toList();
        assertEquals(List.of("j:2@spot-1a/us-east-1a", "j:1@spot-1b/us-east-1b"), got, d.reason());
        var request = LaunchShapes.request(SHAPES, SHAPES.get(0), d.launches().get(0));
        assertEquals("us-east-1a", request.zone(), "the launcher is held to the pool's zone");
        // a launch in flight asked in 1b counts there: spot-1b is at its minimum, nothing more is launched for it
        Decision none = AutoscaleDecision.decide(p, T0, new FleetView(List.of(), List.of()),
                List.of(new InFlight("n1", "g5.xlarge", 1, NodeMarket.SPOT, T0, "us-east-1b")), null, null, SHAPES);
        assertEquals(Action.NONE, none.action(), none.reason());
        // release: the idle node in 1b is spot-1b's minimum, the one in 1a goes
        var inA = new Node("a1", "", "g5.xlarge", NodeMarket.SPOT, 1, false, T0.minusSeconds(900), 0, "us-east-1a");
        var idleB = new Node("b1", "", "g5.xlarge", NodeMarket.SPOT, 1, false, T0.minusSeconds(900), 0, "us-east-1b");
        Decision down = AutoscaleDecision.decide(p, T0, new FleetView(List.of(idleB, inA), List.of()), List.of(), T0.minusSeconds(3600),
                T0.minusSeconds(3600), SHAPES);
        assertEquals(List.of("a1"), down.release(), down.reason());
    }

    @Test
    void aPoolsZoneAndPriceAreCheckedLikeEveryField() throws Exception {
        var p = AutoscalePolicy.parse("zones.yaml", """
                autoscaling:
                  limits: {maxNodes: 4}
                  pools:
                    - {name: spot-1a, market: spot, zone: us-east-1a}
                    - {name: ri, market: reserved, pricePerHour: 0.61}
                """);
        assertEquals("us-east-1a", p.pools().get(0).zone());
        assertEquals(0.61, p.pools().get(1).pricePerHour());
        var e = assertThrows(AutoscalePolicy.PolicyException.class, () -> AutoscalePolicy.parse("zones.yaml", """
                autoscaling:
                  limits: {maxNodes: 4}
                  pools:
                    - {name: a, market: spot, zone: [us-east-1a]}
                    - {name: b, market: spot, zone: "US East"}
                    - {name: c, market: spot, pricePerHour: 0.3}
                    - {name: d, market: on-demand, pricePerHour: -1}
                """));
        assertEquals(List.of("autoscaling.pools[0].zone", "autoscaling.pools[1].zone", "autoscaling.pools[2].pricePerHour",
                "autoscaling.pools[3].pricePerHour"), e.errors.stream().map(f -> f.path()).sorted().toList(),
                e.getMessage());
    }

    @Test
    void aNodeTheLauncherDidNotStartIsNeverReleased() {
        // an operator's reserved machine that joined on its own, idle for an hour, and a launched Spot node idle as long
        var own = new Node("ri-1", "i-0own", "g5.xlarge", NodeMarket.RESERVED, 1, false, T0.minusSeconds(3600), 0, null, false);
        var launched = new Node("s1", "i-0s1", "g5.xlarge", NodeMarket.SPOT, 1, false, T0.minusSeconds(3600), 0, null, true);
        Decision d = AutoscaleDecision.decide(policy(0, 10), T0, new FleetView(List.of(own, launched), List.of()), List.of(),
                T0.minusSeconds(7200), T0.minusSeconds(7200), SHAPES);
        assertEquals(List.of("s1"), d.release(), d.reason());
        Decision none = AutoscaleDecision.decide(policy(0, 10), T0, new FleetView(List.of(own), List.of()), List.of(),
                T0.minusSeconds(7200), T0.minusSeconds(7200), SHAPES);
        assertEquals(Action.NONE, none.action(), none.reason());
    }
}
