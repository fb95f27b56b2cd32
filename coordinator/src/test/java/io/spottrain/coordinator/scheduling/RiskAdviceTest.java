package io.spottrain.coordinator.scheduling;

import static io.spottrain.coordinator.scheduling.GangSchedulerTest.job;
import static io.spottrain.coordinator.scheduling.PoolRisksTest.NOW;
import static io.spottrain.coordinator.scheduling.PoolRisksTest.WEEK;
import static io.spottrain.coordinator.scheduling.PoolRisksTest.life;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spottrain.coordinator.membership.NodeEnd;
import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.protocol.spec.NodeMarket;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RiskAdviceTest {

    @Test
    void aBoundNoKnownSpotPoolMeetsIsSaidAtSubmitAndAnyOtherIsNot() throws Exception {
        // zone a: 2 interruptions in 10 node-hours (3 / 30 = 0.1 with the prior); zone b: 40 quiet node-hours (1 / 60 = 0.017)
        List<NodeRecord> noisyA = List.of(life("n1", NodeMarket.SPOT, "a", 10, 5.0, NodeEnd.INTERRUPTED),
                life("n2", NodeMarket.SPOT, "a", 6, 5.0, NodeEnd.INTERRUPTED));
        List<NodeRecord> quietB = List.of(life("n3", NodeMarket.SPOT, "b", 40, null, null));
        var both = new ArrayList<>(noisyA);
        both.addAll(quietB);
        record Row(String why, String placement, List<NodeRecord> lives, double prior, String expected) {}
        String prior05 = "a pool never seen counts as 0.050 (the prior)";
        for (Row r : List.of(
                new Row("no bound", "{market: spot}", noisyA, 0.05, null),
                new Row("a quiet pool meets it", "{market: spot, maxInterruptRisk: 0.02}", both, 0.05, null),
                new Row("never seen, prior within", "{market: spot, maxInterruptRisk: 0.1}", List.of(), 0.05, null),
                new Row("never seen, prior above", "{market: spot, maxInterruptRisk: 0.01}", List.of(), 0.05,
                        "no Spot pool is known to be within spec.placement.maxInterruptRisk 0.01: none of the pools it could use was "
                                + "observed yet, and " + prior05 + "; it waits until a Spot pool is within it (market: spot-with-fallback "
                                + "would run it on on-demand meanwhile)"),
                new Row("every observed pool above, fallback", "{market: spot-with-fallback, maxInterruptRisk: 0.05}", noisyA, 0.05,
                        "no Spot pool is known to be within spec.placement.maxInterruptRisk 0.05: the pools it could use were "
                                + "interrupted g5.xlarge in a 0.100 times per node-hour, and " + prior05
                                + "; it runs on on-demand nodes until a Spot pool is within it"),
                new Row("the quiet pool is of another type", "{market: spot, maxInterruptRisk: 0.02, instanceTypes: [p4d.24xlarge]}", both,
                        0.05, "no Spot pool is known to be within spec.placement.maxInterruptRisk 0.02: none of the pools it could use "
                                + "was observed yet, and " + prior05 + "; it waits until a Spot pool is within it (market: "
                                + "spot-with-fallback would run it on on-demand meanwhile)"))) {
            var risks = PoolRisks.from(r.lives(), NOW, WEEK, r.prior());
            assertEquals(Optional.ofNullable(r.expected()), RiskAdvice.atSubmit(job("{min: 1}", r.placement()), risks), r.why());
        }
    }
}
