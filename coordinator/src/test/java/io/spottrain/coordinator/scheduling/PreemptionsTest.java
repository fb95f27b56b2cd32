package io.spottrain.coordinator.scheduling;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.coordinator.membership.NodeRegistry;
import io.spottrain.coordinator.scheduling.Preemptions.Running;
import io.spottrain.coordinator.scheduling.Preemptions.Take;
import io.spottrain.protocol.spec.JobSpec;
import io.spottrain.protocol.spec.JobSpecParser;
import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.wire.NodeInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Who gives nodes back to a waiting job of a higher priority class: the table of priority x elasticity x fit x room. */
class PreemptionsTest {
    static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");

    static JobSpec spec(String priority, int min, int max, String market) throws Exception {
        return JobSpecParser.parse("""
                apiVersion: spottrain/v1
                kind: TrainingJob
                metadata: {name: j}
                spec: {workers: {min: %d, max: %d, gpusPerWorker: 1}, command: [x], priority: %s, placement: {market: %s}}
                """.formatted(min, max, priority, market));
    }

    static List<NodeRecord> nodes(NodeMarket market, String... ids) {
        var r = new NodeRegistry();
        for (String id : ids) r.register(new NodeInfo(id, market, "g5.xlarge", 1, 1.0, 1.0, "z", "h", "", 0, null, null), "a-" + id, T0);
        return new ArrayList<>(r.all());
    }

    static Running running(String id, String priority, int min, int max, int submittedSecond, List<NodeRecord> held) throws Exception {
        return new Running(id, spec(priority, min, max, "spot-with-fallback"), T0.plusSeconds(submittedSecond), held);
    }

    @Test
    void aHighJobTakesFromTheLowestPriorityFirstThenTheYoungestDownToTheirMins() throws Exception {
        var high = spec("high", 3, 3, "on-demand");
        var low = running("low", "low", 1, 4, 0, nodes(NodeMarket.ON_DEMAND, "n1", "n2", "n3"));
        var normalOld = running("old", "normal", 1, 4, 1, nodes(NodeMarket.ON_DEMAND, "n4", "n5"));
        var normalYoung = running("young", "normal", 1, 4, 2, nodes(NodeMarket.ON_DEMAND, "n6", "n7"));
        assertEquals(List.of(new Take("low", List.of("n3", "n2")), new Take("young", List.of("n7"))),
                Preemptions.plan(high, 0, List.of(normalOld, low, normalYoung)));
        assertEquals(List.of(new Take("low", List.of("n3"))), Preemptions.plan(high, 2, List.of(normalOld, low, normalYoung)),
                "free nodes that fit count first");
        assertEquals(List.of(), Preemptions.plan(high, 3, List.of(low)), "nothing to take when the free nodes suffice");
    }

    @Test
    void nobodyIsInterruptedForNothing() throws Exception {
        var high = spec("high", 3, 3, "on-demand");
        var atMin = running("fixed", "low", 2, 2, 0, nodes(NodeMarket.ON_DEMAND, "n1", "n2"));
        var small = running("small", "low", 1, 2, 0, nodes(NodeMarket.ON_DEMAND, "n3", "n4"));
        assertEquals(List.of(), Preemptions.plan(high, 1, List.of(atMin, small)), "1 free + 1 from small < 3: no shrink at all");
        assertEquals(List.of(new Take("small", List.of("n4"))), Preemptions.plan(high, 2, List.of(atMin, small)));
    }

    @Test
    void onlyALowerClassAndOnlyNodesTheWaitingJobCanUse() throws Exception {
        var normal = spec("normal", 1, 1, "spot-with-fallback");
        var sameClass = running("peer", 400, 1, 4, 0, nodes(NodeMarket.SPOT, "n1", "n2"));
        assertEquals(List.of(), Preemptions.plan(normal, 0, List.of(sameClass)), "priority 400 vs 500: the same class, no preemption");
        var high = spec("high", 1, 1, "on-demand");
        var spotOnly = running("spotty", "low", 1, 4, 0, nodes(NodeMarket.SPOT, "s1", "s2"));
        assertEquals(List.of(), Preemptions.plan(high, 0, List.of(spotOnly)), "a high job runs on on-demand only: spot nodes are of no use");
    }

    static Running requeueable(String id, String priority, int min, int max, int submittedSecond, List<NodeRecord> held) throws Exception {
        return new Running(id, spec(priority, min, max, "spot-with-fallback"), T0.plusSeconds(submittedSecond), held, true);
    }

    @Test
    void whenShrinkingIsNotEnoughWholeJobsAreRequeuedTheLowestAndYoungestFirst() throws Exception {
        var high = spec("high", 3, 3, "on-demand");
        var fixedOld = requeueable("fixed-old", "low", 2, 2, 0, nodes(NodeMarket.ON_DEMAND, "n1", "n2"));
        var fixedYoung = requeueable("fixed-young", "low", 2, 2, 5, nodes(NodeMarket.ON_DEMAND, "n3", "n4"));
        assertEquals(List.of(new Take("fixed-young", List.of("n3", "n4"), true)), Preemptions.plan(high, 1, List.of(fixedOld, fixedYoung)),
                "1 free + the youngest low job's 2 nodes");
        assertEquals(List.of(new Take("fixed-young", List.of("n3", "n4"), true), new Take("fixed-old", List.of("n1", "n2"), true)),
                Preemptions.plan(high, 0, List.of(fixedOld, fixedYoung)));
        var big = requeueable("big", "low", 3, 3, 1, nodes(NodeMarket.ON_DEMAND, "b1", "b2", "b3"));
        assertEquals(List.of(new Take("big", List.of("b1", "b2", "b3"), true)), Preemptions.plan(high, 0, List.of(fixedYoung, big)),
                "the youngest (2 nodes) was not enough, the next (3) is: the first needs not step aside after all");
        var notSpeaking = new Running("mute", spec("low", 2, 2, "on-demand"), T0, nodes(NodeMarket.ON_DEMAND, "m1", "m2", "m3"), false);
        assertEquals(List.of(), Preemptions.plan(high, 0, List.of(notSpeaking)),
                "a job whose ranks cannot checkpoint on request is never requeued (it would lose its work)");
    }

    @Test
    void aShrinkARequeueMadeNeedlessIsDroppedAndAJobThatShrankIsRequeuedWhole() throws Exception {
        var high = spec("high", 3, 3, "on-demand");
        var elastic = requeueable("elastic", "low", 1, 4, 0, nodes(NodeMarket.ON_DEMAND, "e1", "e2"));
        var fixed = requeueable("fixed", "low", 3, 3, 9, nodes(NodeMarket.ON_DEMAND, "f1", "f2", "f3"));
        assertEquals(List.of(new Take("fixed", List.of("f1", "f2", "f3"), true)), Preemptions.plan(high, 0, List.of(elastic, fixed)),
                "requeueing the fixed job covers all 3: the elastic job's shrink is not needed");
        var normal = spec("normal", 4, 4, "spot-with-fallback");
        var lowElastic = requeueable("low-el", "low", 1, 3, 0, nodes(NodeMarket.SPOT, "l1", "l2", "l3"));
        assertEquals(List.of(new Take("low-el", List.of("l1", "l2", "l3"), true)), Preemptions.plan(normal, 1, List.of(lowElastic)),
                "its shrink (2) is not enough: the same job is requeued whole instead of shrunk and requeued");
        var highOnly = spec("high", 4, 4, "on-demand");
        assertEquals(List.of(), Preemptions.plan(highOnly, 0, List.of(fixed)), "3 nodes for a job of 4: not even a requeue makes room");
    }

    static Running running(String id, int priority, int min, int max, int submittedSecond, List<NodeRecord> held) throws Exception {
        return running(id, Integer.toString(priority), min, max, submittedSecond, held);
    }
}
