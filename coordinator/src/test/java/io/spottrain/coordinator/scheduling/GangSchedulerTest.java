package io.spottrain.coordinator.scheduling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.spottrain.coordinator.membership.NodeEnd;
import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.coordinator.membership.NodeRegistry;
import io.spottrain.protocol.spec.JobSpec;
import io.spottrain.protocol.spec.JobSpecParser;
import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.wire.NodeInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class GangSchedulerTest {

    static NodeRegistry fleet() {
        var r = new NodeRegistry();
        Instant t = Instant.EPOCH;
        r.register(node("node10", NodeMarket.SPOT, "g5.xlarge", 1, 0.42), "a10", t);
        r.register(node("node2", NodeMarket.SPOT, "g5.xlarge", 1, 0.42), "a2", t);
        r.register(node("node3", NodeMarket.ON_DEMAND, "g5.xlarge", 1, 1.006), "a3", t);
        r.register(node("node4", NodeMarket.SPOT, "p4d.24xlarge", 8, 9.0), "a4", t);
        return r;
    }

    static NodeInfo node(String id, NodeMarket m, String type, int gpus, double price) {
        return new NodeInfo(id, m, type, gpus, price, price * 2, "z", "127.0.0.1", "", 0, null, null);
    }

    static JobSpec job(String workers, String placement) throws Exception {
        return JobSpecParser.parse("""
                apiVersion: spottrain/v1
                kind: TrainingJob
                metadata: {name: j}
                spec:
                  workers: %s
                  command: [x]
                  placement: %s
                """.formatted(workers, placement));
    }

    @Test
    void takesUpToMaxPreferringSpotThenTightestGpuFitThenPriceThenName() throws Exception {
        assertEquals(List.of("node2", "node10", "node4", "node3"),
                GangScheduler.place(job("{min: 2, max: 4}", "{market: spot-with-fallback}"), fleet().free()).nodeIds());
        NodeRegistry r = fleet();
        r.register(node("node5", NodeMarket.SPOT, "g5.xlarge", 1, 0.30), "a5", Instant.EPOCH);
        assertEquals(List.of("node5", "node2"), GangScheduler.place(job("{min: 2}", "{}"), r.free()).nodeIds());
    }

    @Test
    void reservedCapacityComesFirstForEveryMarketAndAnOnDemandJobNeverGetsSpot() throws Exception {
        NodeRegistry r = fleet();
        r.register(node("node9", NodeMarket.RESERVED, "g5.xlarge", 1, 0.634), "a9", Instant.EPOCH);
        assertEquals(List.of("node9", "node2"), GangScheduler.place(job("{min: 2}", "{market: spot}"), r.free()).nodeIds(),
                "a Spot job on the reserved node first: paid for already, never taken back");
        assertEquals(List.of("node9", "node3"), GangScheduler.place(job("{min: 2}", "{market: on-demand}"), r.free()).nodeIds());
        assertEquals(List.of("node9", "node2", "node10"), GangScheduler.place(job("{min: 3}", "{market: spot-with-fallback}"), r.free())
                .nodeIds());
    }

    @Test
    void theOrderOfPreferenceIsTheSameForEveryJobSoOneSortServesARound() throws Exception {
        var r = fleet();
        r.register(node("node6", NodeMarket.SPOT, "g5.12xlarge", 4, 4.1), "a6", Instant.EPOCH);
        r.register(node("node7", NodeMarket.ON_DEMAND, "g5.12xlarge", 4, 5.7), "a7", Instant.EPOCH);
        r.register(node("node8", NodeMarket.SPOT, "g5.xlarge", 1, 0.30), "a8", Instant.EPOCH);
        var nodes = r.free();
        var sorted = GangScheduler.preferred(nodes);
        for (String workers : List.of("{min: 1, max: 8}", "{min: 1, max: 8, gpusPerWorker: 4}", "{min: 1, max: 8, gpusPerWorker: 8}")) {
            for (String placement : List.of("{}", "{market: spot-with-fallback}", "{market: on-demand}")) {
                var spec = job(workers, placement);
                var reversed = new ArrayList<>(nodes);
                Collections.reverse(reversed);
                assertEquals(GangScheduler.fitting(spec, reversed), GangScheduler.fitting(spec, sorted), workers + " " + placement);
                assertEquals(GangScheduler.place(spec, reversed).nodeIds(), GangScheduler.place(spec, sorted).nodeIds(), workers + " " + placement);
            }
        }
        // and in that order: spot, tightest fit, cheapest, lowest number
        assertEquals(List.of("node8", "node2", "node10", "node6", "node4", "node3", "node7"), sorted.stream().map(NodeRecord::nodeId).toList());
    }

    @Test
    void spotOnlyNeverUsesOnDemand() throws Exception {
        Placement p = GangScheduler.place(job("{min: 1, max: 8}", "{market: spot}"), fleet().free());
        assertEquals(List.of("node2", "node10", "node4"), p.nodeIds());
    }

    @Test
    void gangWaitsBelowMinAndSaysWhy() throws Exception {
        Placement p = GangScheduler.place(job("{min: 2, gpusPerWorker: 4}", "{market: spot}"), fleet().free());
        assertFalse(p.placed());
        assertEquals("needs 2 free spot, 4-GPU nodes, 1 available (4 free in all)", p.waitReason());
    }

    @Test
    void instanceTypesAndPriceCapFilter() throws Exception {
        assertEquals(List.of("node4"), GangScheduler.place(job("{min: 1, max: 4}", "{instanceTypes: [p4d.24xlarge]}"),
                fleet().free()).nodeIds());
        assertEquals(List.of("node3"), GangScheduler.place(job("{min: 1, max: 4}", "{market: on-demand, maxPricePerHour: 2}"),
                fleet().free()).nodeIds());
        assertFalse(GangScheduler.place(job("{min: 1}", "{market: on-demand, maxPricePerHour: 1}"), fleet().free()).placed());
    }

    @Test
    void busyAndLostNodesAreNotFree() throws Exception {
        NodeRegistry r = fleet();
        r.assign("node2", "other-1");
        r.lost("node10", "gone", NodeEnd.INTERRUPTED, Instant.EPOCH);
        assertEquals(List.of("node4"), GangScheduler.place(job("{min: 1, max: 4}", "{market: spot}"), r.free()).nodeIds());
        r.release("node2", "other-1");
        assertEquals(List.of("node2", "node4"), GangScheduler.place(job("{min: 1, max: 4}", "{market: spot}"), r.free()).nodeIds());
    }
}
