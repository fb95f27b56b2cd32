package io.spottrain.coordinator.scheduling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.coordinator.membership.NodeRegistry;
import io.spottrain.coordinator.scheduling.TeamQuotas.Use;
import io.spottrain.protocol.spec.JobSpec;
import io.spottrain.protocol.spec.JobSpecParser;
import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.wire.NodeInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TeamQuotasTest {
    static final TeamQuotas QUOTAS = new TeamQuotas(List.of(new TeamQuotas.Quota("research", 8, 2),
            new TeamQuotas.Quota("interns", 2, Integer.MAX_VALUE)));

    static JobSpec job(String team, int min, int max, int gpus, String market) throws Exception {
        return JobSpecParser.parse("""
                apiVersion: spottrain/v1
                kind: TrainingJob
                metadata: {name: j, labels: {team: %s}}
                spec: {workers: {min: %d, max: %d, gpusPerWorker: %d}, command: [x], placement: {market: %s}}
                """.formatted(team, min, max, gpus, market));
    }

    static NodeRecord node(NodeRegistry r, String id, NodeMarket m, String job) {
        var rec = r.register(new NodeInfo(id, m, "g5.12xlarge", 4, 1.0, 2.0, "z", "h", "", 0, null, null), "a-" + id, Instant.EPOCH);
        return job == null ? rec : r.assign(id, job).orElseThrow();
    }

    @Test
    void theFileIsCheckedLikeASpecEveryErrorWithItsField() {
        var e = assertThrows(TeamQuotas.QuotasException.class, () -> TeamQuotas.parse("q.yaml", """
                quotas:
                  - {team: research, maxGpus: 0}
                  - {team: research, maxGpus: 4}
                  - {maxGpus: 2}
                  - {team: vision}
                  - {team: nlp, maxOnDemandGpus: -1, maxGpu: 3}
                  - 7
                """));
        var paths = e.errors.stream().map(f -> f.path() + ": " + f.message()).toList();
        assertEquals(List.of("quotas[0].maxGpus: must be a whole number of GPUs >= 1, got 0", "quotas[1].team: \"research\" has two quotas",
                "quotas[2].team: required: the value of the jobs' team label", "quotas[3]: sets no limit: maxGpus, maxOnDemandGpus or both",
                "quotas[4].maxGpu: unknown field (known: maxGpus, maxOnDemandGpus, team)",
                "quotas[4].maxOnDemandGpus: must be a whole number of GPUs >= 0, got -1",
                "quotas[5]: must be a mapping {team, maxGpus, maxOnDemandGpus}"), paths);
        assertEquals("quotas: required: a list", assertThrows(TeamQuotas.QuotasException.class, () -> TeamQuotas.parse("q", "budgets: []"))
                .errors.get(0).toString());
    }

    @Test
    void theExampleParses() throws Exception {
        var q = TeamQuotas.parse("quotas.yaml", Files.readString(Path.of("").toAbsolutePath().getParent().resolve("examples/cluster/quotas.yaml")));
        assertEquals(List.of(new TeamQuotas.Quota("research", 16, 4), new TeamQuotas.Quota("interns", 2, Integer.MAX_VALUE)), q.quotas());
    }

    @Test
    void aJobThatCouldNotStartWithinItsTeamsQuotaIsHeld() throws Exception {
        record Row(String team, int min, int gpus, String market, Use used, boolean held) {}
        for (Row r : List.of(
                new Row("research", 2, 4, "spot", Use.NONE, false), // 8 of 8
                new Row("research", 2, 4, "spot", new Use(1, 0), true), // 9 > 8
                new Row("research", 1, 0, "spot", new Use(7, 0), false), // a CPU job counts 1 per node
                new Row("research", 1, 1, "on-demand", new Use(2, 2), true), // on-demand only: 3 > 2
                new Row("research", 1, 1, "spot-with-fallback", new Use(2, 2), false), // may take Spot: held to it where placed
                new Row("interns", 3, 1, "on-demand", Use.NONE, true),
                new Row("vision", 64, 8, "on-demand", new Use(100, 100), false))) { // no quota names it
            String why = QUOTAS.hold(job(r.team(), r.min(), r.min(), r.gpus(), r.market()), r.used());
            assertEquals(r.held(), why != null, r + ": " + why);
        }
        assertEquals("held: team research holds 1 of its quota of 8 GPUs (quotas, maxGpus) and this job needs 8 to start",
                QUOTAS.hold(job("research", 2, 2, 4, "spot"), new Use(1, 0)));
        assertEquals("held: team research holds 2 on-demand GPUs of its quota of 2 (quotas, maxOnDemandGpus) and this on-demand job needs 1 "
                + "to start", QUOTAS.hold(job("research", 1, 1, 1, "on-demand"), new Use(2, 2)));
    }

    @Test
    void freeReservedNodesCountInNoOnDemandQuota() throws Exception {
        var atQuota = new Use(2, 2); // research holds its 2 on-demand GPUs
        assertNull(QUOTAS.hold(job("research", 2, 2, 1, "on-demand"), atQuota, 2), "both workers fit free reserved nodes: no extra spend");
        assertEquals("held: team research holds 2 on-demand GPUs of its quota of 2 (quotas, maxOnDemandGpus) and this on-demand job needs 1 "
                + "to start beside the 1 free reserved node(s) that fit it", QUOTAS.hold(job("research", 2, 2, 1, "on-demand"), atQuota, 1));
        assertTrue(QUOTAS.hold(job("research", 2, 2, 1, "on-demand"), atQuota, 0) != null);
        assertTrue(QUOTAS.hold(job("research", 7, 7, 1, "on-demand"), atQuota, 7) != null, "all GPUs still count in maxGpus (8)");
    }

    @Test
    void placementAndGrowthStopAtTheQuota() throws Exception {
        var r = new NodeRegistry();
        var nodes = List.of(node(r, "s1", NodeMarket.SPOT, null), node(r, "o1", NodeMarket.ON_DEMAND, null), node(r, "o2", NodeMarket.ON_DEMAND, null),
                node(r, "s2", NodeMarket.SPOT, null));
        var spec = job("research", 1, 4, 1, "spot-with-fallback");
        // 8 GPUs, 2 on-demand; it holds 5 (1 on-demand): 3 more, of which 1 on-demand
        var within = QUOTAS.within(spec, nodes, new Use(5, 1));
        assertEquals(List.of("s1", "o1", "s2"), within.stream().map(NodeRecord::nodeId).toList());
        assertEquals(3, QUOTAS.room(spec, new Use(5, 1), NodeMarket.SPOT));
        assertEquals(1, QUOTAS.room(spec, new Use(5, 1), NodeMarket.ON_DEMAND), "1 of the 2 on-demand GPUs is held");
        assertEquals(0, QUOTAS.room(spec, new Use(9, 0), NodeMarket.SPOT), "over it already (the file changed): nothing more");
        assertEquals(Integer.MAX_VALUE, QUOTAS.room(job("vision", 1, 4, 1, "spot"), new Use(100, 0), NodeMarket.ON_DEMAND));
        assertEquals(nodes, QUOTAS.within(job("vision", 1, 4, 1, "spot"), nodes, new Use(100, 100)));
        // what each team holds, from the nodes' assignments: a node under notice is leaving and does not count
        var r2 = new NodeRegistry();
        node(r2, "a", NodeMarket.SPOT, "j1");
        node(r2, "b", NodeMarket.ON_DEMAND, "j1");
        node(r2, "c", NodeMarket.ON_DEMAND, "j2");
        node(r2, "d", NodeMarket.SPOT, null);
        node(r2, "e", NodeMarket.SPOT, "j1");
        r2.interrupting("e");
        var specs = Map.of("j1", job("research", 1, 4, 2, "spot-with-fallback"), "j2", job("interns", 1, 1, 0, "on-demand"));
        var use = TeamQuotas.use(r2.all(), id -> Optional.ofNullable(specs.get(id)));
        assertEquals(Map.of("research", new Use(4, 2), "interns", new Use(1, 1)), use);
        assertNull(QUOTAS.hold(job("interns", 1, 1, 1, "spot"), use.get("interns")));
        assertTrue(QUOTAS.hold(job("interns", 2, 2, 1, "spot"), use.get("interns")) != null);
    }
}
