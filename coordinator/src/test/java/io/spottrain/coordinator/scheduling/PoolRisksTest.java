package io.spottrain.coordinator.scheduling;

import static io.spottrain.coordinator.scheduling.GangSchedulerTest.job;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.coordinator.membership.NodeEnd;
import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.coordinator.membership.NodeState;
import io.spottrain.coordinator.scheduling.GangScheduler.Constraint;
import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.wire.InterruptionKind;
import io.spottrain.protocol.wire.NodeInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PoolRisksTest {
    static final Instant NOW = Instant.parse("2026-12-03T12:00:00Z");
    static final Duration WEEK = Duration.ofDays(7);

    /** A life of a node in {@code zone} from {@code hoursAgo} for {@code hours} (null: still live), ended {@code end}. */
    static NodeRecord life(String id, NodeMarket market, String zone, double hoursAgo, Double hours, NodeEnd end) {
        var info = new NodeInfo(id, market, "g5.xlarge", 1, 0.42, 1.0, zone, "127.0.0.1", "", 0, null, null);
        Instant start = NOW.minusMillis((long) (hoursAgo * 3_600_000));
        String ended = hours == null ? null : start.plusMillis((long) (hours * 3_600_000)).toString();
        return new NodeRecord(info, hours == null ? NodeState.READY : NodeState.LOST, null, "a", start.toString(), ended,
                hours == null ? null : "gone", hours == null ? null : end);
    }

    @Test
    void theEndOfALifeIsAnInterruptionOnlyWhenTheMarketTookASpotNode() {
        record Row(NodeMarket market, InterruptionKind notice, boolean retired, NodeEnd expected) {}
        for (Row r : List.of(
                new Row(NodeMarket.SPOT, InterruptionKind.SPOT_INTERRUPTION, false, NodeEnd.INTERRUPTED),
                new Row(NodeMarket.SPOT, null, false, NodeEnd.INTERRUPTED), // reclaimed without notice (or hung: no safer)
                new Row(NodeMarket.SPOT, InterruptionKind.SIGTERM, false, NodeEnd.RELEASED), // a scale-in, an operator, down
                new Row(NodeMarket.SPOT, InterruptionKind.SPOT_INTERRUPTION, true, NodeEnd.RELEASED), // retired before the notice
                new Row(NodeMarket.SPOT, null, true, NodeEnd.RELEASED),
                new Row(NodeMarket.SPOT, InterruptionKind.REBALANCE, false, NodeEnd.INTERRUPTED), // a recommendation, then gone
                new Row(NodeMarket.ON_DEMAND, null, false, NodeEnd.LOST),
                new Row(NodeMarket.ON_DEMAND, InterruptionKind.SIGTERM, false, NodeEnd.RELEASED))) {
            assertEquals(r.expected(), NodeEnd.of(r.market(), r.notice(), r.retired()), r.toString());
        }
    }

    @Test
    void theEstimateIsThePriorUntilNodeHoursOutweighIt() {
        record Row(int events, double hours, double prior, double expected) {}
        for (Row r : List.of(
                new Row(0, 0, 0.05, 0.05), // never seen: the prior
                new Row(0, 20, 0.05, 0.025), // 20 quiet node-hours halve it
                new Row(3, 10, 0.05, 4 / 30.0), // 3 in 10 node-hours: well above the prior, not yet 0.3
                new Row(30, 100, 0.05, 31 / 120.0),
                new Row(5, 10, 0, 0))) { // no prior: no estimate (placement without risk)
            assertEquals(r.expected(), PoolRisks.perNodeHour(r.events(), r.hours(), r.prior()), 1e-9, r.toString());
        }
    }

    @Test
    void poolsCountTheirSpotLivesInTheWindowAndTheirInterruptions() {
        var lives = new ArrayList<NodeRecord>();
        // zone a: 3 interruptions in 6 node-hours (2 h each) and a release; zone b: 10 quiet node-hours, one live node
        lives.add(life("a1", NodeMarket.SPOT, "a", 10, 2.0, NodeEnd.INTERRUPTED));
        lives.add(life("a2", NodeMarket.SPOT, "a", 8, 2.0, NodeEnd.INTERRUPTED));
        lives.add(life("a3", NodeMarket.SPOT, "a", 6, 2.0, NodeEnd.INTERRUPTED));
        lives.add(life("a4", NodeMarket.SPOT, "a", 4, 1.0, NodeEnd.RELEASED));
        lives.add(life("b1", NodeMarket.SPOT, "b", 9, 6.0, NodeEnd.RELEASED));
        lives.add(life("b2", NodeMarket.SPOT, "b", 4, null, null)); // live: 4 h up to now
        // not counted: on-demand lives, and an interruption that ended before the window
        lives.add(life("c1", NodeMarket.ON_DEMAND, "a", 5, 1.0, NodeEnd.LOST));
        lives.add(life("old", NodeMarket.SPOT, "b", 24 * 8 + 2, 1.0, NodeEnd.INTERRUPTED));
        // a life stored before ends were recorded (end null) is hours, not an interruption
        lives.add(life("pre", NodeMarket.SPOT, "b", 3, 1.0, null));
        var risks = PoolRisks.from(lives, NOW, WEEK, 0.05);
        var a = risks.risk("g5.xlarge", "a");
        assertEquals(3, a.interruptions());
        assertEquals(7.0, a.nodeHours(), 1e-6);
        assertEquals(4 / 27.0, a.perNodeHour(), 1e-6);
        var b = risks.risk("g5.xlarge", "b");
        assertEquals(0, b.interruptions());
        assertEquals(11.0, b.nodeHours(), 1e-6);
        assertEquals(1 / 31.0, b.perNodeHour(), 1e-6);
        assertEquals(0.05, risks.risk("g5.xlarge", "never-seen").perNodeHour(), 1e-9);
        assertEquals(0, risks.of(NodeMarket.ON_DEMAND, "g5.xlarge", "a"), "risk applies to Spot only");
        // a life that began before the window counts from the window's start
        var straddling = PoolRisks.from(List.of(life("s", NodeMarket.SPOT, "a", 24 * 7 + 5, 10.0, NodeEnd.INTERRUPTED)), NOW, WEEK, 0.05);
        assertEquals(5.0, straddling.risk("g5.xlarge", "a").nodeHours(), 1e-6);
        assertEquals(1, straddling.risk("g5.xlarge", "a").interruptions());

        assertTrue(risks.noPoolWithin(0.02, (t, g) -> true), "a 0.148, b 0.032");
        assertFalse(risks.noPoolWithin(0.1, (t, g) -> true), "b is within");
        assertFalse(risks.noPoolWithin(0.1, (t, g) -> t.startsWith("p4d")), "no p4d pool seen, and the prior 0.05 is within 0.1");
        assertTrue(risks.noPoolWithin(0.01, (t, g) -> t.startsWith("p4d")), "none seen, and the prior alone is above 0.01");
        // a 4-GPU worker fits neither pool (1-GPU nodes): only the prior speaks, within 0.1 and above 0.04
        assertFalse(risks.noPoolWithin(0.1, (t, g) -> g >= 4));
        assertTrue(risks.noPoolWithin(0.04, (t, g) -> g >= 4));
        assertFalse(risks.noPoolWithin(0.04, (t, g) -> true), "b (0.032) is within 0.04");
    }

    /** A named pool's interruptionPrior replaces the cluster's for its instance types, seen or not; a prior of 0 turns a type's estimate off. */
    @Test
    void aTypesOwnPriorReplacesTheClustersForItsPools() {
        var priors = new PoolRisks.Priors(0.05, Map.of("p4d.24xlarge", 0.01, "g4dn.xlarge", 0.0));
        var lives = List.of(life("a1", NodeMarket.SPOT, "a", 10, 2.0, NodeEnd.INTERRUPTED));
        var risks = PoolRisks.from(lives, NOW, WEEK, priors);
        // g5.xlarge (the cluster's prior): (1 + 1) / (2 + 20) observed; p4d never seen: its own prior alone
        assertEquals(2.0 / 22, risks.risk("g5.xlarge", "a").perNodeHour(), 1e-9);
        assertEquals(0.01, risks.risk("p4d.24xlarge", "a").perNodeHour(), 1e-9);
        assertEquals(0.05, risks.risk("g6.xlarge", "a").perNodeHour(), 1e-9, "a type no pool names: the cluster's prior");
        assertFalse(risks.estimated("g4dn.xlarge"));
        assertTrue(risks.estimated("p4d.24xlarge") && risks.estimated("g5.xlarge"));
        // a job bounded at 0.02 that could use p4d: that pool was never seen and its prior is within, so Spot is worth trying
        assertFalse(risks.noPoolWithin(0.02, (t, g) -> t.startsWith("p4d")));
        assertTrue(risks.noPoolWithin(0.005, (t, g) -> t.startsWith("p4d")), "its prior is above 0.005");
        assertTrue(risks.noPoolWithin(0.02, (t, g) -> t.startsWith("g5")), "g5 seen at 0.091, and the cluster's prior 0.05 is above 0.02");
        // the cluster's prior (0.01) below the bound (0.02) speaks only for a job that could use a type without a prior of its own
        var busy = PoolRisks.from(List.of(), NOW, WEEK, new PoolRisks.Priors(0.01, Map.of("p4d.24xlarge", 0.5)));
        assertTrue(busy.noPoolWithin(0.02, (t, g) -> t.equals("p4d.24xlarge"), List.of("p4d.24xlarge")), "pinned to the busy type");
        assertFalse(busy.noPoolWithin(0.02, (t, g) -> true, List.of()), "any type: one never seen may be at the cluster's 0.01");
    }

    @Test
    void aJobBoundingTheRiskIsPlacedOnlyInQuieterSpotPoolsAndExplainSaysWhy() throws Exception {
        var lives = List.of(life("a1", NodeMarket.SPOT, "a", 10, 2.0, NodeEnd.INTERRUPTED), life("a2", NodeMarket.SPOT, "a", 8, 2.0, NodeEnd.INTERRUPTED),
                life("a3", NodeMarket.SPOT, "a", 6, 2.0, NodeEnd.INTERRUPTED));
        var free = List.of(life("na", NodeMarket.SPOT, "a", 1, null, null), life("nb", NodeMarket.SPOT, "b", 1, null, null),
                life("nd", NodeMarket.ON_DEMAND, "a", 1, null, null));
        var all = new ArrayList<>(lives);
        all.addAll(free);
        var risks = PoolRisks.from(all, NOW, WEEK, 0.05);
        var bounded = job("{min: 2, max: 3}", "{market: spot-with-fallback, maxInterruptRisk: 0.1}");
        // zone a (4/27 ≈ 0.148 per node-hour) is off; b (the prior, less its hour) and on-demand are on
        assertEquals(List.of("nb", "nd"), GangScheduler.place(bounded, free, List.of(), 0, risks).nodeIds());
        assertEquals(List.of("na", "nb", "nd"), GangScheduler.place(bounded, free, List.of(), 0, PoolRisks.NONE).nodeIds(), "no estimate: no bound");
        var spotOnly = job("{min: 2}", "{market: spot, maxInterruptRisk: 0.1}");
        var p = GangScheduler.place(spotOnly, free, List.of(), 0, risks);
        assertFalse(p.placed());
        assertTrue(p.waitReason().contains("interrupted <= 0.1/node-hour") && p.waitReason().contains("1 available"), p.waitReason());
        // the survivors a recovery prefers keep their places (they hold the newest state); only new capacity is bounded
        assertEquals(List.of("na", "nb", "nd"), GangScheduler.place(bounded, free, List.of("na", "nb"), 0, risks).nodeIds());
        // no bound, no effect: the risk is a filter, not an order (quiet pools differ by noise while the prior dominates)
        var unbounded = job("{min: 1, max: 1}", "{market: spot}");
        assertEquals(List.of("na"), GangScheduler.place(unbounded, free, List.of(), 0, risks).nodeIds());

        assertEquals(Constraint.INTERRUPT_RISK, GangScheduler.misfit(bounded.spec(), NodeMarket.SPOT, "g5.xlarge", 1, 0.42, 0.15));
        assertNull(GangScheduler.misfit(bounded.spec(), NodeMarket.ON_DEMAND, "g5.xlarge", 1, 1.0, 0.15), "on-demand has no Spot risk");
        assertNull(GangScheduler.misfit(bounded.spec(), NodeMarket.SPOT, "g5.xlarge", 1, 0.42, 0.1), "at the bound is within it");
        assertEquals("spec.placement.maxInterruptRisk: spot g5.xlarge is interrupted 0.148 times per node-hour (estimated), above 0.1",
                Constraint.INTERRUPT_RISK.why(bounded.spec(), NodeMarket.SPOT, "g5.xlarge", 1, 0.42, 4 / 27.0));

        var in = new Explain.Input("j-1", bounded, "PENDING", false, null, "waiting for capacity", 0, List.of(), 3, free, List.of(),
                Map.of(), List.of(), null, risks);
        var e = Explain.of(in);
        var poolA = e.pools().stream().filter(x -> x.market().equals("spot") && x.zone().equals("a")).findFirst().orElseThrow();
        assertFalse(poolA.fits());
        assertTrue(poolA.misfit().startsWith("spec.placement.maxInterruptRisk: "), poolA.misfit());
        assertEquals("0.148 interruptions per node-hour (3 in 7.0 node-hours)", poolA.interruptRisk());
        assertNull(e.pools().stream().filter(x -> x.market().equals("on-demand")).findFirst().orElseThrow().interruptRisk());
        assertTrue(e.why().stream().anyMatch(w -> w.contains("kept off by spec.placement.maxInterruptRisk")), e.why().toString());
    }
}
