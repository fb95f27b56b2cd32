package io.spottrain.coordinator.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spottrain.coordinator.membership.NodeRegistry;
import io.spottrain.coordinator.scheduling.PoolRisks;
import io.spottrain.coordinator.scheduling.TeamQuotas;
import io.spottrain.protocol.spec.JobSpecParser;
import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.wire.NodeInfo;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Who is offered which free nodes: priority, then age; up to each job's max; only fitting nodes; no node twice. */
class CapacityOffersTest {
    static NodeInfo node(String id, NodeMarket m) {
        return new NodeInfo(id, m, "g5.xlarge", 1, 0.42, 1.0, "z", "127.0.0.1", "", 0, null, null);
    }

    static Job job(String id, int max, int priority, String market, int submittedSecond) throws Exception {
        var spec = JobSpecParser.parse("""
                apiVersion: spottrain/v1
                kind: TrainingJob
                metadata: {name: j}
                spec: {workers: {min: 1, max: %d, gpusPerWorker: 1}, command: [x], priority: %d, placement: {market: %s}}
                """.formatted(max, priority, market));
        return Job.submitted(id, spec, Jobs.T0.plusSeconds(submittedSecond));
    }

    @Test
    void freeNodesGoToTheHighestPriorityThenOldestJobUpToItsMaxAndNeverTwice() throws Exception {
        var r = new NodeRegistry();
        for (String n : List.of("n1", "n2", "n3")) r.register(node(n, NodeMarket.SPOT), "a-" + n, Instant.EPOCH);
        r.register(node("n4", NodeMarket.ON_DEMAND), "a-n4", Instant.EPOCH);
        var assigned = Map.of("low", 1L, "high", 2L, "old", 1L, "full", 2L, "od", 0L);
        var jobs = List.of(job("low", 4, 0, "spot", 2), job("old", 2, 0, "spot", 1), job("high", 4, 10, "spot", 3),
                job("full", 2, 20, "spot", 0), job("od", 1, 5, "on-demand", 4));
        var plan = CapacityOffers.plan(jobs, r.free(), id -> assigned.get(id));
        // full is at its max; high (priority 10) takes 2 of the 3 spot nodes; od the on-demand one; old (older than low) the last spot
        assertEquals(List.of(new CapacityOffers.Offer("high", 2), new CapacityOffers.Offer("od", 1), new CapacityOffers.Offer("old", 1)),
                plan);
        assertEquals(List.of(), CapacityOffers.plan(jobs, List.of(), id -> 0L), "nothing free, nothing offered");
    }

    @Test
    void anOperatorsDesiredCountCapsTheOffer() throws Exception {
        var r = new NodeRegistry();
        for (String n : List.of("n1", "n2", "n3")) r.register(node(n, NodeMarket.SPOT), "a-" + n, Instant.EPOCH);
        var resized = job("resized", 4, 10, "spot", 0).withDesired(2);
        var plan = CapacityOffers.plan(List.of(resized, job("other", 4, 0, "spot", 1)), r.free(), id -> 1L);
        assertEquals(List.of(new CapacityOffers.Offer("resized", 1), new CapacityOffers.Offer("other", 2)), plan,
                "the resized job is offered up to its desired 2, the rest goes on");
    }

    @Test
    void aTeamsQuotaCapsWhatItsJobsAreOffered() throws Exception {
        var r = new NodeRegistry();
        for (String n : List.of("n1", "n2", "n3", "n4")) r.register(node(n, NodeMarket.SPOT), "a-" + n, Instant.EPOCH);
        var quotas = new TeamQuotas(List.of(new TeamQuotas.Quota("", 3, Integer.MAX_VALUE))); // the jobs here have no team label
        var plan = CapacityOffers.plan(List.of(job("first", 4, 10, "spot", 0), job("second", 4, 0, "spot", 1)), r.free(), id -> 1L,
                PoolRisks.NONE, quotas, Map.of("", new TeamQuotas.Use(2, 0)));
        assertEquals(List.of(new CapacityOffers.Offer("first", 1)), plan, "2 held of 3: one node more for the team, to its first job");
    }
}
