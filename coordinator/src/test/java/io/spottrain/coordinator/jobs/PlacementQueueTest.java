package io.spottrain.coordinator.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spottrain.coordinator.membership.NodeRegistry;
import io.spottrain.coordinator.scheduling.PoolRisks;
import io.spottrain.coordinator.scheduling.TeamQuotas;
import io.spottrain.protocol.spec.JobSpec;
import io.spottrain.protocol.spec.JobSpecParser;
import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.wire.NodeInfo;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The queue's order: resuming jobs, then priority, then fair share between teams (GPUs held, counting what this round gives), then age. */
class PlacementQueueTest {

    static JobManager.WantsNodes wants(String id, String team, String priority, int second) throws Exception {
        JobSpec spec = JobSpecParser.parse("""
                apiVersion: spottrain/v1
                kind: TrainingJob
                metadata: {name: %s, labels: {team: %s}}
                spec: {workers: {min: 1, max: 1, gpusPerWorker: 1}, command: [x], priority: %s, placement: {market: %s}}
                """.formatted(id, team, priority, priority.equals("high") ? "on-demand" : "spot-with-fallback"));
        return new JobManager.WantsNodes(id, spec, List.of(), -1, Jobs.T0.plusSeconds(second).toString(), 0, false);
    }

    static NodeRegistry free(int n) {
        var r = new NodeRegistry();
        for (int i = 1; i <= n; i++) {
            r.register(new NodeInfo("n" + i, NodeMarket.ON_DEMAND, "g5.xlarge", 1, 1.0, 1.0, "z", "h", "", 0, null, "2026-12-02T10:00:00Z"),
                    "a-" + i, Instant.EPOCH);
        }
        return r;
    }

    static List<String> placed(PlacementQueue q, int nodes, Map<String, Integer> held) {
        return q.next(free(nodes).free(), held, id -> null).stream().filter(o -> o.placement() != null && o.placement().placed())
                .map(o -> o.job().jobId()).toList();
    }

    @Test
    void withinAPriorityTheTeamHoldingLessGoesFirstAndTeamsAlternate() throws Exception {
        var q = new PlacementQueue();
        // vision's jobs are older, but vision holds 4 GPUs and nlp none
        for (var w : List.of(wants("v1", "vision", "normal", 1), wants("v2", "vision", "normal", 2), wants("v3", "vision", "normal", 3),
                wants("n1", "nlp", "normal", 10), wants("n2", "nlp", "normal", 11))) {
            q.add(w);
        }
        assertEquals(List.of("n1", "n2", "v1", "v2"), placed(q, 4, Map.of("vision", 4)),
                "nlp catches up to vision's 4 GPUs... and then vision's oldest, alternating by what each holds");
        assertEquals(List.of("v3"), placed(q, 1, Map.of()));
    }

    /** What teams hold is counted (a scan of every node) only where it can change the round: a quota, or two teams waiting. */
    @Test
    void teamUseMattersOnlyWithAQuotaOrJobsOfTwoTeamsWaiting() throws Exception {
        var q = new PlacementQueue();
        assertEquals(false, q.teamUseMatters(), "nobody waits");
        q.add(wants("a1", "a", "normal", 1));
        q.add(wants("a2", "a", "high", 2));
        assertEquals(false, q.teamUseMatters(), "one team: fair share orders nothing");
        q.add(wants("b1", "b", "normal", 3));
        assertEquals(true, q.teamUseMatters(), "two teams: fair share orders them");
        q.remove("b1");
        assertEquals(false, q.teamUseMatters());
        q.quotas(new TeamQuotas(List.of(new TeamQuotas.Quota("a", 2, Integer.MAX_VALUE))));
        assertEquals(true, q.teamUseMatters(), "a quota counts what its team holds");
    }

    @Test
    void equalShareAlternatesAndPriorityComesBeforeShare() throws Exception {
        var q = new PlacementQueue();
        for (var w : List.of(wants("a1", "a", "normal", 1), wants("a2", "a", "normal", 2), wants("b1", "b", "normal", 3),
                wants("b2", "b", "normal", 4), wants("urgent", "a", "high", 5))) {
            q.add(w);
        }
        assertEquals(List.of("urgent", "b1", "a1", "b2"), placed(q, 4, Map.of()));
    }

    @Test
    void aRequeuedJobWaitsItsTurnWhileOneWhoseSurvivorsWaitGoesFirst() throws Exception {
        var q = new PlacementQueue();
        var low = wants("low", "a", "low", 1);
        q.add(new JobManager.WantsNodes("requeued", low.spec(), List.of(), 250, low.submittedAt(), 0, true));
        q.add(wants("urgent", "a", "high", 5));
        assertEquals(List.of("urgent"), placed(q, 1, Map.of()), "the job it made room for goes ahead of it");
        assertEquals(List.of("requeued"), placed(q, 1, Map.of()));
        q.add(wants("urgent2", "a", "high", 6));
        q.add(new JobManager.WantsNodes("resuming", low.spec(), List.of("n9"), 250, low.submittedAt(), 0, false));
        assertEquals(List.of("resuming"), placed(q, 1, Map.of()), "survivors waiting idle still come first");
    }

    @Test
    void aHeldJobIsPlacedOnNothingAndWaitsWithTheHoldsReason() throws Exception {
        var q = new PlacementQueue();
        q.add(wants("held", "frugal", "low", 1));
        q.add(wants("free", "other", "low", 2));
        var out = q.next(free(2).free(), Map.of(), id -> id.equals("held") ? "held: budget frugal is exceeded" : null);
        assertEquals(List.of("free"), out.stream().filter(o -> o.placement().placed()).map(o -> o.job().jobId()).toList());
        assertEquals("held: budget frugal is exceeded", out.stream().filter(o -> o.job().jobId().equals("held")).findFirst().orElseThrow()
                .waitReason());
        assertEquals(List.of("held"), placed(q, 2, Map.of()), "placed once nothing holds it");
    }

    @Test
    void aRequeuedJobDoesNotTakeBackItsNodesWhileAHigherClassJobStillWaits() throws Exception {
        var q = new PlacementQueue();
        var low = wants("low", "a", "low", 1);
        var urgent = wants("urgent", "a", "high", 5);
        // the urgent job needs 3 (its other nodes are still being given back by a shrink); the requeued job fits on 1
        q.add(new JobManager.WantsNodes("urgent", JobSpecParser.parse("""
                apiVersion: spottrain/v1
                kind: TrainingJob
                metadata: {name: urgent, labels: {team: a}}
                spec: {workers: {min: 3, max: 3, gpusPerWorker: 1}, command: [x], priority: high, placement: {market: on-demand}}
                """), List.of(), -1, urgent.submittedAt(), 0, false));
        q.add(new JobManager.WantsNodes("requeued", low.spec(), List.of(), 250, low.submittedAt(), 0, true));
        var out = q.next(free(1).free(), Map.of(), id -> null);
        assertEquals(List.of(), out.stream().filter(o -> o.placement().placed()).toList(), "nobody placed");
        assertEquals("requeued: waits while job urgent of a higher priority class waits for nodes",
                out.stream().filter(o -> o.job().jobId().equals("requeued")).findFirst().orElseThrow().waitReason());
    }

    @Test
    void aTeamAtItsQuotaWaitsHeldWhileAnotherTeamIsPlacedAndWhatThisRoundGivesCounts() throws Exception {
        var q = new PlacementQueue();
        q.quotas(new TeamQuotas(List.of(new TeamQuotas.Quota("a", 2, Integer.MAX_VALUE))));
        for (var w : List.of(wants("a1", "a", "normal", 1), wants("a2", "a", "normal", 2), wants("a3", "a", "normal", 3),
                wants("b1", "b", "normal", 4))) {
            q.add(w);
        }
        var out = q.next(free(4).free(), Map.of("a", new TeamQuotas.Use(1, 0)), id -> null, PoolRisks.NONE);
        assertEquals(List.of("b1", "a1"), out.stream().filter(o -> o.placement().placed()).map(o -> o.job().jobId()).toList(),
                "b holds less and goes first; a holds 1 of its 2: one more job of a, then it is held; b has no quota");
        assertEquals("held: team a holds 2 of its quota of 2 GPUs (quotas, maxGpus) and this job needs 1 to start",
                out.stream().filter(o -> o.job().jobId().equals("a2")).findFirst().orElseThrow().waitReason());
        // a gang the quota can give only part of waits, saying so (the on-demand quota: 1 of the 2 fitting on-demand nodes)
        var big = new PlacementQueue();
        big.quotas(new TeamQuotas(List.of(new TeamQuotas.Quota("c", 8, 1))));
        big.add(new JobManager.WantsNodes("gang", JobSpecParser.parse("""
                apiVersion: spottrain/v1
                kind: TrainingJob
                metadata: {name: gang, labels: {team: c}}
                spec: {workers: {min: 2, max: 2, gpusPerWorker: 1}, command: [x], placement: {market: spot-with-fallback}}
                """), List.of(), -1, Jobs.T0.toString(), 0, false));
        var waits = big.next(free(2).free(), Map.of(), id -> null, PoolRisks.NONE);
        assertEquals("waiting for capacity: team c's quota leaves room for 1 of the 2 fitting free node(s) (quotas: maxGpus, maxOnDemandGpus), "
                + "it needs 2", waits.get(0).waitReason());
    }

    @Test
    void aSpotNodeFillsInForASurvivorsOnDemandNodeTheQuotaRefuses() throws Exception {
        var q = new PlacementQueue();
        q.quotas(new TeamQuotas(List.of(new TeamQuotas.Quota("c", 8, 1))));
        var r = new NodeRegistry();
        for (String id : List.of("o1", "o2", "s1")) {
            r.register(new NodeInfo(id, id.startsWith("o") ? NodeMarket.ON_DEMAND : NodeMarket.SPOT, "g5.xlarge", 1, 1.0, 1.0, "z", "h", "", 0,
                    null, null), "a-" + id, Instant.EPOCH);
        }
        var spec = JobSpecParser.parse("""
                apiVersion: spottrain/v1
                kind: TrainingJob
                metadata: {name: gang, labels: {team: c}}
                spec: {workers: {min: 2, max: 2, gpusPerWorker: 1}, command: [x], placement: {market: spot-with-fallback}}
                """);
        // resuming: its survivors were the two on-demand nodes; the quota allows one on-demand GPU
        q.add(new JobManager.WantsNodes("gang", spec, List.of("o1", "o2"), 100, Jobs.T0.toString(), 0, false));
        var out = q.next(r.free(), Map.of(), id -> null, PoolRisks.NONE);
        assertEquals(List.of("o1", "s1"), out.get(0).placement().nodeIds());
        assertEquals(false, q.quotaLimited("gang"));
    }
}
