package io.spottrain.coordinator.scheduling;

import static io.spottrain.coordinator.scheduling.GangSchedulerTest.job;
import static io.spottrain.coordinator.scheduling.GangSchedulerTest.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.coordinator.launch.NodeLauncher.NodeShape;
import io.spottrain.coordinator.membership.NodeRegistry;
import io.spottrain.coordinator.scheduling.Explain.Explanation;
import io.spottrain.coordinator.scheduling.Explain.Input;
import io.spottrain.coordinator.scheduling.Explain.Queued;
import io.spottrain.coordinator.scheduling.GangScheduler.Constraint;
import io.spottrain.protocol.spec.JobSpec;
import io.spottrain.protocol.spec.NodeMarket;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExplainTest {
    /** node10, node2: spot g5.xlarge; node3: on-demand g5.xlarge; node4: spot p4d (8 GPUs). node2 runs "other". */
    static NodeRegistry fleet() {
        var r = GangSchedulerTest.fleet();
        r.assign("node2", "other");
        return r;
    }

    static Input input(String id, JobSpec spec, String state, List<String> members, int target, NodeRegistry r, List<NodeShape> fleet,
            Map<String, String> unavailable, List<Queued> waiting) {
        return new Input(id, spec, state, List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(state), state.equals("FAILED") ? "rank 0 exited 3" : null,
                members.isEmpty() ? "waiting for capacity" : null, members.isEmpty() ? 0 : 2, members, target, r.all(), fleet, unavailable, waiting);
    }

    /** Table: a spec constraint, a node's attributes, the constraint that keeps it off (null: fits). */
    @Test
    void misfitNamesTheFirstConstraintANodeFails() throws Exception {
        record Row(String workers, String placement, NodeMarket market, String type, int gpus, double price, Constraint expected) {}
        for (Row r : List.of(
                new Row("{min: 1}", "{market: spot}", NodeMarket.SPOT, "g5.xlarge", 1, 0.4, null),
                new Row("{min: 1}", "{market: spot}", NodeMarket.ON_DEMAND, "g5.xlarge", 1, 1.0, Constraint.MARKET),
                new Row("{min: 1}", "{market: on-demand}", NodeMarket.SPOT, "g5.xlarge", 1, 0.4, Constraint.MARKET),
                new Row("{min: 1}", "{market: spot-with-fallback}", NodeMarket.ON_DEMAND, "g5.xlarge", 1, 1.0, null),
                new Row("{min: 1, gpusPerWorker: 4}", "{market: spot}", NodeMarket.SPOT, "g5.xlarge", 1, 0.4, Constraint.GPUS),
                // the market is checked first: an on-demand 1-GPU node for a spot 4-GPU job is kept off by the market
                new Row("{min: 1, gpusPerWorker: 4}", "{market: spot}", NodeMarket.ON_DEMAND, "g5.xlarge", 1, 1.0, Constraint.MARKET),
                new Row("{min: 1}", "{instanceTypes: [p4d.24xlarge]}", NodeMarket.SPOT, "g5.xlarge", 1, 0.4, Constraint.INSTANCE_TYPE),
                new Row("{min: 1}", "{maxPricePerHour: 0.5}", NodeMarket.SPOT, "g5.xlarge", 1, 0.42, null),
                new Row("{min: 1}", "{maxPricePerHour: 0.4}", NodeMarket.SPOT, "g5.xlarge", 1, 0.42, Constraint.MAX_PRICE),
                // GPU model and memory, by the instance type's family (GpuCatalog); an unknown type has no known GPU
                new Row("{min: 1}", "{gpuModels: [A10G, L4]}", NodeMarket.SPOT, "g5.xlarge", 1, 0.4, null),
                new Row("{min: 1}", "{gpuModels: [A100, H100]}", NodeMarket.SPOT, "g5.xlarge", 1, 0.4, Constraint.GPU_MODEL),
                new Row("{min: 1}", "{gpuModels: [A100]}", NodeMarket.SPOT, "local.cpu", 1, 0.1, Constraint.GPU_MODEL),
                new Row("{min: 1}", "{minGpuMemoryGiB: 40}", NodeMarket.SPOT, "g5.xlarge", 1, 0.4, Constraint.GPU_MEMORY),
                new Row("{min: 1}", "{minGpuMemoryGiB: 40}", NodeMarket.SPOT, "p4d.24xlarge", 8, 9.8, null),
                new Row("{min: 1}", "{gpuModels: [A100], minGpuMemoryGiB: 80}", NodeMarket.SPOT, "p4d.24xlarge", 8, 9.8, Constraint.GPU_MEMORY),
                new Row("{min: 1}", "{gpuModels: [A100], minGpuMemoryGiB: 80}", NodeMarket.SPOT, "p4de.24xlarge", 8, 12.0, null))) {
            var spec = job(r.workers(), r.placement()).spec();
            assertEquals(r.expected(), GangScheduler.misfit(spec, r.market(), r.type(), r.gpus(), r.price()), r.toString());
            // fits() and misfit() are one rule
            var reg = new NodeRegistry();
            var rec = reg.register(node("n", r.market(), r.type(), r.gpus(), r.price()), "a", Instant.EPOCH);
            assertEquals(r.expected() == null, GangScheduler.fits(spec, rec), r.toString());
        }
        var memoryBound = job("{min: 1}", "{minGpuMemoryGiB: 40}").spec();
        assertEquals("spec.placement.minGpuMemoryGiB: g5.xlarge has 24 GiB per GPU, below 40 GiB",
                Constraint.GPU_MEMORY.why(memoryBound, NodeMarket.SPOT, "g5.xlarge", 1, 0.4));
        assertEquals("spec.placement.gpuModels: local.cpu has no known GPU, not one of A100",
                Constraint.GPU_MODEL.why(job("{min: 1}", "{gpuModels: [A100]}").spec(), NodeMarket.SPOT, "local.cpu", 1, 0.1));
    }

    @Test
    void aWaitingJobSaysHowManyFitWhoHoldsTheRestAndWhatKeepsOtherPoolsOff() throws Exception {
        var spec = job("{min: 3, max: 3}", "{market: spot, instanceTypes: [g5.xlarge]}");
        Explanation e = Explain.of(input("j", spec, "PENDING", List.of(), 3, fleet(), List.of(), Map.of(),
                List.of(new Queued("j", 0, "2026-12-01T00:00:02Z", false), new Queued("older", 0, "2026-12-01T00:00:01Z", false),
                        new Queued("urgent", 10, "2026-12-01T00:00:03Z", false), new Queued("newer", 0, "2026-12-01T00:00:04Z", false),
                        new Queued("resuming", -5, "2026-12-01T00:00:09Z", true))));
        assertEquals("waits: waiting for capacity", e.answer());
        assertTrue(e.why().get(0).startsWith("1 free node(s) fit it, it needs 3 (spec.workers.min); 1 more fit but are not free (jobs other)"),
                e.why().toString());
        assertEquals(List.of("resuming", "urgent", "older"), e.placedBefore(), "the queue's order: resuming, then priority, then submission");
        assertTrue(e.why().contains("1 on-demand g5.xlarge node(s) in z are kept off by spec.placement.market: spot takes no on-demand node"),
                e.why().toString());
        assertTrue(e.why().contains("1 spot p4d.24xlarge node(s) in z are kept off by spec.placement.instanceTypes: p4d.24xlarge is not one of "
                + "g5.xlarge"), e.why().toString());
        var g5 = e.pools().stream().filter(p -> p.market().equals("spot") && p.instanceType().equals("g5.xlarge")).findFirst().orElseThrow();
        assertEquals(2, g5.nodes());
        assertEquals(1, g5.free());
        assertEquals(List.of("other"), g5.heldBy());
        assertTrue(g5.fits());
        assertNull(g5.misfit());
    }

    @Test
    void aRunningJobNamesItsNodesAndWhyItDoesNotGrow() throws Exception {
        var spec = job("{min: 1, max: 3}", "{market: spot}");
        var r = fleet();
        r.assign("node10", "j");
        r.assign("node4", "third"); // every spot node is taken
        Explanation e = Explain.of(input("j", spec, "RUNNING", List.of("node10"), 3, r, List.of(), Map.of(), List.of()));
        assertEquals("running on 1 node(s), generation 2: node10 (spot g5.xlarge z $0.42/h)", e.answer());
        assertTrue(e.why().contains("it would grow to 3, but no free node fits it; 2 more fit but are not free (jobs other, third)"),
                e.why().toString());
        var g5 = e.pools().stream().filter(p -> p.market().equals("spot") && p.instanceType().equals("g5.xlarge")).findFirst().orElseThrow();
        assertEquals(1, g5.thisJob());
        // a free fitting node: it grows at its next safe point
        r.release("node4", "third");
        e = Explain.of(input("j", spec, "RUNNING", List.of("node10"), 3, r, List.of(), Map.of(), List.of()));
        assertTrue(e.why().get(1).startsWith("1 free node(s) fit it: it grows toward 3"), e.why().toString());
        var i = input("j", spec, "RUNNING", List.of("node10"), 3, r, List.of(), Map.of(), List.of());
        e = Explain.of(new Input(i.jobId(), i.spec(), i.state(), i.ended(), i.reason(), i.pendingReason(), i.generation(), i.members(), i.target(),
                i.live(), i.fleet(), i.unavailable(), i.waiting(), "growing to 2 would save 1.2 s on the 40 steps left, less than it costs (5.0 s)"));
        assertEquals("its last growth in generation 2 was skipped: growing to 2 would save 1.2 s on the 40 steps left, less than it costs (5.0 s)",
                e.why().get(2), "the growth judged not worth it, with its numbers");
        // at its target
        e = Explain.of(input("j", spec, "RUNNING", List.of("node10"), 1, r, List.of(), Map.of(), List.of()));
        assertEquals("world size 1 is its target (the desired count)", e.why().get(1));
        // running above a lowered desired count (the shrink not done yet): not "its target"
        e = Explain.of(input("j", spec, "RUNNING", List.of("node10", "node4"), 1, r, List.of(), Map.of(), List.of()));
        assertEquals("world size 2 is above its target 1 (the desired count): it gives nodes back at its next safe point", e.why().get(1));
    }

    @Test
    void theLauncherSaysWhatItCouldStartAndWhichPoolsItLeftOut() throws Exception {
        var spec = job("{min: 2, gpusPerWorker: 8}", "{market: spot}");
        var fleet = List.of(new NodeShape(NodeMarket.SPOT, "g5.xlarge", 1, 0.42, 0), new NodeShape(NodeMarket.ON_DEMAND, "p4d.24xlarge", 8, 32.8, 4));
        Explanation e = Explain.of(input("j", spec, "PENDING", List.of(), 2, new NodeRegistry(), fleet,
                Map.of("p4d.24xlarge/us-east-1a", "InsufficientInstanceCapacity until 2026-12-01T00:05:00Z"), List.of()));
        assertFalse(e.fleet().get(0).fits());
        assertEquals("spec.workers.gpusPerWorker: 8 GPUs per worker, the node has 1", e.fleet().get(0).misfit());
        assertEquals("spec.placement.market: spot takes no on-demand node", e.fleet().get(1).misfit());
        assertTrue(e.why().contains("no node the launcher can start fits it: spec.workers.gpusPerWorker: 8 GPUs per worker, the node has 1"),
                e.why().toString());
        assertTrue(e.why().contains("the launcher leaves a pool out for now: p4d.24xlarge/us-east-1a: InsufficientInstanceCapacity until "
                + "2026-12-01T00:05:00Z"), e.why().toString());
    }

    @Test
    void aRecoveringJobWaitingBelowMinWaitsThoughItStillListsItsClosedGenerationsMembers() throws Exception {
        var spec = job("{min: 2, max: 3}", "{market: spot}");
        var r = fleet();
        r.assign("node10", "j");
        var in = new Input("j", spec, "RECOVERING", false, null, "waiting for capacity to resume from step 400: needs 2 workers, 1 available",
                2, List.of("node10", "node4"), 3, r.all(), List.of(), Map.of(),
                List.of(new Queued("j", 0, "2026-12-01T00:00:02Z", true), new Queued("new", 0, "2026-12-01T00:00:01Z", false)));
        Explanation e = Explain.of(in);
        assertEquals("waits: waiting for capacity to resume from step 400: needs 2 workers, 1 available", e.answer());
        assertEquals(List.of(), e.placedBefore(), "a resuming job goes before new ones");
    }

    @Test
    void anEndedJobSaysHowItEnded() throws Exception {
        Explanation e = Explain.of(input("j", job("{min: 1}", "{}"), "FAILED", List.of(), 1, fleet(), List.of(), Map.of(), List.of()));
        assertEquals("ended FAILED: rank 0 exited 3", e.answer());
        assertTrue(e.why().isEmpty(), e.why().toString());
        // its last generation's node is free again: not counted as the job's
        var r = fleet();
        e = Explain.of(new Input("j", job("{min: 1}", "{}"), "SUCCEEDED", true, null, null, 1, List.of("node10"), 1, r.all(), List.of(), Map.of(),
                List.of()));
        assertEquals(0, e.pools().stream().mapToInt(Explain.Pool::thisJob).sum(), e.pools().toString());
    }
}
