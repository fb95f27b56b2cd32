package io.spottrain.coordinator.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.spottrain.coordinator.launch.NoOpLauncher;
import io.spottrain.coordinator.launch.NodeLauncher;
import io.spottrain.coordinator.membership.NodeEnd;
import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.coordinator.membership.NodeState;
import io.spottrain.coordinator.settings.CoordinatorSettings;
import io.spottrain.coordinator.state.InMemoryStateStore;
import io.spottrain.coordinator.state.Table;
import io.spottrain.protocol.spec.JobSpec;
import io.spottrain.protocol.spec.Market;
import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.wire.AgentProtocol;
import io.spottrain.protocol.wire.ClusterConfig;
import io.spottrain.protocol.wire.InterruptionKind;
import io.spottrain.protocol.wire.NodeInfo;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The job manager with its agent directory in a one-node cluster: probes registered with the
 * Receptionist play the agents (they answer DescribeNode like the real one). What is checked:
 * routing, supervision (one job's crash is that job's), admission, replacements, heartbeats.
 */
class JobManagerTest {
    ActorTestKit kit;
    InMemoryStateStore store = new InMemoryStateStore();
    AtomicReference<NodeLauncher> launcher = new AtomicReference<>();
    List<NodeLauncher.NodeRequest> launched = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        if (kit != null) kit.shutdownTestKit();
    }

    ActorRef<JobManager.Command> start(String heartbeatTimeout) {
        return start(heartbeatTimeout, "2m");
    }

    ActorRef<JobManager.Command> start(String heartbeatTimeout, String upkeepInterval) {
        var config = ClusterConfig.node(ClusterConfig.ROLE_CONTROL, "127.0.0.1", 0, List.of(), ConfigFactory.parseMap(Map.of(
                "pekko.loglevel", "WARNING", "pekko.coordinated-shutdown.exit-jvm", "off",
                "spottrain.coordinator.agent-heartbeat.interval", "200ms",
                "spottrain.coordinator.agent-heartbeat.timeout", heartbeatTimeout,
                "spottrain.coordinator.launcher-upkeep-interval", upkeepInterval)));
        kit = ActorTestKit.create("spottrain", config);
        Cluster.get(kit.system()).manager().tell(Join.create(Cluster.get(kit.system()).selfMember().address()));
        var settings = CoordinatorSettings.create(kit.system().settings().config());
        return kit.spawn(JobManager.create(settings, Clock.systemUTC(), launcher, launcher, store), "job-manager");
    }

    /** A probe agent: registered, described (answering DescribeNode), returned with its node id. */
    TestProbe<AgentProtocol.Command> agent(String nodeId, int gpus) {
        return agent(nodeId, gpus, "");
    }

    TestProbe<AgentProtocol.Command> agent(String nodeId, int gpus, String instanceId) {
        return agent(nodeId, gpus, instanceId, "z", null);
    }

    /** As above, in {@code zone}; {@code reports} (not null) gets the agent's report address (for notices). */
    TestProbe<AgentProtocol.Command> agent(String nodeId, int gpus, String instanceId, String zone,
            AtomicReference<ActorRef<AgentProtocol.Report>> reports) {
        return agent(nodeId, gpus, instanceId, zone, reports, 0);
    }

    /** As above, offering {@code rendezvousPort} when it registers (0: none). */
    TestProbe<AgentProtocol.Command> agent(String nodeId, int gpus, String instanceId, String zone,
            AtomicReference<ActorRef<AgentProtocol.Report>> reports, int rendezvousPort) {
        var probe = kit.createTestProbe(AgentProtocol.Command.class);
        kit.system().receptionist().tell(Receptionist.register(AgentProtocol.SERVICE_KEY, probe.getRef()));
        var describe = probe.expectMessageClass(AgentProtocol.DescribeNode.class, Duration.ofSeconds(15));
        if (reports != null) reports.set(describe.replyTo());
        var info = new NodeInfo(nodeId, NodeMarket.SPOT, "g5.xlarge", gpus, 0.42, 1.0, zone, "127.0.0.1", instanceId, 0, null,
                "2026-12-01T10:00:00Z");
        describe.replyTo().tell(new AgentProtocol.NodeDescribed(info, probe.getRef(), List.of(), rendezvousPort));
        describe.heartbeatTo().tell(new AgentProtocol.Heartbeat(nodeId, probe.getRef(), 1, List.of(), rendezvousPort));
        return probe;
    }

    Outcome ask(ActorRef<JobManager.Command> manager, Function<ActorRef<Outcome>,
            JobManager.Command> msg) {
        var reply = kit.createTestProbe(Outcome.class);
        manager.tell(msg.apply(reply.getRef()));
        return reply.receiveMessage(Duration.ofSeconds(5));
    }

    static JobSpec spec(String name, int gpus) {
        return Jobs.parse("""
                apiVersion: spottrain/v1
                kind: TrainingJob
                metadata: {name: %s}
                spec: {workers: {min: 1, max: 1, gpusPerWorker: %d}, command: [x]}
                """.formatted(name, gpus));
    }

    JobDocument stored(String id) {
        return JobDocument.read(store.get(Table.JOBS, id).orElseThrow());
    }

    void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (done.getAsBoolean()) return;
            Thread.sleep(25);
        }
        throw new AssertionError("within 10 s: " + what);
    }

    @Test
    void aCrashInOneJobFailsThatJobWithTheReasonAndTheOthersGoOn() throws Exception {
        var manager = start("30s");
        var node1 = agent("node1", 1);
        var node2 = agent("node2", 1);
        var a = assertInstanceOf(Outcome.JobAck.class, ask(manager, r -> new JobManager.SubmitJob(spec("a", 0), "test", r)));
        var b = assertInstanceOf(Outcome.JobAck.class, ask(manager, r -> new JobManager.SubmitJob(spec("b", 0), "test", r)));
        var allocA = node1.expectMessageClass(AgentProtocol.AllocatePort.class, Duration.ofSeconds(5));
        var allocB = node2.expectMessageClass(AgentProtocol.AllocatePort.class, Duration.ofSeconds(5));
        assertEquals(a.jobId(), allocA.jobId(), "jobs are placed in submission order on nodes in registration order");
        assertEquals(b.jobId(), allocB.jobId());
        // an agent reports a rank job a does not have: a bug somewhere, and job a's actor throws
        allocA.replyTo().tell(new AgentProtocol.RankStarted(a.jobId(), 1, 7, "node1", 99, "log"));
        await("job a failed", () -> stored(a.jobId()).state() == JobState.FAILED);
        assertTrue(stored(a.jobId()).reason().startsWith("internal error in the job's actor: IllegalArgumentException: job " + a.jobId()
                + " generation 1 has no rank 7"), stored(a.jobId()).reason());
        // the manager and job b go on
        var cancelled = assertInstanceOf(Outcome.JobAck.class, ask(manager, r -> new JobManager.CancelJob(b.jobId(), "done", "test", r)));
        assertEquals(JobState.CANCELLED, cancelled.state());
        await("node1 free again", () -> nodes().stream().anyMatch(n -> n.nodeId().equals("node1") && n.state() == NodeState.READY));
    }

    /**
     * A new job is stored with its first change; its actor crashes while that write is in flight: the job is failed once the
     * write lands (before, it was failed only if the store had it at the crash, and it was left stored with no actor).
     */
    @Test
    void aJobWhoseActorCrashesWhileItsFirstWriteIsInFlightIsFailedOnceItIsStored() throws Exception {
        var manager = start("30s");
        var reports = new AtomicReference<ActorRef<AgentProtocol.Report>>();
        agent("node1", 1, "", "z", reports);
        await("node1 is recorded", () -> nodes().stream().anyMatch(n -> n.nodeId().equals("node1")));
        var gate = new CountDownLatch(1);
        store.holdWrites(gate);
        try {
            var reply = kit.createTestProbe(Outcome.class);
            manager.tell(new JobManager.SubmitJob(spec("c", 0), "test", reply.getRef()));
            // its first write holds its placement (generation 1 on node1): a report of generation 1 reaches a job that has one
            await("the job's first write, with its placement, is in flight", () -> store.held().stream().anyMatch(p -> p.table() == Table.JOBS
                    && JobDocument.read(p.json()).generation() == 1));
            String id = store.held().stream().filter(p -> p.table() == Table.SPECS).findFirst().orElseThrow().key();
            reports.get().tell(new AgentProtocol.RankStarted(id, 1, 7, "node1", 99, "log")); // a rank it does not have: it throws
            var refused = assertInstanceOf(Outcome.Refused.class, reply.receiveMessage(Duration.ofSeconds(5)));
            assertTrue(refused.message().contains("if `spottrain status " + id + "` does not find it"), refused.message());
            store.holdWrites(null);
            gate.countDown();
            await("job " + id + " stored and failed", () -> store.get(Table.JOBS, id).map(JobDocument::read)
                    .filter(d -> d.state() == JobState.FAILED).isPresent());
            assertTrue(stored(id).reason().startsWith("internal error in the job's actor: IllegalArgumentException"), stored(id).reason());
            await("node1 free again", () -> nodes().stream().anyMatch(n -> n.nodeId().equals("node1") && n.state() == NodeState.READY));
        } finally {
            store.holdWrites(null);
            gate.countDown();
        }
    }

    /**
     * A node that offers a rendezvous port when it registers is placed as rank 0 on that port at once (no AllocatePort round
     * trip); the port is taken once, and a node that offers none is asked for one.
     */
    @Test
    void rank0sOfferedPortIsTakenOnceAndANodeOfferingNoneIsAsked() throws Exception {
        var manager = start("30s");
        var node1 = agent("node1", 1, "", "z", null, 23456);
        var node2 = agent("node2", 1, "", "z", null, 0);
        var a = assertInstanceOf(Outcome.JobAck.class, ask(manager, r -> new JobManager.SubmitJob(spec("a", 0), "test", r)));
        var start = node1.expectMessageClass(AgentProtocol.StartGeneration.class, Duration.ofSeconds(5));
        assertEquals(a.jobId(), start.jobId());
        assertEquals(23456, start.masterPort(), "the port node1 offered, without asking it");
        var b = assertInstanceOf(Outcome.JobAck.class, ask(manager, r -> new JobManager.SubmitJob(spec("b", 0), "test", r)));
        assertEquals(b.jobId(), node2.expectMessageClass(AgentProtocol.AllocatePort.class, Duration.ofSeconds(5)).jobId(),
                "node2 offered none: asked for one");
    }

    @Test
    void aJobNoNodeOfTheFleetCanHoldIsRefusedAtOnceNamingTheField() throws Exception {
        launcher.set(new Launcher());
        var manager = start("30s");
        var refused = assertInstanceOf(Outcome.Refused.class, ask(manager, r -> new JobManager.SubmitJob(spec("big", 8), "test", r)));
        assertEquals(Outcome.Refusal.UNFIT, refused.refusal());
        assertEquals("job big can never run here: spec.workers.gpusPerWorker: 8 GPUs per worker, but the largest node of this cluster's "
                + "fleet has 1", refused.message());
        assertTrue(store.values(Table.JOBS).isEmpty(), "nothing was stored");
        var ack = ask(manager, r -> new JobManager.SubmitJob(spec("fits", 1), "test", r));
        assertInstanceOf(Outcome.JobAck.class, ack, "a job that could fit but has no node now is accepted (and waits)");
        await("pending with a reason", () -> stored(((Outcome.JobAck) ack).jobId()).pendingReason().startsWith("waiting for capacity: needs 1"));
    }

    /** A submit goes through the job manager's writer: one the store refuses is answered with the reason and starts nothing. */
    @Test
    void aSubmitTheStoreRefusesIsAnsweredWithTheReasonAndNothingOfItRuns() throws Exception {
        var manager = start("30s");
        var node1 = agent("node1", 1);
        store.failWrites(new IllegalStateException("disk full"));
        var refused = assertInstanceOf(Outcome.Refused.class, ask(manager, r -> new JobManager.SubmitJob(spec("lost", 0), "test", r)));
        assertEquals(Outcome.Refusal.UNAVAILABLE, refused.refusal());
        assertEquals("the state store did not take the job: IllegalStateException: disk full", refused.message());
        node1.expectNoMessage(Duration.ofMillis(300)); // nothing placed
        store.failWrites(null);
        var ack = assertInstanceOf(Outcome.JobAck.class, ask(manager, r -> new JobManager.SubmitJob(spec("kept", 0), "test", r)));
        assertEquals(ack.jobId(), node1.expectMessageClass(AgentProtocol.AllocatePort.class, Duration.ofSeconds(5)).jobId());
        assertEquals(List.of(ack.jobId()), store.values(Table.JOBS).stream().map(j -> JobDocument.read(j).id()).toList(),
                "only the stored job exists");
    }

    /** A job that waited for nodes when its first write failed leaves the queue: a node that joins later is not placed for it. */
    @Test
    void aWaitingSubmitTheStoreRefusesLeavesNothingWaiting() throws Exception {
        var manager = start("30s");
        store.failWrites(new IllegalStateException("disk full"));
        var refused = assertInstanceOf(Outcome.Refused.class, ask(manager, r -> new JobManager.SubmitJob(spec("gone", 0), "test", r)));
        assertEquals("the state store did not take the job: IllegalStateException: disk full", refused.message());
        store.failWrites(null);
        var node1 = agent("node1", 1);
        node1.expectNoMessage(Duration.ofMillis(500)); // the refused job does not wait for it
        var ack = assertInstanceOf(Outcome.JobAck.class, ask(manager, r -> new JobManager.SubmitJob(spec("next", 0), "test", r)));
        assertEquals(ack.jobId(), node1.expectMessageClass(AgentProtocol.AllocatePort.class, Duration.ofSeconds(5)).jobId());
        assertEquals(List.of(ack.jobId()), store.values(Table.JOBS).stream().map(j -> JobDocument.read(j).id()).toList());
    }

    @Test
    void aNodeLostWhileTheFirstGenerationFormsIsReplacedAndTheGenerationFormsAgain() throws Exception {
        launcher.set(new Launcher());
        var manager = start("30s");
        var node1 = agent("node1", 1);
        var ack = (Outcome.JobAck) ask(manager, r -> new JobManager.SubmitJob(spec("r", 0), "test", r));
        node1.expectMessageClass(AgentProtocol.AllocatePort.class, Duration.ofSeconds(5));
        node1.stop(); // its machine goes before the rank started
        await("node1 is in the history as lost", () -> store.values(Table.NODES).stream().map(j -> JobDocument.readValue(j, NodeRecord.class))
                .anyMatch(n -> n.nodeId().equals("node1") && n.terminatedAt() != null && n.terminationReason().equals("left the cluster")));
        // nothing was trained: the job forms again, from step 0, once a node is there; the launcher is asked for one like node1
        await("waiting for a node", () -> stored(ack.jobId()).state() == JobState.RECOVERING
                && stored(ack.jobId()).pendingReason() != null && stored(ack.jobId()).pendingReason().startsWith("waiting for capacity to resume from step 0"));
        await("a replacement was launched", () -> launched.size() == 1);
        assertEquals(null, launched.get(0).nodeId(), "the launcher names it");
        assertEquals("g5.xlarge", launched.get(0).instanceType());
        await("its launch is in the job's events", () -> events(ack.jobId()).contains(JobEventType.REPLACEMENT_LAUNCHED));
        // the replacement joins (the launcher named it node11) and the generation forms on it
        var node11 = agent("node11", 1);
        var alloc = node11.expectMessageClass(AgentProtocol.AllocatePort.class, Duration.ofSeconds(10));
        assertEquals(2, alloc.generation());
    }

    @Test
    void aSpotReplacementNobodyCanLaunchIsLaunchedOnDemandWhereTheJobsMarketAllows() throws Exception {
        launcher.set(new Launcher() {
            @Override
            public LaunchedNode launch(NodeRequest request) throws LaunchException {
                if (request.market() == NodeMarket.SPOT) {
                    launched.add(request);
                    throw new LaunchException("no spot capacity for 1 node(s) in any pool", null);
                }
                return super.launch(request);
            }
        });
        var manager = start("30s");
        var node1 = agent("node1", 1);
        var spec = Jobs.parse("""
                apiVersion: spottrain/v1
                kind: TrainingJob
                metadata: {name: fb, labels: {team: vision}}
                spec:
                  workers: {min: 1, max: 1, gpusPerWorker: 0}
                  command: [x]
                  placement: {market: spot-with-fallback}
                """);
        var ack = (Outcome.JobAck) ask(manager, r -> new JobManager.SubmitJob(spec, "test", r));
        node1.expectMessageClass(AgentProtocol.AllocatePort.class, Duration.ofSeconds(5));
        node1.stop();
        await("a spot attempt, then an on-demand launch", () -> launched.size() >= 2);
        assertEquals(NodeMarket.SPOT, launched.get(0).market());
        var onDemand = launched.get(1);
        assertEquals(NodeMarket.ON_DEMAND, onDemand.market());
        assertEquals("g5.xlarge", onDemand.instanceType());
        assertEquals(1.0, onDemand.pricePerHour(), "billed at the on-demand price");
        assertEquals(Map.of("team", "vision"), onDemand.labels());
        assertEquals(ack.jobId(), onDemand.job());
        assertEquals(2, launched.size(), "launched once: the fallback is not retried as a failure");
    }

    @Test
    void aSpotOnlyJobGetsNoOnDemandStandIn() {
        var spot = new NodeLauncher.NodeRequest(null, NodeMarket.SPOT, "g5.xlarge", 1, 0.42, 1.0, "z");
        assertTrue(Replacements.fallback(spot, Market.SPOT).isEmpty());
        assertTrue(Replacements.fallback(spot.withNodeId(null), Market.ON_DEMAND).isEmpty());
        var onDemandNode = new NodeLauncher.NodeRequest(null, NodeMarket.ON_DEMAND, "g5.xlarge", 1, 1.0, 1.0, "z");
        assertTrue(Replacements.fallback(onDemandNode, Market.SPOT_WITH_FALLBACK).isEmpty(),
                "an on-demand node is replaced on-demand already");
        assertEquals(NodeMarket.ON_DEMAND, Replacements.fallback(spot, Market.SPOT_WITH_FALLBACK).orElseThrow()
                .market());
        // a pinned job's on-demand stand-in keeps to its types (EC2 would otherwise ask every fitting pool)
        assertEquals(List.of("g5.xlarge", "g5.2xlarge"), Replacements.fallback(spot.withTypes(List.of("g5.xlarge", "g5.2xlarge")),
                Market.SPOT_WITH_FALLBACK).orElseThrow().instanceTypes());
    }

    @Test
    void aReservedNodeIsReplacedOnTheJobsCheapestOpenMarketNeverReserved() {
        assertEquals(NodeMarket.SPOT, Replacements.launchMarket(NodeMarket.RESERVED, Market.SPOT));
        assertEquals(NodeMarket.SPOT, Replacements.launchMarket(NodeMarket.RESERVED, Market.SPOT_WITH_FALLBACK),
                "Spot first, its on-demand fallback after");
        assertEquals(NodeMarket.ON_DEMAND, Replacements.launchMarket(NodeMarket.RESERVED, Market.ON_DEMAND));
        for (Market m : Market.values()) {
            assertEquals(NodeMarket.SPOT, Replacements.launchMarket(NodeMarket.SPOT, m), "other markets are their own");
            assertEquals(NodeMarket.ON_DEMAND, Replacements.launchMarket(NodeMarket.ON_DEMAND, m));
        }
    }

    @Test
    void theLauncherUpkeepKnowsEveryRegisteredNodeByNameAndInstanceIdUntilItIsLongGone() throws Exception {
        List<Set<String>> rounds = new CopyOnWriteArrayList<>();
        launcher.set(new Launcher() {
            @Override
            public List<String> upkeep(Set<String> known) {
                rounds.add(known);
                return List.of("round " + rounds.size());
            }
        });
        start("1s", "200ms");
        var node1 = agent("node1", 1, "i-0abc");
        await("a round that knows node1 by both names", () -> rounds.stream().anyMatch(k -> k.containsAll(Set.of("node1", "i-0abc"))));
        node1.stop(); // silent: lost after the 1 s heartbeat timeout, then remembered for 3 intervals
        await("a round that no longer knows node1", () -> rounds.get(rounds.size() - 1).isEmpty()
                && rounds.stream().anyMatch(k -> k.contains("i-0abc")));
    }

    List<JobEventType> events(String id) {
        var d = stored(id);
        var out = new ArrayList<JobEventType>();
        for (long s = 0; s < d.eventCount(); s++) {
            store.get(Table.EVENTS, Table.seqKey(id, s)).ifPresent(j -> out.add(JobDocument.readValue(j, JobEvent.class).type()));
        }
        return out;
    }

    @Test
    void anAgentThatStopsSendingHeartbeatsIsLostEvenWhileItsMachineAnswers() throws Exception {
        start("1s");
        agent("node1", 1);
        await("node1 registered", () -> nodes().stream().anyMatch(n -> n.nodeId().equals("node1")));
        await("node1 lost for silence", () -> store.values(Table.NODES).stream().map(j -> JobDocument.readValue(j, NodeRecord.class))
                .anyMatch(n -> n.nodeId().equals("node1") && n.terminatedAt() != null
                        && n.terminationReason().startsWith("sent no heartbeat for")));
    }

    /**
     * Spot lives that end without a word are interruptions, one stopped after SIGTERM is a release; a job bounding the
     * interruption risk is then placed in the quieter zone, and one that cannot be waits saying which field holds it.
     */
    @Test
    void spotNodesTakenByTheMarketMakeTheirPoolRiskyAndAJobBoundingTheRiskAvoidsIt() throws Exception {
        var manager = start("30s");
        for (String id : List.of("a1", "a2", "a3")) {
            var probe = agent(id, 1, "", "a", null);
            await(id + " registered", () -> nodes().stream().anyMatch(n -> n.nodeId().equals(id)));
            probe.stop(); // the market took it, no notice
        }
        var reports = new AtomicReference<ActorRef<AgentProtocol.Report>>();
        var released = agent("r1", 1, "", "a", reports);
        await("r1 registered", () -> nodes().stream().anyMatch(n -> n.nodeId().equals("r1")));
        reports.get().tell(new AgentProtocol.NodeInterruptionNotice("r1", InterruptionKind.SIGTERM, "terminate", null, null));
        await("r1 interrupting", () -> nodes().stream().anyMatch(n -> n.nodeId().equals("r1") && n.state() == NodeState.INTERRUPTING));
        released.stop();
        await("every life ended, each with how", () -> ended().size() == 4);
        for (NodeRecord n : ended()) {
            assertEquals(n.nodeId().equals("r1") ? NodeEnd.RELEASED : NodeEnd.INTERRUPTED, n.end(), n.toString());
        }
        // 3 interruptions in minutes: zone a's estimate is ~(3+1)/(0+20) = 0.2 per node-hour; zone b has the prior, 0.05
        agent("b1", 1, "", "b", null);
        agent("a4", 1, "", "a", null);
        await("b1 and a4 registered", () -> nodes().size() == 2);
        var ack = (Outcome.JobAck) ask(manager, r -> new JobManager.SubmitJob(quiet("quiet", 2), "test", r));
        await("it waits: only b1 is quiet enough", () -> stored(ack.jobId()).pendingReason() != null
                && stored(ack.jobId()).pendingReason().contains("interrupted <= 0.1/node-hour") && stored(ack.jobId()).pendingReason().contains("1 available"));
        var ack1 = (Outcome.JobAck) ask(manager, r -> new JobManager.SubmitJob(quiet("quiet1", 1), "test", r));
        await("the one-worker job runs on b1", () -> stored(ack1.jobId()).members().stream().anyMatch(m -> m.nodeId().equals("b1")));
        assertTrue(stored(ack1.jobId()).members().stream().noneMatch(m -> m.nodeId().equals("a4")));
        // a bound no known pool meets (zone a ~0.2, zone b and any pool never seen 0.05) is accepted, and said at submit
        assertFalse(events(ack.jobId()).contains(JobEventType.WARNING), "zone b is within 0.1: nothing to warn of");
        var strict = (Outcome.JobAck) ask(manager, r -> new JobManager.SubmitJob(bounded("strict", 1, 0.01), "test", r));
        assertTrue(events(strict.jobId()).contains(JobEventType.WARNING), "no pool is within 0.01: said when it is submitted");
    }

    /** A job of {@code workers} 1-GPU workers on Spot pools interrupted at most 0.1 times per node-hour. */
    static JobSpec quiet(String name, int workers) {
        return bounded(name, workers, 0.1);
    }

    static JobSpec bounded(String name, int workers, double maxInterruptRisk) {
        return Jobs.parse("""
                apiVersion: spottrain/v1
                kind: TrainingJob
                metadata: {name: %s}
                spec: {workers: {min: %d, max: %d, gpusPerWorker: 1}, command: [x], placement: {maxInterruptRisk: %s}}
                """.formatted(name, workers, workers, maxInterruptRisk));
    }

    List<NodeRecord> ended() {
        return store.values(Table.NODES).stream().map(j -> JobDocument.readValue(j, NodeRecord.class)).filter(n -> n.terminatedAt() != null)
                .toList();
    }

    List<NodeRecord> nodes() {
        return store.values(Table.NODES).stream().map(j -> JobDocument.readValue(j, NodeRecord.class)).filter(n -> n.terminatedAt() == null)
                .toList();
    }

    /** A launcher of 1-GPU Spot nodes that records what it is asked and names nodes itself. */
    class Launcher extends NoOpLauncher {
        @Override
        public LaunchedNode launch(NodeRequest request) throws LaunchException {
            launched.add(request);
            return new LaunchedNode(request.nodeId() == null ? "node" + (10 + launched.size()) : request.nodeId(), request.market(), 0, null);
        }

        @Override
        public List<NodeShape> shapes() {
            return List.of(new NodeShape(NodeMarket.SPOT, "g5.xlarge", 1, 0.42, 0));
        }
    }
}
