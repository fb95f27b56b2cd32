package io.spottrain.coordinator.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.spottrain.coordinator.settings.CoordinatorSettings;
import io.spottrain.coordinator.state.InMemoryStateStore;
import io.spottrain.coordinator.state.StateStore;
import io.spottrain.coordinator.state.StoreWriter;
import io.spottrain.coordinator.state.Table;
import io.spottrain.protocol.checkpoint.CheckpointTier;
import io.spottrain.protocol.json.Json;
import io.spottrain.protocol.spec.JobSpec;
import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.wire.AgentProtocol;
import io.spottrain.protocol.wire.InterruptionKind;
import io.spottrain.protocol.wire.NodeInfo;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A job's actor on its own: test probes play the job manager and the agents; the store is real
 * (in memory, through the real writer). Each test walks a generation or a recovery message by
 * message and checks what the agents are told, what the manager is asked, and what is stored.
 */
class JobMasterTest {
    /** The last release a job master sent: its next request rides on it ({@link JobManager.ReleaseNodes#then}). */
    JobManager.ReleaseNodes released;

    static final ActorTestKit kit = ActorTestKit.create(ConfigFactory.parseString("pekko.loglevel = WARNING"));
    static final Config BASE = ConfigFactory.parseMap(Map.of(
            "spottrain.coordinator.stall-suspect-grace", "200ms",
            "spottrain.coordinator.reattach-grace", "2s",
            "spottrain.coordinator.progress-flush-interval", "100ms",
            "spottrain.coordinator.ended-linger", "1s",
            "spottrain.coordinator.capacity-retry", "200ms",
            "spottrain.coordinator.scale-up-cooldown", "0s",
            "spottrain.coordinator.auto-checkpoint.floor", "300ms"));
    static final CoordinatorSettings SETTINGS = CoordinatorSettings.create(BASE.withFallback(ConfigFactory.load()));
    /** Flushes 10 s apart: no flush takes a held change early. */
    static final CoordinatorSettings FLUSH_10S = CoordinatorSettings.create(ConfigFactory.parseMap(Map.of(
            "spottrain.coordinator.progress-flush-interval", "10s")).withFallback(BASE).withFallback(ConfigFactory.load()));

    /** The settings the next {@link #spawn} uses (a test may swap them before it spawns). */
    CoordinatorSettings settings = SETTINGS;
    InMemoryStateStore store;
    ActorRef<StoreWriter.Command> writer;
    TestProbe<JobManager.Command> manager;
    /** What masters tell the manager about being requeueable (kept apart: most tests expect the manager's other messages in order). */
    TestProbe<JobManager.Command> requeueable;
    ActorRef<JobManager.Command> managerRef;
    /** The cost ledger's recovery phases. */
    TestProbe<JobManager.Command> phases;
    TestProbe<AgentProtocol.Report> reports;
    List<TestProbe<AgentProtocol.Command>> agents;

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    @BeforeEach
    void setUp() {
        store = new InMemoryStateStore();
        writer = kit.spawn(StoreWriter.create(store));
        manager = kit.createTestProbe(JobManager.Command.class);
        requeueable = kit.createTestProbe(JobManager.Command.class);
        var toManager = manager.getRef();
        var toRequeueable = requeueable.getRef();
        managerRef = kit.spawn(Behaviors.receiveMessage(c -> {
            (c instanceof ManagerPreemption.Requeueable ? toRequeueable : toManager).tell(c);
            return Behaviors.same();
        }));
        phases = kit.createTestProbe(JobManager.Command.class);
        reports = kit.createTestProbe(AgentProtocol.Report.class);
        agents = new ArrayList<>();
        for (int i = 0; i < 4; i++) agents.add(kit.createTestProbe(AgentProtocol.Command.class));
    }

    ActorRef<JobMaster.Command> spawn(Job job, boolean restored) {
        return kit.spawn(JobMaster.create(job, restored, new JobHandlers.Deps(managerRef, writer, reports.getRef(), settings,
                Clock.systemUTC(), "control-test", phases.getRef())));
    }

    JobMaster.Assignment node(int i) {
        var info = new NodeInfo("node" + (i + 1), NodeMarket.SPOT, "g5.xlarge", 1, 0.42, 1.0, "z", "127.0.0.1", "", 0,
                "http://peer" + (i + 1), null);
        return new JobMaster.Assignment(info, agents.get(i).getRef());
    }

    JobDocument stored(String id) {
        return JobDocument.read(store.get(Table.JOBS, id).orElseThrow());
    }

    List<JobEventType> storedEvents(String id) {
        var d = stored(id);
        var out = new ArrayList<JobEventType>();
        for (long s = 0; s < d.eventCount(); s++) {
            store.get(Table.EVENTS, Table.seqKey(id, s)).ifPresent(j -> out.add(JobDocument.readValue(j, JobEvent.class).type()));
        }
        return out;
    }

    <T extends AgentProtocol.Command> T expect(int agent, Class<T> type) {
        return agents.get(agent).expectMessageClass(type, Duration.ofSeconds(3));
    }

    /** Places the job on nodes 0..world-1 and brings it to RUNNING with every rank attached. */
    ActorRef<JobMaster.Command> running(Job submitted, int world) {
        var master = spawn(submitted, false);
        manager.expectMessageClass(JobManager.WantsNodes.class);
        var nodes = new ArrayList<JobMaster.Assignment>();
        for (int i = 0; i < world; i++) nodes.add(node(i));
        master.tell(new JobMaster.Placed(nodes));
        var alloc = expect(0, AgentProtocol.AllocatePort.class);
        master.tell(new JobMaster.Reported(new AgentProtocol.PortAllocated(submitted.id(), alloc.generation(), "node1", "127.0.0.1", 29500)));
        for (int i = 0; i < world; i++) {
            var start = expect(i, AgentProtocol.StartGeneration.class);
            assertEquals(i, start.rank());
            assertEquals(world, start.worldSize());
            assertEquals(world - 1, start.peerUrls().size(), "the other members' peer servers");
            master.tell(new JobMaster.Reported(new AgentProtocol.RankStarted(submitted.id(), start.generation(), i, "node" + (i + 1), 100 + i, "log")));
            master.tell(new JobMaster.Reported(new AgentProtocol.RankAttached(submitted.id(), start.generation(), i, "node" + (i + 1), 0)));
        }
        awaitStored(submitted.id(), d -> d.state() == JobState.RUNNING && d.elastic().attached().size() == world);
        if (world < submitted.spec().spec().workers().max()) {
            // every rank attached below max: free nodes are offered again (an offer before the last attach was ignored)
            manager.expectMessageClass(JobManager.OfferCapacity.class);
        }
        return master;
    }

    /** Running on nodes 0..world-1, every rank attached saying it can re-form in place (contract v2). */
    ActorRef<JobMaster.Command> reformable(Job submitted, int world) {
        var master = running(submitted, world);
        for (int r = 0; r < world; r++) {
            master.tell(new JobMaster.Reported(new AgentProtocol.RankAttached(submitted.id(), 1, r, "node" + (r + 1), 0, true)));
        }
        awaitStored(submitted.id(), d -> d.elastic().attached().size() == world);
        return master;
    }

    void awaitStored(String id, Predicate<JobDocument> done) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        JobDocument last = null;
        while (System.nanoTime() < deadline) {
            var json = store.get(Table.JOBS, id);
            if (json.isPresent()) {
                last = JobDocument.read(json.get());
                if (done.test(last)) return;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("the stored job did not get there in 5 s; last stored: " + last);
    }

    Job submit(String id, int min, int max, int maxRestarts) {
        Job job = Job.submitted(id, Jobs.spec(min, max, maxRestarts), Jobs.T0);
        store.write(List.of(new StateStore.Put(Table.JOBS, id, JobDocument.of(job).toJson())));
        return job.withoutNewEvents();
    }

    static CoordinatorSettings suspectTimes(String grace, String probe) {
        return CoordinatorSettings.create(ConfigFactory.parseMap(Map.of("spottrain.coordinator.stall-suspect-grace", grace,
                "spottrain.coordinator.stall-suspect-probe", probe)).withFallback(BASE).withFallback(ConfigFactory.load()));
    }

    /** A running 3-rank job whose ranks 1 and 2 stalled at step 120 while rank 0 (node1) stays silent: the probe its agent got. */
    AgentProtocol.Probe stalledButRank0(String id) {
        var master = running(submit(id, 2, 3, 3), 3);
        for (int r = 1; r <= 2; r++) {
            master.tell(new JobMaster.Reported(new AgentProtocol.RankStalled(id, 1, r, "node" + (r + 1), 120, "peer closed")));
        }
        return expect(0, AgentProtocol.Probe.class);
    }

    @Test
    void aSilentNodeWhoseAgentDoesNotAnswerAProbeIsTreatedAsLostLongBeforeTheGrace() {
        settings = suspectTimes("30s", "300ms");
        long t0 = System.nanoTime();
        var probe = stalledButRank0("probe-1");
        assertEquals(1, probe.generation());
        agents.get(1).expectNoMessage(Duration.ofMillis(50)); // only the silent rank's agent is asked
        // node1's agent never answers (its machine is gone): lost after the probe's 300 ms, not the grace's 30 s
        assertEquals(List.of("node1"), manager.expectMessageClass(JobManager.SuspectNodes.class, Duration.ofSeconds(5)).nodeIds());
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(seconds >= 0.3 && seconds < 5, "suspected after " + seconds + " s");
        assertEquals(120, expect(1, AgentProtocol.RequestCheckpoint.class).step());
        awaitStored("probe-1", d -> d.state() == JobState.RECOVERING);
        agents.get(0).expectNoMessage(Duration.ofMillis(100)); // probed once per generation
    }

    @Test
    void aSilentNodeWhoseAgentAnswersTheProbeKeepsTheWholeGrace() {
        settings = suspectTimes("1500ms", "100ms");
        long t0 = System.nanoTime();
        var probe = stalledButRank0("probe-2");
        probe.replyTo().tell(new AgentProtocol.ProbeAnswered("probe-2", 1, "node1")); // the job's own actor, not the manager
        manager.expectNoMessage(Duration.ofMillis(800)); // alive: the probe's time-out does not judge it
        assertEquals(List.of("node1"), manager.expectMessageClass(JobManager.SuspectNodes.class, Duration.ofSeconds(5)).nodeIds());
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(seconds >= 1.5, "suspected after " + seconds + " s, before the grace");
        assertTrue(storedEvents("probe-2").contains(JobEventType.NODE_SUSPECTED), storedEvents("probe-2")::toString);
    }

    @Test
    void aSilentSurvivorWhoseAgentAnsweredIsStillJudgedByTheGraceOnceAProbeBeganTheRecovery() {
        settings = suspectTimes("700ms", "100ms");
        var master = running(submit("probe-3", 1, 3, 3), 3);
        master.tell(new JobMaster.Reported(new AgentProtocol.RankStalled("probe-3", 1, 1, "node2", 120, "peer closed")));
        expect(0, AgentProtocol.Probe.class); // node1's agent is gone: no answer
        expect(2, AgentProtocol.Probe.class).replyTo().tell(new AgentProtocol.ProbeAnswered("probe-3", 1, "node3")); // alive, rank hung
        assertEquals(List.of("node1"), manager.expectMessageClass(JobManager.SuspectNodes.class, Duration.ofSeconds(3)).nodeIds());
        awaitStored("probe-3", d -> d.state() == JobState.RECOVERING);
        // node3's rank never stalls nor exits: the grace still judges it, and the recovery goes on with rank 1 alone
        assertEquals(List.of("node3"), manager.fishForMessage(Duration.ofSeconds(3), m -> m instanceof JobManager.SuspectNodes
                ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore()).get(0) instanceof JobManager.SuspectNodes s
                        ? s.nodeIds() : List.of());
        assertEquals(120, expect(1, AgentProtocol.RequestCheckpoint.class).step());
        awaitStored("probe-3", d -> d.elastic().recovery() != null && d.elastic().recovery().survivors().equals(List.of(1)));
    }

    @Test
    void aLostNodeIsSuspectedFromTheOthersStallsAndTheSurvivorsResumeFromTheirCommonStep() {
        Job job = submit("kill-1", 2, 3, 3);
        var master = running(job, 3);
        master.tell(new JobMaster.Reported(new AgentProtocol.RankProgress("kill-1", 1, 0, "node1", 119, 0.6, 100)));
        // node1's machine is gone: the others' all-reduce breaks, they stall; node1 stays silent
        master.tell(new JobMaster.Reported(new AgentProtocol.RankStalled("kill-1", 1, 1, "node2", 120, "peer closed")));
        master.tell(new JobMaster.Reported(new AgentProtocol.RankStalled("kill-1", 1, 2, "node3", 118, "peer closed")));
        // after the grace: suspected, replaced, and the survivors checkpoint the smallest step
        var suspect = manager.expectMessageClass(JobManager.SuspectNodes.class, Duration.ofSeconds(3));
        assertEquals(List.of("node1"), suspect.nodeIds());
        assertEquals("node1", manager.expectMessageClass(JobManager.RequestReplacement.class).departed());
        agents.get(0).expectNoMessage(Duration.ofMillis(50)); // no probe: its time-out (300 ms) is not shorter than this grace (200 ms)
        assertEquals(118, expect(1, AgentProtocol.RequestCheckpoint.class).step());
        assertEquals(118, expect(2, AgentProtocol.RequestCheckpoint.class).step());
        for (int r = 1; r <= 2; r++) {
            master.tell(new JobMaster.Reported(new AgentProtocol.CheckpointReported("kill-1", 1, r, "node" + (r + 1), 118, "/d", 1, 10, 0.5,
                    2, "requested", "digest-" + r)));
        }
        assertTrue(expect(1, AgentProtocol.StopGeneration.class).park(), "survivors are parked for an in-place re-form");
        assertTrue(expect(2, AgentProtocol.StopGeneration.class).park());
        for (int r = 1; r <= 2; r++) {
            master.tell(new JobMaster.Reported(new AgentProtocol.RankExited("kill-1", 1, r, "node" + (r + 1), 75, "parked", true)));
        }
        assertEquals(List.of("node1", "node2", "node3"), (released = manager.expectMessageClass(JobManager.ReleaseNodes.class)).nodeIds());
        var wants = released.then();
        assertEquals(118, wants.resumeStep());
        assertEquals(List.of("node1", "node2", "node3"), wants.preferred(), "survivors first (the lost node is not free)");
        master.tell(new JobMaster.Placed(List.of(node(1), node(2))));
        var alloc = expect(1, AgentProtocol.AllocatePort.class);
        assertEquals(2, alloc.generation());
        master.tell(new JobMaster.Reported(new AgentProtocol.PortAllocated("kill-1", 2, "node2", "127.0.0.1", 29600)));
        assertEquals(118, expect(1, AgentProtocol.StartGeneration.class).resumeStep());
        assertEquals(118, expect(2, AgentProtocol.StartGeneration.class).resumeStep());

        var doc = stored("kill-1");
        assertEquals(JobState.STARTING, doc.state());
        assertEquals(1, doc.elastic().preemptions().size());
        var p = doc.elastic().preemptions().get(0);
        assertEquals(RecoveryKind.KILL, p.kind());
        assertEquals("node1", p.node());
        assertEquals(118, p.atStep());
        assertTrue(storedEvents("kill-1").containsAll(List.of(JobEventType.NODE_SUSPECTED, JobEventType.RECOVERY_STEP,
                JobEventType.RECOVERY_CHECKPOINTED, JobEventType.REPLACEMENT_REQUESTED)), storedEvents("kill-1")::toString);
        assertEquals(0, doc.elastic().restarts(), "a preemption spends no restart");

        // both survivors re-form in place (same pids), training goes on past the resume step
        for (int r = 0; r < 2; r++) {
            master.tell(new JobMaster.Reported(new AgentProtocol.RankStarted("kill-1", 2, r, "node" + (r + 2), 101 + r, "log", true)));
        }
        awaitStored("kill-1", d -> d.state() == JobState.RUNNING);
        var resumed = stored("kill-1").elastic().preemptions().get(0);
        assertEquals(Boolean.TRUE, resumed.inPlace());
        assertEquals(2, resumed.inPlaceRanks());
        assertEquals(null, resumed.backToTrainingSeconds(), "not before a step past the resume step");
        master.tell(new JobMaster.Reported(new AgentProtocol.RankProgress("kill-1", 2, 0, "node2", 119, 0.5, 100)));
        awaitStored("kill-1", d -> d.elastic().preemptions().get(0).backToTrainingSeconds() != null);
        var trained = stored("kill-1").elastic().preemptions().get(0);
        assertTrue(trained.backToTrainingSeconds() >= trained.resumeSeconds(), trained::toString);
        // from step 119's report (generation 1) to step 119 again after the roll-back to 118: no new step, all of it paused
        assertTrue(trained.pausedSeconds() != null && trained.pausedSeconds() >= 0.2, trained::toString);
    }

    @Test
    void aNoticeCheckpointsEveryRankAndTheNextGenerationResumesWithoutTheNoticedNode() {
        Job job = submit("notice-1", 1, 3, 3);
        var master = running(job, 2);
        master.tell(new JobMaster.NodeNotice(new AgentProtocol.NodeInterruptionNotice("node2",
                InterruptionKind.SPOT_INTERRUPTION, "terminate", "2026-12-01T10:02:00Z", "2026-12-01T10:00:00Z")));
        assertEquals(-1, expect(0, AgentProtocol.RequestCheckpoint.class).step(), "the next common step");
        assertEquals(-1, expect(1, AgentProtocol.RequestCheckpoint.class).step());
        manager.expectMessageClass(JobManager.RequestReplacement.class);
        for (int r = 0; r < 2; r++) {
            master.tell(new JobMaster.Reported(new AgentProtocol.CheckpointReported("notice-1", 1, r, "node" + (r + 1), 333, "/d", 1, 10, 0.5,
                    2, "requested", "digest-" + r)));
        }
        assertTrue(expect(0, AgentProtocol.StopGeneration.class).park(), "the survivor is parked");
        assertFalse(expect(1, AgentProtocol.StopGeneration.class).park(), "the noticed node's rank is stopped");
        master.tell(new JobMaster.Reported(new AgentProtocol.RankExited("notice-1", 1, 0, "node1", 75, "")));
        master.tell(new JobMaster.NodeLost("node2", "left the cluster")); // taken at the deadline, its rank's exit never reported
        released = manager.expectMessageClass(JobManager.ReleaseNodes.class);
        assertEquals(333, released.then().resumeStep());
        // the cost ledger: running, then recovering from the notice until the next generation trains
        assertEquals(new JobManager.JobPhase("notice-1", false), phases.expectMessageClass(JobManager.JobPhase.class));
        assertEquals(new JobManager.JobPhase("notice-1", true), phases.expectMessageClass(JobManager.JobPhase.class));
        var p = stored("notice-1").elastic().preemptions().get(0);
        assertEquals(RecoveryKind.NOTICE, p.kind());
        assertEquals(0L, p.lostSteps());
    }

    /**
     * A notice's ring breaks before every rank reported the agreed step: rank 0 wrote 333 and stalled at 334, rank 1 stalled
     * at 334 with its 333 not reported and is asked for 333 (it goes back to it); then the noticed node goes before its rank
     * wrote it. The notice becomes a loss agreeing on the survivors' smallest stall: 333, where rank 1 went back to, not the
     * 334 it no longer holds (found by a review: the job would have waited out its recovery and failed).
     */
    @Test
    void aRankAskedBackToTheAgreedStepIsNotAskedForItsLaterStepWhenTheNoticeBecomesALoss() {
        Job job = submit("notice-3", 1, 3, 3);
        var master = running(job, 3);
        master.tell(new JobMaster.NodeNotice(new AgentProtocol.NodeInterruptionNotice("node3",
                InterruptionKind.SPOT_INTERRUPTION, "terminate", "2026-12-01T10:02:00Z", "2026-12-01T10:00:00Z")));
        for (int r = 0; r < 3; r++) assertEquals(-1, expect(r, AgentProtocol.RequestCheckpoint.class).step());
        master.tell(new JobMaster.Reported(new AgentProtocol.CheckpointReported("notice-3", 1, 0, "node1", 333, "/d", 1, 10, 0.5, 2,
                "requested", "digest-0")));
        master.tell(new JobMaster.Reported(new AgentProtocol.RankStalled("notice-3", 1, 0, "node1", 334, "peer closed")));
        master.tell(new JobMaster.Reported(new AgentProtocol.RankStalled("notice-3", 1, 1, "node2", 334, "peer closed")));
        assertEquals(333, expect(1, AgentProtocol.RequestCheckpoint.class).step(), "rank 1 holds 333 as the one before its own");
        master.tell(new JobMaster.NodeLost("node3", "left the cluster")); // before its rank wrote 333: the notice becomes a loss
        assertEquals(333, expect(1, AgentProtocol.RequestCheckpoint.class).step(), "the step rank 1 went back to");
        agents.get(0).expectNoMessage(Duration.ofMillis(150)); // rank 0 wrote 333 already
    }

    /**
     * Seen in the demo: a Spot notice came 1.6 s after a growth's generation started, while its newcomer was still restoring
     * (not attached); it was only recorded, and the node went at its deadline as a loss. Now it is held and acted on as soon
     * as every rank has attached.
     */
    @Test
    void aNoticeBeforeEveryRankHasAttachedIsActedOnOnceTheyHave() {
        Job job = submit("held-1", 1, 2, 3);
        var master = spawn(job, false);
        manager.expectMessageClass(JobManager.WantsNodes.class);
        master.tell(new JobMaster.Placed(List.of(node(0), node(1))));
        var alloc = expect(0, AgentProtocol.AllocatePort.class);
        master.tell(new JobMaster.Reported(new AgentProtocol.PortAllocated("held-1", alloc.generation(), "node1", "127.0.0.1", 29500)));
        for (int i = 0; i < 2; i++) {
            var start = expect(i, AgentProtocol.StartGeneration.class);
            master.tell(new JobMaster.Reported(new AgentProtocol.RankStarted("held-1", start.generation(), i, "node" + (i + 1), 100 + i, "log")));
        }
        master.tell(new JobMaster.Reported(new AgentProtocol.RankAttached("held-1", 1, 0, "node1", 0)));
        awaitStored("held-1", d -> d.state() == JobState.RUNNING && d.elastic().attached().size() == 1);
        master.tell(new JobMaster.NodeNotice(new AgentProtocol.NodeInterruptionNotice("node1",
                InterruptionKind.SPOT_INTERRUPTION, "terminate", null, "2026-12-01T10:00:00Z")));
        agents.get(0).expectNoMessage(Duration.ofMillis(150)); // rank 1 could not checkpoint on request yet: nothing asked
        master.tell(new JobMaster.Reported(new AgentProtocol.RankAttached("held-1", 1, 1, "node2", 0)));
        assertEquals(-1, expect(0, AgentProtocol.RequestCheckpoint.class).step(), "the notice recovery begins");
        expect(1, AgentProtocol.RequestCheckpoint.class);
        awaitStored("held-1", d -> d.state() == JobState.RECOVERING);
    }

    /**
     * Generation 2 (resuming from step 333) runs with one of its two ranks attached; the other's node gives notice (held) and
     * is lost before its rank attaches: the generation forms again, and the node's row is its notice, not a kill.
     */
    @Test
    void aNodeLostWhileItsNoticeIsHeldIsRecordedAsItsNotice() {
        Job job = submit("held-2", 1, 3, 3);
        var master = running(job, 2);
        master.tell(new JobMaster.NodeNotice(new AgentProtocol.NodeInterruptionNotice("node2",
                InterruptionKind.SPOT_INTERRUPTION, "terminate", "2026-12-01T10:02:00Z", "2026-12-01T10:00:00Z")));
        for (int r = 0; r < 2; r++) expect(r, AgentProtocol.RequestCheckpoint.class);
        for (int r = 0; r < 2; r++) {
            master.tell(new JobMaster.Reported(new AgentProtocol.CheckpointReported("held-2", 1, r, "node" + (r + 1), 333, "/d", 1, 10, 0.5,
                    2, "requested", "digest-" + r)));
        }
        for (int r = 0; r < 2; r++) expect(r, AgentProtocol.StopGeneration.class);
        master.tell(new JobMaster.Reported(new AgentProtocol.RankExited("held-2", 1, 0, "node1", 75, "")));
        master.tell(new JobMaster.NodeLost("node2", "left the cluster"));
        manager.fishForMessage(Duration.ofSeconds(3), m -> m instanceof JobManager.ReleaseNodes ? FishingOutcomes.complete()
                : FishingOutcomes.continueAndIgnore());
        master.tell(new JobMaster.Placed(List.of(node(0), node(2))));
        var alloc = expect(0, AgentProtocol.AllocatePort.class);
        master.tell(new JobMaster.Reported(new AgentProtocol.PortAllocated("held-2", alloc.generation(), "node1", "127.0.0.1", 29600)));
        for (int i : new int[] {0, 2}) {
            var start = expect(i, AgentProtocol.StartGeneration.class);
            master.tell(new JobMaster.Reported(new AgentProtocol.RankStarted("held-2", 2, start.rank(), "node" + (i + 1), 200 + i, "log")));
        }
        master.tell(new JobMaster.Reported(new AgentProtocol.RankAttached("held-2", 2, 0, "node1", 0)));
        awaitStored("held-2", d -> d.state() == JobState.RUNNING && d.generation() == 2 && d.elastic().attached().size() == 1);
        master.tell(new JobMaster.NodeNotice(new AgentProtocol.NodeInterruptionNotice("node3",
                InterruptionKind.SPOT_INTERRUPTION, "terminate", null, "2026-12-01T10:05:00Z")));
        agents.get(0).expectNoMessage(Duration.ofMillis(150)); // held: rank 1 has not attached
        master.tell(new JobMaster.NodeLost("node3", "left the cluster"));
        expect(0, AgentProtocol.StopGeneration.class); // the generation forms again from step 333
        master.tell(new JobMaster.Reported(new AgentProtocol.RankExited("held-2", 2, 0, "node1", 75, "")));
        awaitStored("held-2", d -> d.elastic().preemptions().size() == 2);
        var p = stored("held-2").elastic().preemptions().get(1);
        assertEquals("node3", p.node());
        assertEquals(RecoveryKind.NOTICE, p.kind(), "it gave notice: " + p);
    }

    /**
     * A notice to node2 of a 2-rank v2 job (max 3) while node3 is free: node3 is reserved and
     * staged; {@code upBeforeClose}: its process is parked before the survivors' checkpoint of step
     * 400 completes; the generation closes (node1 parked, node2 stopped). Returns the staged start.
     */
    private AgentProtocol.StartGeneration noticeWithAFreeNode(ActorRef<JobMaster.Command> master, String id, boolean upBeforeClose) {
        for (int r = 0; r < 2; r++) { // both ranks speak contract v2
            master.tell(new JobMaster.Reported(new AgentProtocol.RankAttached(id, 1, r, "node" + (r + 1), 0, true)));
        }
        master.tell(new JobMaster.NodeNotice(new AgentProtocol.NodeInterruptionNotice("node2",
                InterruptionKind.SPOT_INTERRUPTION, "terminate", null, "2026-12-01T10:00:00Z")));
        assertEquals(2, manager.expectMessageClass(JobManager.Reserve.class).count(), "room for max 3 beside the one survivor");
        manager.expectMessageClass(JobManager.RequestReplacement.class);
        master.tell(new JobMaster.Reserved(List.of(node(2))));
        var staged = expect(2, AgentProtocol.StartGeneration.class);
        expect(0, AgentProtocol.RequestCheckpoint.class);
        expect(1, AgentProtocol.RequestCheckpoint.class);
        if (upBeforeClose) master.tell(new JobMaster.Reported(new AgentProtocol.RankStaged(id, 2, 0, "node3", 0)));
        for (int r = 0; r < 2; r++) {
            master.tell(new JobMaster.Reported(new AgentProtocol.CheckpointReported(id, 1, r, "node" + (r + 1), 400, "/d", 1, 10, 0.5,
                    2, "requested", "digest-" + r)));
        }
        expect(0, AgentProtocol.StopGeneration.class);
        expect(1, AgentProtocol.StopGeneration.class);
        master.tell(new JobMaster.Reported(new AgentProtocol.RankExited(id, 1, 0, "node1", 75, "parked", true)));
        master.tell(new JobMaster.Reported(new AgentProtocol.RankExited(id, 1, 1, "node2", 75, "")));
        return staged;
    }

    /** Survivors that can re-form in place get the newcomer staged on a reserved free node while they checkpoint and park. */
    @Test
    void aNewcomerIsStagedOnAReservedNodeAndPlacedRightAfterTheSurvivors() {
        var master = running(submit("stage-1", 1, 3, 3), 2);
        var staged = noticeWithAFreeNode(master, "stage-1", true);
        assertTrue(staged.standby(), "started ahead of its generation");
        assertEquals(2, staged.generation());
        assertEquals(0, staged.resumeStep(), "no restore ahead: the step it joins at is fetched from a peer at the re-form");
        assertEquals(List.of("node1", "node2", "node3"), (released = manager.expectMessageClass(JobManager.ReleaseNodes.class)).nodeIds(),
                "the staged node goes back with the generation's");
        assertEquals(List.of("node1", "node2", "node3"), released.then().preferred(),
                "survivors first, then the staged node");
        master.tell(new JobMaster.Placed(List.of(node(0), node(2))));
        master.tell(new JobMaster.Reported(new AgentProtocol.PortAllocated("stage-1", expect(0, AgentProtocol.AllocatePort.class).generation(),
                "node1", "127.0.0.1", 29700)));
        assertEquals(400, expect(0, AgentProtocol.StartGeneration.class).resumeStep());
        var joins = expect(2, AgentProtocol.StartGeneration.class);
        assertFalse(joins.standby(), "the generation's own start: the agent re-forms the staged process with it");
        assertEquals(1, joins.rank());
    }

    /**
     * A newcomer still starting at the close does not hold the next generation back when the
     * survivor meets min: the survivor resumes alone, and the job grows into the newcomer in place
     * as soon as it is up (no cooldown: its start is paid).
     */
    @Test
    void aNewcomerStillStartingAtTheCloseIsGrownIntoOnceItIsUp() {
        var master = running(submit("carry-1", 1, 3, 3), 2);
        assertTrue(noticeWithAFreeNode(master, "carry-1", false).standby());
        assertEquals(List.of("node1", "node2"), (released = manager.expectMessageClass(JobManager.ReleaseNodes.class)).nodeIds(),
                "the newcomer still starting stays reserved");
        assertTrue(released.then() != null, "the next request rides on the release");
        assertEquals(1, released.then().atMost(), "the survivor and the ready newcomers (none): no free node takes the carried one's place cold");
        master.tell(new JobMaster.Placed(List.of(node(0))));
        master.tell(new JobMaster.Reported(new AgentProtocol.PortAllocated("carry-1", expect(0, AgentProtocol.AllocatePort.class).generation(),
                "node1", "127.0.0.1", 29700)));
        assertEquals(1, expect(0, AgentProtocol.StartGeneration.class).worldSize(), "the survivor resumes alone at once");
        agents.get(2).expectNoMessage(Duration.ofMillis(100)); // the staged process is kept, not stopped
        master.tell(new JobMaster.Reported(new AgentProtocol.RankStarted("carry-1", 2, 0, "node1", 100, "log", true)));
        master.tell(new JobMaster.Reported(new AgentProtocol.RankStaged("carry-1", 2, 0, "node3", 400)));
        agents.get(0).expectNoMessage(Duration.ofMillis(100)); // not before the survivor is attached again (it could not checkpoint)
        master.tell(new JobMaster.Reported(new AgentProtocol.RankAttached("carry-1", 2, 0, "node1", 400, true)));
        assertEquals(-1, expect(0, AgentProtocol.RequestCheckpoint.class).step(), "the growth begins: a collective checkpoint");
        awaitStored("carry-1", d -> d.state() == JobState.RECOVERING && d.elastic().recovery().kind() == RecoveryKind.GROW);
        master.tell(new JobMaster.Reported(new AgentProtocol.CheckpointReported("carry-1", 2, 0, "node1", 420, "/d", 1, 10, 0.5,
                1, "requested", "digest-0")));
        expect(0, AgentProtocol.StopGeneration.class);
        master.tell(new JobMaster.Reported(new AgentProtocol.RankExited("carry-1", 2, 0, "node1", 75, "parked", true)));
        manager.expectMessageClass(JobManager.OfferCapacity.class); // generation 2 attached below max (the staged node is not free)
        assertEquals(List.of("node1", "node3"), (released = manager.expectMessageClass(JobManager.ReleaseNodes.class)).nodeIds());
        assertEquals(List.of("node1", "node3"), released.then().preferred());
    }

    /** Free nodes offered to a running job get a staged process first; the job grows only once it is up. */
    @Test
    void growthStagesTheNewcomerFirstAndBeginsWhenItIsUp() {
        var master = reformable(submit("grow-1", 1, 3, 3), 2);
        master.tell(new JobMaster.CapacityFree(1)); // the cooldown is 0 s in these settings
        assertEquals(1, manager.expectMessageClass(JobManager.Reserve.class).count(), "room for max 3");
        master.tell(new JobMaster.Reserved(List.of(node(2))));
        var staged = expect(2, AgentProtocol.StartGeneration.class);
        assertTrue(staged.standby());
        assertEquals(0, staged.resumeStep());
        agents.get(0).expectNoMessage(Duration.ofMillis(150)); // the job trains on while the newcomer starts
        master.tell(new JobMaster.CapacityFree(1)); // offered again meanwhile: no second staging, no growth yet
        manager.expectNoMessage(Duration.ofMillis(100));
        master.tell(new JobMaster.Reported(new AgentProtocol.RankStaged("grow-1", 2, 0, "node3", 0)));
        assertEquals(-1, expect(0, AgentProtocol.RequestCheckpoint.class).step());
        assertEquals(-1, expect(1, AgentProtocol.RequestCheckpoint.class).step());
        var events = storedEvents("grow-1");
        assertTrue(events.contains(JobEventType.NEWCOMER_STAGED), events::toString);
    }

    /** A growth of a running job by one staged newcomer on node{@code world + 1}, up: every rank has been asked to checkpoint. */
    void growthBegins(ActorRef<JobMaster.Command> master, String jobId, int world) {
        master.tell(new JobMaster.CapacityFree(1));
        manager.expectMessageClass(JobManager.Reserve.class);
        master.tell(new JobMaster.Reserved(List.of(node(world))));
        assertTrue(expect(world, AgentProtocol.StartGeneration.class).standby());
        master.tell(new JobMaster.Reported(new AgentProtocol.RankStaged(jobId, 2, 0, "node" + (world + 1), 0)));
        for (int r = 0; r < world; r++) expect(r, AgentProtocol.RequestCheckpoint.class);
    }

    /** Rank {@code rank} of generation 1 (on node{@code rank + 1}) stalled on a broken ring at {@code step} and wrote that step. */
    void stalledAndWrote(ActorRef<JobMaster.Command> master, String jobId, int rank, long step) {
        String node = "node" + (rank + 1);
        master.tell(new JobMaster.Reported(new AgentProtocol.RankStalled(jobId, 1, rank, node, step, "peer closed")));
        master.tell(new JobMaster.Reported(new AgentProtocol.CheckpointReported(jobId, 1, rank, node, step, "/d", 1, 10, 0.5, 2, "stall",
                "digest-" + rank)));
    }

    /** These ranks of generation 1 (rank r on node{@code r + 1}) are parked for the re-form, and exit parked. */
    void parkedAndExited(ActorRef<JobMaster.Command> master, String jobId, int... ranks) {
        for (int r : ranks) assertTrue(expect(r, AgentProtocol.StopGeneration.class).park(), "rank " + r + " parked");
        for (int r : ranks) master.tell(new JobMaster.Reported(new AgentProtocol.RankExited(jobId, 1, r, "node" + (r + 1), 75, "", true)));
    }

    /** What the job asks the manager for its next generation (after a release, or on its own), within 3 s. */
    JobManager.WantsNodes nextGenerationAsked() {
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (System.nanoTime() < deadline) {
            var m = manager.receiveMessage(Duration.ofSeconds(3));
            if (m instanceof JobManager.WantsNodes w) return w;
            if (m instanceof JobManager.ReleaseNodes r && r.then() != null) return r.then();
        }
        throw new AssertionError("the next generation was never asked for");
    }

    /**
     * A rank's node is killed just as a growth begins (seen in `spottrain demo`): the growth asks every rank for a checkpoint,
     * the survivor has stalled on the broken ring and wrote its step, and the lost rank was the only one the step still
     * waited for. The survivor is parked for the re-form at once; before, nothing asked it to stop and the job sat in its
     * recovery until the survivor's own node went (31 s in that demo).
     */
    @Test
    void aRankLostAsAGrowthBeginsParksTheSurvivorThatHoldsTheStep() {
        var master = reformable(submit("grow-lost-1", 1, 3, 3), 2);
        growthBegins(master, "grow-lost-1", 2);
        // node2 was killed as the growth began: rank 0 stalled on the broken ring and wrote the step it held
        stalledAndWrote(master, "grow-lost-1", 0, 430);
        agents.get(0).expectNoMessage(Duration.ofMillis(200)); // rank 1 may still write it
        master.tell(new JobMaster.NodeLost("node2", "left the cluster"));
        var stop = expect(0, AgentProtocol.StopGeneration.class);
        assertTrue(stop.park(), "the survivor is parked for an in-place re-form");
        master.tell(new JobMaster.Reported(new AgentProtocol.RankExited("grow-lost-1", 1, 0, "node1", 75, "", true)));
        var next = nextGenerationAsked(); // the generation closed: the next one, from the step the survivor holds
        assertEquals(430, next.resumeStep());
        assertTrue(next.preferred().contains("node1"), "the survivor first: " + next.preferred());
        agents.get(0).expectNoMessage(Duration.ofMillis(100)); // stopped once
    }

    /**
     * As above, but every other rank had already exited on its own (ranks that cannot re-form in place exit when their ring
     * breaks) when the node of the last rank the step waited for is found lost: nobody is left to stop, and the generation
     * closes at once instead of waiting out the recovery's time-out and failing.
     */
    @Test
    void aRankLostLastAfterTheOthersExitedClosesTheGenerationAtOnce() {
        var master = reformable(submit("grow-lost-2", 1, 4, 3), 3);
        growthBegins(master, "grow-lost-2", 3);
        for (int r = 0; r < 2; r++) { // ranks 0 and 1 stall on node3's loss, write step 430 and exit resumable
            stalledAndWrote(master, "grow-lost-2", r, 430);
            master.tell(new JobMaster.Reported(new AgentProtocol.RankExited("grow-lost-2", 1, r, "node" + (r + 1), 75, "", false)));
        }
        master.tell(new JobMaster.Reported(new AgentProtocol.RankExited("grow-lost-2", 1, 2, "node3", 75, "", false)));
        master.tell(new JobMaster.NodeLost("node3", "left the cluster"));
        assertEquals(430, nextGenerationAsked().resumeStep());
    }

    /**
     * A rank is killed as a growth begins and the two others stall one step apart: rank 0 writes step 430 (which becomes the
     * growth's agreed step), rank 2 stalled at 431. Rank 2 holds step 430 as the one before its own and is asked for it at once
     * (before, nothing asked it: the recovery waited out its time-out and failed the job, or rank 2 wrote 431 when its stall
     * wait ran out); the generation closes once the lost rank is known.
     */
    @Test
    void aGrowthSurvivorThatStalledAStepPastTheAgreedStepIsAskedForIt() {
        var master = reformable(submit("grow-lost-3", 1, 4, 3), 3);
        growthBegins(master, "grow-lost-3", 3);
        stalledAndWrote(master, "grow-lost-3", 0, 430);
        master.tell(new JobMaster.Reported(new AgentProtocol.RankStalled("grow-lost-3", 1, 2, "node3", 431, "peer closed")));
        assertEquals(430, expect(2, AgentProtocol.RequestCheckpoint.class).step(), "rank 2 holds step 430 as the one before its own");
        master.tell(new JobMaster.Reported(new AgentProtocol.CheckpointReported("grow-lost-3", 1, 2, "node3", 430, "/d", 1, 10, 0.5, 2,
                "stall", "digest-2")));
        agents.get(0).expectNoMessage(Duration.ofMillis(100)); // rank 1 may still write it
        master.tell(new JobMaster.NodeLost("node2", "left the cluster"));
        parkedAndExited(master, "grow-lost-3", 0, 2);
        assertEquals(430, nextGenerationAsked().resumeStep());
    }

    /**
     * As above, but rank 2 stalled a step before the agreed step (429): it can never write 430. The growth becomes a loss;
     * once the lost rank is known the survivors agree on the smallest step they stalled at and each is asked for it (rank 0
     * holds 429 as the one before its own). One interruption is recorded (the loss), not a second one for the growth.
     */
    @Test
    void aGrowthSurvivorThatStalledBeforeTheAgreedStepTurnsTheGrowthIntoALoss() {
        var master = reformable(submit("grow-lost-4", 1, 4, 3), 3);
        growthBegins(master, "grow-lost-4", 3);
        stalledAndWrote(master, "grow-lost-4", 0, 430);
        master.tell(new JobMaster.Reported(new AgentProtocol.RankStalled("grow-lost-4", 1, 2, "node3", 429, "peer closed")));
        master.tell(new JobMaster.NodeLost("node2", "left the cluster"));
        assertEquals(429, expect(0, AgentProtocol.RequestCheckpoint.class).step());
        assertEquals(429, expect(2, AgentProtocol.RequestCheckpoint.class).step());
        for (int r : new int[] {0, 2}) {
            master.tell(new JobMaster.Reported(new AgentProtocol.CheckpointReported("grow-lost-4", 1, r, "node" + (r + 1), 429, "/d", 1, 10,
                    0.5, 2, "stall", "digest-" + r)));
        }
        parkedAndExited(master, "grow-lost-4", 0, 2);
        assertEquals(429, nextGenerationAsked().resumeStep());
        awaitStored("grow-lost-4", d -> !d.elastic().preemptions().isEmpty());
        var ps = stored("grow-lost-4").elastic().preemptions();
        assertEquals(1, ps.size(), ps::toString);
        var p = ps.get(0);
        assertEquals("node2", p.node(), p::toString);
        assertEquals(RecoveryKind.KILL, p.kind());
    }

    /** The S3 requests nodes report (with an upload, or on their own) reach the cost ledger as the job's, in any state. */
    @Test
    void s3RequestsNodesReportGoToTheLedgerAsTheJobs() {
        var master = running(submit("req-1", 1, 2, 3), 2);
        master.tell(new JobMaster.Reported(new AgentProtocol.S3Requests("req-1", 1, "node2", 3, 7)));
        master.tell(new JobMaster.Reported(new AgentProtocol.CheckpointUploaded("req-1", 1, "node1", 10, 1024, 5, 1, 0, 0, 4, 0)));
        master.tell(new JobMaster.Reported(new AgentProtocol.S3Requests("req-1", 1, "node2", 0, 0))); // nothing: nothing told
        // what the ledger hears within a second (the upload also changes the job's stored bytes: JobStorage, not counted here)
        var got = new ArrayList<JobManager.JobRequests>();
        long deadline = System.nanoTime() + Duration.ofSeconds(1).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (phases.receiveMessage(Duration.ofMillis(200)) instanceof JobManager.JobRequests r) got.add(r);
            } catch (AssertionError quiet) {
                // nothing more within 200 ms
            }
        }
        assertEquals(List.of(new JobManager.JobRequests("req-1", 3, 7), new JobManager.JobRequests("req-1", 4, 0)), got);
    }

    /**
     * A staged newcomer that never comes up (its process hangs or cannot start): the first staging time-out waits without a
     * re-form (it would add nobody), the second lets it go: its process is stopped and its node given back, and the job never
     * stopped training for it. Before, it was carried from growth to growth with a re-form every time-out.
     */
    @Test
    void aStagedNewcomerThatNeverComesUpIsLetGoWithoutReforms() {
        var master = reformable(submit("hung-1", 1, 3, 3), 2);
        master.tell(new JobMaster.CapacityFree(1));
        manager.expectMessageClass(JobManager.Reserve.class);
        master.tell(new JobMaster.Reserved(List.of(node(2))));
        assertTrue(expect(2, AgentProtocol.StartGeneration.class).standby());
        master.tell(new JobMaster.StagingTimedOut(2));
        agents.get(0).expectNoMessage(Duration.ofMillis(200)); // no checkpoint asked: no re-form
        manager.expectNoMessage(Duration.ofMillis(50));
        master.tell(new JobMaster.StagingTimedOut(2));
        assertEquals(List.of("node3"), manager.expectMessageClass(JobManager.ReleaseNodes.class).nodeIds());
        assertEquals(2, expect(2, AgentProtocol.StopGeneration.class).generation());
        agents.get(0).expectNoMessage(Duration.ofMillis(100));
        awaitStored("hung-1", d -> d.state() == JobState.RUNNING && d.generation() == 1
                && storedEvents("hung-1").contains(JobEventType.GROWTH_SKIPPED));
    }

    /** Of two staged newcomers one is up at the time-out: the job grows with it now; the other is carried, not waited for. */
    @Test
    void atTheStagingTimeOutTheJobGrowsWithTheNewcomersThatAreUp() {
        var master = reformable(submit("half-1", 1, 4, 3), 2);
        master.tell(new JobMaster.CapacityFree(2));
        assertEquals(2, manager.expectMessageClass(JobManager.Reserve.class).count());
        master.tell(new JobMaster.Reserved(List.of(node(2), node(3))));
        expect(2, AgentProtocol.StartGeneration.class);
        expect(3, AgentProtocol.StartGeneration.class);
        master.tell(new JobMaster.Reported(new AgentProtocol.RankStaged("half-1", 2, 0, "node3", 0)));
        agents.get(0).expectNoMessage(Duration.ofMillis(150)); // not all up: no growth yet
        master.tell(new JobMaster.StagingTimedOut(2));
        assertEquals(-1, expect(0, AgentProtocol.RequestCheckpoint.class).step(), "the growth begins with the one that is up");
        assertEquals(-1, expect(1, AgentProtocol.RequestCheckpoint.class).step());
    }

    /**
     * A node gives notice with its deadline far off (the job trains on in the notice window, waiting for a replacement) and is
     * lost before the swap: the job recovers as from a loss, and records the node's interruption as the notice it was, with
     * the steps the loss cost (it had been recorded as a kill).
     */
    @Test
    void aNodeLostInItsNoticeWindowIsRecordedAsItsNoticeWithTheStepsLost() {
        Job job = submit("window-lost-1", 1, 3, 3);
        var master = running(job, 3);
        master.tell(new JobMaster.NodeNotice(new AgentProtocol.NodeInterruptionNotice("node1", InterruptionKind.SPOT_INTERRUPTION,
                "terminate", Instant.now().plusSeconds(120).toString(), Instant.now().toString()), true));
        manager.expectMessageClass(JobManager.RequestReplacement.class); // asked for at the notice: the swap waits for it
        awaitStored("window-lost-1", d -> d.state() == JobState.RUNNING && storedEvents("window-lost-1").contains(JobEventType.NODE_NOTICE));
        master.tell(new JobMaster.Reported(new AgentProtocol.RankProgress("window-lost-1", 1, 0, "node1", 121, 0.6, 100)));
        master.tell(new JobMaster.NodeLost("node1", "left the cluster")); // gone before its deadline, before any swap
        for (int r = 1; r <= 2; r++) {
            master.tell(new JobMaster.Reported(new AgentProtocol.RankStalled("window-lost-1", 1, r, "node" + (r + 1), 118, "peer closed")));
        }
        for (int r = 1; r <= 2; r++) {
            assertEquals(118, expect(r, AgentProtocol.RequestCheckpoint.class).step());
            master.tell(new JobMaster.Reported(new AgentProtocol.CheckpointReported("window-lost-1", 1, r, "node" + (r + 1), 118, "/d", 1,
                    10, 0.5, 2, "requested", "digest-" + r)));
        }
        for (int r = 1; r <= 2; r++) {
            assertTrue(expect(r, AgentProtocol.StopGeneration.class).park());
            master.tell(new JobMaster.Reported(new AgentProtocol.RankExited("window-lost-1", 1, r, "node" + (r + 1), 75, "parked", true)));
        }
        manager.fishForMessage(Duration.ofSeconds(3), m -> m instanceof JobManager.ReleaseNodes ? FishingOutcomes.complete()
                : FishingOutcomes.continueAndIgnore());
        awaitStored("window-lost-1", d -> !d.elastic().preemptions().isEmpty());
        var ps = stored("window-lost-1").elastic().preemptions();
        assertEquals(1, ps.size(), ps::toString);
        assertEquals("node1", ps.get(0).node());
        assertEquals(RecoveryKind.NOTICE, ps.get(0).kind(), "it gave notice");
        assertEquals(3L, ps.get(0).lostSteps(), "reached 121, resumes from 118");
    }

    /**
     * Seen in the demo: a notice with time to spare came while a growth's newcomer was being staged; the growth's re-form then
     * dropped the noticed node and the interruption was recorded as a growth, not a preemption. Now the growth swaps it out as
     * a notice recovery that takes the staged newcomer along.
     */
    @Test
    void aNoticeInItsWindowWhileAGrowthStagesIsSwappedOutAsANoticeByThatReform() {
        var master = reformable(submit("swapgrow-1", 1, 3, 3), 2);
        master.tell(new JobMaster.CapacityFree(1));
        manager.expectMessageClass(JobManager.Reserve.class);
        master.tell(new JobMaster.Reserved(List.of(node(2))));
        assertTrue(expect(2, AgentProtocol.StartGeneration.class).standby());
        Instant deadline = Instant.now().plusSeconds(120); // far beyond the swap margin: the notice window
        master.tell(new JobMaster.NodeNotice(new AgentProtocol.NodeInterruptionNotice("node2", InterruptionKind.SPOT_INTERRUPTION,
                "terminate", deadline.toString(), Instant.now().toString()), true));
        manager.expectMessageClass(JobManager.RequestReplacement.class);
        awaitStored("swapgrow-1", d -> d.state() == JobState.RUNNING && storedEvents("swapgrow-1").contains(JobEventType.NODE_NOTICE));
        master.tell(new JobMaster.Reported(new AgentProtocol.RankStaged("swapgrow-1", 2, 0, "node3", 0))); // the newcomer is up
        assertEquals(-1, expect(0, AgentProtocol.RequestCheckpoint.class).step());
        assertEquals(-1, expect(1, AgentProtocol.RequestCheckpoint.class).step());
        awaitStored("swapgrow-1", d -> d.state() == JobState.RECOVERING && d.elastic().recovery() != null);
        var rec = stored("swapgrow-1").elastic().recovery();
        assertEquals(RecoveryKind.NOTICE, rec.kind(), "a preemption, not a growth");
        assertEquals("node2", rec.node());
        manager.expectNoMessage(Duration.ofMillis(200)); // its replacement was asked for at the notice: not again
    }

    /**
     * Near its end a job does not grow into free nodes: the training time a growth would save on
     * the few steps left (at the rate measured from rank 0's reports) is less than a growth costs.
     * The decision is an event with its numbers, recorded once however often nodes are offered;
     * the stored document carries the run's length and rate (the API's ETA).
     */
    @Test
    void aGrowthThatWouldNotPayIsSkippedWithItsNumbersOnce() throws InterruptedException {
        var master = running(submit("late-1", 1, 3, 3), 2);
        master.tell(new JobMaster.Reported(new AgentProtocol.RankProgress("late-1", 1, 0, "node1", 990, 0.5, 100, 1000)));
        Thread.sleep(Pace.MIN_WINDOW.toMillis() + 100); // a rate needs reports this far apart
        master.tell(new JobMaster.Reported(new AgentProtocol.RankProgress("late-1", 1, 0, "node1", 995, 0.5, 100, 0)));
        master.tell(new JobMaster.CapacityFree(1));
        master.tell(new JobMaster.CapacityFree(1));
        for (int i = 0; i < 2; i++) {
            assertEquals("late-1", manager.expectMessageClass(JobManager.OfferCapacity.class).declinedBy(),
                    "the manager offers the nodes to other jobs instead");
        }
        manager.expectNoMessage(Duration.ofMillis(300)); // no reservation, no growth
        agents.get(0).expectNoMessage(Duration.ofMillis(10));
        awaitStored("late-1", d -> d.eventCount() > 0 && storedEvents("late-1").contains(JobEventType.GROWTH_SKIPPED));
        assertEquals(1, storedEvents("late-1").stream().filter(t -> t == JobEventType.GROWTH_SKIPPED).count(), "recorded once");
        awaitStored("late-1", d -> d.training().pace().totalSteps() == 1000 && d.training().pace().at(2).isPresent());
        assertEquals(JobState.RUNNING, stored("late-1").state());
        var series = ProgressSeries.read(store, "late-1", 0, Instant.now());
        assertTrue(series.stream().anyMatch(p -> p.step() == 990 && p.worldSize() == 2), "rank 0's progress is kept over time: " + series);
    }

    /**
     * Free nodes offered to a generation younger than the scale-up cooldown do not grow it, and
     * nothing else may free a node later: the job asks the manager to offer them again when the
     * cooldown (4 s here) ends (the path ScaleUpIT exercises only when its node joins inside the cooldown).
     */
    @Test
    void aYoungGenerationAsksForTheOfferAgainWhenTheCooldownEnds() {
        settings = CoordinatorSettings.create(ConfigFactory.parseMap(Map.of("spottrain.coordinator.scale-up-cooldown", "4s"))
                .withFallback(ConfigFactory.parseMap(Map.of("spottrain.coordinator.stall-suspect-grace", "200ms",
                        "spottrain.coordinator.progress-flush-interval", "100ms", "spottrain.coordinator.capacity-retry", "200ms")))
                .withFallback(ConfigFactory.load()));
        var master = running(submit("cool-1", 1, 3, 3), 2);
        long offered = System.nanoTime();
        master.tell(new JobMaster.CapacityFree(1));
        manager.expectNoMessage(Duration.ofMillis(500)); // inside the cooldown: no reservation, no growth
        agents.get(0).expectNoMessage(Duration.ofMillis(10));
        manager.expectMessageClass(JobManager.OfferCapacity.class, Duration.ofSeconds(6));
        double after = (System.nanoTime() - offered) / 1e9;
        // the cooldown runs from the generation's opening, inside running(): slack for a slow machine, yet far from at once
        assertTrue(after >= 1.5, "offered again only once the generation is 4 s old, not at once (" + after + " s)");
        master.tell(new JobMaster.CapacityFree(1)); // old enough now: it grows (ranks that cannot re-form in place: a checkpoint first)
        assertEquals(-1, expect(0, AgentProtocol.RequestCheckpoint.class).step(), "the growth begins: a collective checkpoint");
        awaitStored("cool-1", d -> d.state() == JobState.RECOVERING && d.elastic().recovery().kind() == RecoveryKind.GROW);
    }

    /**
     * Forming a generation is one write, not one per step: the placement is stored with the
     * rendezvous (the ranks start only once both are), each rank's start with the last one's (the
     * change to RUNNING). Flushes are 10 s apart here, so no flush can take a held change early.
     */
    @Test
    void aGenerationOpensInOneWriteWithItsRendezvousAndItsRanksStartInOneMore() {
        settings = FLUSH_10S;
        Job job = submit("one-write-1", 2, 2, 0);
        var master = spawn(job, false);
        manager.expectMessageClass(JobManager.WantsNodes.class);
        long w0 = store.stats().writes();
        master.tell(new JobMaster.Placed(List.of(node(0), node(1))));
        var alloc = expect(0, AgentProtocol.AllocatePort.class);
        agents.get(1).expectNoMessage(Duration.ofMillis(200));
        assertEquals(w0, store.stats().writes(), "the placement alone is not written");
        assertEquals(JobState.PENDING, stored("one-write-1").state());
        master.tell(new JobMaster.Reported(new AgentProtocol.PortAllocated("one-write-1", alloc.generation(), "node1", "127.0.0.1", 29500)));
        var start0 = expect(0, AgentProtocol.StartGeneration.class);
        expect(1, AgentProtocol.StartGeneration.class);
        assertEquals(w0 + 1, store.stats().writes(), "placement and rendezvous in one write, stored before any rank starts");
        assertEquals(JobState.STARTING, stored("one-write-1").state());
        assertEquals(29500, stored("one-write-1").masterPort());
        assertTrue(storedEvents("one-write-1").containsAll(List.of(JobEventType.GENERATION_OPENED, JobEventType.RENDEZVOUS)));
        master.tell(new JobMaster.Reported(new AgentProtocol.RankStarted("one-write-1", start0.generation(), 0, "node1", 100, "log")));
        agents.get(0).expectNoMessage(Duration.ofMillis(200));
        assertEquals(w0 + 1, store.stats().writes(), "one rank of two started: held");
        master.tell(new JobMaster.Reported(new AgentProtocol.RankStarted("one-write-1", start0.generation(), 1, "node2", 101, "log")));
        awaitStored("one-write-1", d -> d.state() == JobState.RUNNING);
        assertEquals(w0 + 2, store.stats().writes(), "both ranks' starts and RUNNING in one write");
        var events = storedEvents("one-write-1");
        assertEquals(2, events.stream().filter(e -> e == JobEventType.RANK_STARTED).count(), "the held rank's event is stored too: " + events);
        assertEquals(List.of(100L, 101L), stored("one-write-1").members().stream().map(Member::pid).toList());
    }

    /**
     * Rank 0's node came with the port its agent offered: the generation opens with its rendezvous in one write and every rank
     * starts on that port, without asking rank 0's agent for one.
     */
    @Test
    void aGenerationOnAnOfferedPortStartsWithoutAskingRank0ForOne() {
        settings = FLUSH_10S;
        Job job = submit("offered-1", 2, 2, 0);
        var master = spawn(job, false);
        manager.expectMessageClass(JobManager.WantsNodes.class);
        long w0 = store.stats().writes();
        var rank0 = node(0);
        master.tell(new JobMaster.Placed(List.of(new JobMaster.Assignment(rank0.info(), rank0.agent(), 21234), node(1))));
        var start0 = expect(0, AgentProtocol.StartGeneration.class); // no AllocatePort before it: expect() fails on another message
        var start1 = expect(1, AgentProtocol.StartGeneration.class);
        assertEquals(21234, start0.masterPort());
        assertEquals(21234, start1.masterPort());
        assertEquals("127.0.0.1", start1.masterAddr());
        assertEquals(w0 + 1, store.stats().writes(), "placement and rendezvous in one write, stored before any rank starts");
        assertEquals(21234, stored("offered-1").masterPort());
        assertTrue(storedEvents("offered-1").containsAll(List.of(JobEventType.GENERATION_OPENED, JobEventType.RENDEZVOUS)));
    }

    /** A write that failed is retried with a change held meanwhile, events included (the document counts them). */
    @Test
    void aRetryWhileAChangeIsHeldStoresItWithItsEvents() {
        settings = FLUSH_10S;
        Job job = submit("retry-held-1", 1, 1, 0);
        var master = spawn(job, false);
        manager.expectMessageClass(JobManager.WantsNodes.class);
        store.failWrites(new IllegalStateException("disk full"));
        master.tell(new JobMaster.Waiting("waiting for capacity: needs 1 worker, 0 free")); // a write that fails, retried
        master.tell(new JobMaster.Placed(List.of(node(0)))); // held
        expect(0, AgentProtocol.AllocatePort.class);
        agents.get(0).expectNoMessage(Duration.ofMillis(300)); // the write and its first retry failed
        store.failWrites(null);
        awaitStored("retry-held-1", d -> d.state() == JobState.STARTING); // by the retry: the flush is 10 s away
        var d = stored("retry-held-1");
        for (long seq = 1; seq < d.eventCount(); seq++) { // (the helper's submit stores no event 0)
            assertTrue(store.get(Table.EVENTS, Table.seqKey("retry-held-1", seq)).isPresent(), "event " + seq + " the document counts is stored");
        }
        assertTrue(storedEvents("retry-held-1").contains(JobEventType.GENERATION_OPENED));
    }

    /** A held change waits at most one flush interval (100 ms here): a port that never comes does not keep the placement unstored. */
    @Test
    void aHeldPlacementIsStoredByTheNextFlushWithoutItsRendezvous() {
        Job job = submit("held-1", 1, 1, 0);
        var master = spawn(job, false);
        manager.expectMessageClass(JobManager.WantsNodes.class);
        master.tell(new JobMaster.Placed(List.of(node(0))));
        expect(0, AgentProtocol.AllocatePort.class);
        awaitStored("held-1", d -> d.state() == JobState.STARTING && d.generation() == 1);
        assertTrue(storedEvents("held-1").contains(JobEventType.GENERATION_OPENED));
    }

    @Test
    void aRetentionReportAloneIsStoredSoTheCatalogFollowsIt() {
        var master = running(submit("keep-1", 1, 1, 0), 1);
        // the last report of a run is often this one (after the final upload): it must reach the store by itself
        master.tell(new JobMaster.Reported(new AgentProtocol.CheckpointsRetained("keep-1", 1, "node1", CheckpointTier.REMOTE,
                List.of(300L, 200L))));
        awaitStored("keep-1", d -> d.training().retention().remoteHas(300) && !d.training().retention().remoteHas(100));
    }

    @Test
    void aFailureSpendsARestartAndTheLastOneFailsTheJobNamingTheRank() {
        Job job = submit("fail-1", 1, 1, 1);
        var master = running(job, 1);
        master.tell(new JobMaster.Reported(new AgentProtocol.RankExited("fail-1", 1, 0, "node1", 3, "Traceback\nValueError: bad batch")));
        // a world of one: nobody to stall; the newest checkpoint (none: step 0) is the step
        released = manager.expectMessageClass(JobManager.ReleaseNodes.class);
        assertTrue(released.then() != null, "the next request rides on the release");
        awaitStored("fail-1", d -> d.elastic().restarts() == 1);
        master.tell(new JobMaster.Placed(List.of(node(0))));
        var alloc = expect(0, AgentProtocol.AllocatePort.class);
        master.tell(new JobMaster.Reported(new AgentProtocol.PortAllocated("fail-1", alloc.generation(), "node1", "127.0.0.1", 1)));
        expect(0, AgentProtocol.StartGeneration.class);
        master.tell(new JobMaster.Reported(new AgentProtocol.RankStarted("fail-1", 2, 0, "node1", 7, "log")));
        master.tell(new JobMaster.Reported(new AgentProtocol.RankAttached("fail-1", 2, 0, "node1", 0)));
        master.tell(new JobMaster.Reported(new AgentProtocol.RankExited("fail-1", 2, 0, "node1", 3, "ValueError: bad batch")));
        awaitStored("fail-1", d -> d.state() == JobState.FAILED);
        assertEquals("rank 0 on node1 exited with code 3: ValueError: bad batch (no restart left: maxRestarts 1 used)", stored("fail-1").reason());
        var ended = manager.expectMessageClass(JobManager.JobEnded.class);
        assertEquals(List.of("node1"), ended.nodeIds());
        assertFalse(ended.dropped(), "a stored job that ended: its actor lingers and answers a late placement itself");
    }

    @Test
    void aChangeIsActedOnOnlyOnceStoredAndAFailedWriteIsAnswered503ThenRetried() {
        Job job = submit("store-1", 1, 2, 0);
        var master = running(job, 2);
        store.failWrites(new IllegalStateException("disk full"));
        var reply = kit.createTestProbe(Outcome.class);
        master.tell(new JobMaster.Cancel("operator says stop", "test", reply.getRef()));
        var refused = assertInstanceOf(Outcome.Refused.class, reply.receiveMessage(Duration.ofSeconds(3)));
        assertEquals(Outcome.Refusal.UNAVAILABLE, refused.refusal());
        assertTrue(refused.message().contains("disk full"), refused.message());
        agents.get(0).expectNoMessage(Duration.ofMillis(600)); // the job does not act on what the store does not have
        store.failWrites(null);
        expect(0, AgentProtocol.StopGeneration.class); // the retry stored it: now the ranks are stopped
        expect(1, AgentProtocol.StopGeneration.class);
        awaitStored("store-1", d -> d.state() == JobState.CANCELLED && "operator says stop".equals(d.reason()));
    }

    @Test
    void aJobManagerThatTookOverMidRecoveryFinishesTheRecovery() {
        // stored by the previous job manager: a loss of node1, survivors agreed on step 118, rank 1 checkpointed it already
        Job job = Jobs.aJob().workers(2, 3).running(3).step(120).stalled(1, 120).stalled(2, 118).recovering(RecoveryKind.KILL, "node1")
                .recovery(r -> r.agreed(118).checkpointed(1)).build();
        store.write(List.of(new StateStore.Put(Table.JOBS, job.id(), JobDocument.of(job).toJson()),
                new StateStore.Put(Table.SPECS, job.id(), Json.write(job.spec()))));
        var restored = JobStore.load(store).jobs().get(0);
        assertEquals(JobState.RECOVERING, restored.state(), "the stored document reads back mid-recovery");
        assertEquals(job.elastic(), restored.elastic());
        var master = spawn(restored, true);
        // node2 and node3 register with the new job manager: node3's rank checkpointed 118 while nobody listened
        master.tell(new JobMaster.NodeRegistered(node(1).info(), agents.get(1).getRef(), List.of(
                new AgentProtocol.RankStatus(job.id(), 1, 1, 101, true, null, null, -1, 0, null, 118, 120))));
        master.tell(new JobMaster.NodeRegistered(node(2).info(), agents.get(2).getRef(), List.of(
                new AgentProtocol.RankStatus(job.id(), 1, 2, 102, true, null, null, -1, 0, null, 118, 118))));
        // both survivors have checkpointed 118: the recovery goes on to stop them
        expect(1, AgentProtocol.StopGeneration.class);
        expect(2, AgentProtocol.StopGeneration.class);
        master.tell(new JobMaster.Reported(new AgentProtocol.RankExited(job.id(), 1, 1, "node2", 75, "")));
        master.tell(new JobMaster.Reported(new AgentProtocol.RankExited(job.id(), 1, 2, "node3", 75, "")));
        // node1 never comes back: after the reattach grace it is lost, as it already was
        released = manager.expectMessageClass(JobManager.ReleaseNodes.class, Duration.ofSeconds(5));
        assertEquals(118, released.then().resumeStep());
        assertTrue(storedEvents(job.id()).contains(JobEventType.CONTROL_HANDOVER));
    }

    @Test
    void aRankOfAClosedGenerationIsStoppedAndADocumentOfAnotherSchemaIsRefused() {
        Job job = submit("stray-1", 1, 1, 0);
        var master = running(job, 1);
        master.tell(new JobMaster.Reported(new AgentProtocol.RankStarted("stray-1", 0, 0, "node1", 9, "log")));
        assertEquals(0, expect(0, AgentProtocol.StopGeneration.class).generation());
        var err = Assertions.assertThrows(IllegalStateException.class,
                () -> JobDocument.read("{\"schemaVersion\": 2, \"id\": \"x-1\"}"));
        assertEquals("stored job x-1 has schema version 2; this coordinator reads version 1", err.getMessage());
    }

    @Test
    void aReplacementTheLauncherGaveUpOnIsAskedForAgainWhileTheJobWaitsBelowMin() {
        Job job = submit("cap-1", 2, 2, 3);
        var master = running(job, 2);
        master.tell(new JobMaster.NodeLost("node2", "left the cluster"));
        assertEquals("node2", manager.fishForMessage(Duration.ofSeconds(3), m -> m instanceof JobManager.RequestReplacement
                ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore()).get(0) instanceof JobManager.RequestReplacement r
                ? r.departed() : null);
        // (the survivor's own checkpoint and stop are the recovery's business; here the job waits for a second node)
        master.tell(new JobMaster.Waiting("waiting for capacity to resume: needs 2 workers, 1 free"));
        awaitStored("cap-1", d -> d.state() == JobState.RECOVERING && d.pendingReason() != null);
        // the launcher found no capacity and gave up: the job asks again (after the 200 ms back-off here), and again
        for (int round = 1; round <= 2; round++) {
            master.tell(new JobMaster.ReplacementFailed("node2", "InsufficientInstanceCapacity", true));
            var again = manager.fishForMessage(Duration.ofSeconds(3), m -> m instanceof JobManager.RequestReplacement
                    ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore());
            assertEquals("node2", ((JobManager.RequestReplacement) again.get(again.size() - 1)).departed());
        }
        assertTrue(storedEvents("cap-1").stream().filter(e -> e == JobEventType.REPLACEMENT_REQUESTED).count() >= 3);
    }

    @Test
    void aJobThatCannotGetItsWorkersFailsAtItsCapacityTimeoutNamingWhatItWaitedFor() {
        var base = Jobs.spec(2, 2, 3);
        var s = base.spec();
        var spec = new JobSpec(base.apiVersion(), base.kind(), base.metadata(), new JobSpec.Spec(s.workers(), s.command(), s.args(), s.env(),
                s.workingDir(), s.placement(), s.checkpoint(), s.priority(), s.maxRestarts(), new JobSpec.Elastic(1), s.secrets()));
        Job job = Job.submitted("cap-2", spec, Jobs.T0);
        store.write(List.of(new StateStore.Put(Table.JOBS, "cap-2", JobDocument.of(job).toJson())));
        var master = spawn(job.withoutNewEvents(), false);
        manager.expectMessageClass(JobManager.WantsNodes.class);
        master.tell(new JobMaster.Waiting("waiting for capacity: needs 2 workers, 0 free"));
        awaitStored("cap-2", d -> d.state() == JobState.FAILED);
        assertEquals("no capacity for 2 worker(s) within spec.elastic.capacityTimeout (1 s): waiting for capacity: needs 2 workers, 0 free",
                stored("cap-2").reason());
    }

    @Test
    void anAutoIntervalJobIsAskedForCheckpointsPeriodicallyAndSaysWhy() {
        var spec = Jobs.parse("""
                apiVersion: spottrain/v1
                kind: TrainingJob
                metadata: {name: j}
                spec: {workers: {min: 2, max: 2, gpusPerWorker: 0}, command: [x], checkpoint: {interval: auto}}
                """);
        Job job = Job.submitted("auto-1", spec, Jobs.T0);
        store.write(List.of(new StateStore.Put(Table.JOBS, "auto-1", JobDocument.of(job).toJson())));
        running(job.withoutNewEvents(), 2);
        // nothing measured yet: the floor (300 ms here); each round asks every rank for the next common step
        for (int round = 0; round < 2; round++) {
            for (int r = 0; r < 2; r++) assertEquals(-1, expect(r, AgentProtocol.RequestCheckpoint.class).step());
        }
        awaitStored("auto-1", d -> storedEvents("auto-1").contains(JobEventType.CHECKPOINT_INTERVAL));
    }

    @Test
    void aResizeIsRecordedRefusedOutOfBoundsAndShrinksThroughACollectiveCheckpoint() {
        Job job = submit("resize-1", 1, 3, 3);
        var master = running(job, 3);
        var reply = kit.createTestProbe(Outcome.class);
        master.tell(new JobMaster.Scale(4, null, null, "ops(operator)", ScalingSource.API, reply.getRef()));
        var refused = assertInstanceOf(Outcome.Refused.class, reply.receiveMessage(Duration.ofSeconds(3)));
        assertEquals(Outcome.Refusal.UNFIT, refused.refusal());
        assertTrue(refused.message().contains("spec.workers.max is 3"), refused.message());
        agents.get(0).expectNoMessage(Duration.ofMillis(200));

        master.tell(new JobMaster.Scale(2, "save money", 1L, "ops(operator)", ScalingSource.CLI, reply.getRef()));
        assertEquals(ScalingOutcome.ACCEPTED, assertInstanceOf(Outcome.Scaled.class, reply.receiveMessage(Duration.ofSeconds(3))).event()
                .outcome());
        assertEquals(new JobManager.Resized("resize-1", 2), manager.expectMessageClass(JobManager.Resized.class));
        for (int r = 0; r < 3; r++) assertEquals(-1, expect(r, AgentProtocol.RequestCheckpoint.class).step(), "the next common step");
        for (int r = 0; r < 3; r++) {
            master.tell(new JobMaster.Reported(new AgentProtocol.CheckpointReported("resize-1", 1, r, "node" + (r + 1), 400, "/d", 1, 10, 0.5,
                    2, "requested", "digest-" + r)));
        }
        assertTrue(expect(0, AgentProtocol.StopGeneration.class).park());
        assertTrue(expect(1, AgentProtocol.StopGeneration.class).park());
        assertFalse(expect(2, AgentProtocol.StopGeneration.class).park(), "the given-back node's rank stops");
        for (int r = 0; r < 3; r++) master.tell(new JobMaster.Reported(new AgentProtocol.RankExited("resize-1", 1, r, "node" + (r + 1), 75, "")));
        var released = manager.expectMessageClass(JobManager.ReleaseNodes.class);
        assertEquals(2, released.then().atMost(), "the next generation takes no more than the desired 2");
        assertEquals(400, released.then().resumeStep());
        var doc = stored("resize-1");
        assertEquals(2, doc.scaling().desired());
        var events = doc.scaling().events();
        assertEquals(List.of(ScalingOutcome.REFUSED, ScalingOutcome.ACCEPTED), events.stream().map(ScalingEvent::outcome).toList());
        assertEquals(new ScalingEvent(events.get(1).at(), 1, 3, 2, 3, "save money", "ops(operator)", ScalingSource.CLI,
                ScalingOutcome.ACCEPTED, null), events.get(1));
        assertEquals(0, doc.elastic().preemptions().size(), "a resize is no preemption");
        assertTrue(storedEvents("resize-1").contains(JobEventType.SCALE_REQUESTED));
    }

    @Test
    void aResizeUpAsksForTheMissingNodesAndIsRefusedWhileTheGenerationChanges() {
        Job job = submit("resize-2", 1, 3, 3);
        var master = running(job, 2);
        var reply = kit.createTestProbe(Outcome.class);
        master.tell(new JobMaster.Scale(3, null, null, "ops(operator)", ScalingSource.CONSOLE, reply.getRef()));
        assertInstanceOf(Outcome.Scaled.class, reply.receiveMessage(Duration.ofSeconds(3)));
        assertEquals(new JobManager.Resized("resize-2", 3), manager.expectMessageClass(JobManager.Resized.class));
        assertEquals(new JobManager.ScaleUp("resize-2", 1, "node1"), manager.expectMessageClass(JobManager.ScaleUp.class));
        master.tell(new JobMaster.NodeNotice(new AgentProtocol.NodeInterruptionNotice("node2",
                InterruptionKind.SPOT_INTERRUPTION, "terminate", "2026-12-01T10:02:00Z", "2026-12-01T10:00:00Z")));
        expect(0, AgentProtocol.RequestCheckpoint.class);
        master.tell(new JobMaster.Scale(2, null, null, "ops(operator)", ScalingSource.API, reply.getRef()));
        var refused = assertInstanceOf(Outcome.Refused.class, reply.receiveMessage(Duration.ofSeconds(3)));
        assertEquals(Outcome.Refusal.CONFLICT, refused.refusal());
        assertTrue(refused.message().startsWith("a generation change is in flight (notice recovery of generation 1)"), refused.message());
    }

    /**
     * Priority preemption of a job that cannot shrink: it checkpoints every rank, stops them all,
     * gives back every node and waits in the queue like a new job (not first, as survivors do), to
     * resume from that step; the manager heard it could be requeued once every rank attached.
     */
    @Test
    void aRequeuedJobCheckpointsStopsEveryRankGivesBackEveryNodeAndWaitsItsTurn() {
        Job job = submit("requeue-1", 2, 2, 3);
        var master = running(job, 2);
        assertEquals(new ManagerPreemption.Requeueable("requeue-1", true), requeueable.expectMessageClass(ManagerPreemption.Requeueable.class));
        master.tell(new JobMaster.Requeue("job urgent (priority high) waits for 2 node(s)"));
        for (int r = 0; r < 2; r++) assertEquals(-1, expect(r, AgentProtocol.RequestCheckpoint.class).step(), "the next common step");
        assertEquals(new ManagerPreemption.Requeueable("requeue-1", false), requeueable.expectMessageClass(ManagerPreemption.Requeueable.class),
                "recovering: not requeueable again");
        for (int r = 0; r < 2; r++) {
            master.tell(new JobMaster.Reported(new AgentProtocol.CheckpointReported("requeue-1", 1, r, "node" + (r + 1), 250, "/d", 1, 10, 0.5,
                    2, "requested", "digest-" + r)));
        }
        assertFalse(expect(0, AgentProtocol.StopGeneration.class).park(), "every rank stops: nobody stays parked on a node it gives back");
        assertFalse(expect(1, AgentProtocol.StopGeneration.class).park());
        for (int r = 0; r < 2; r++) master.tell(new JobMaster.Reported(new AgentProtocol.RankExited("requeue-1", 1, r, "node" + (r + 1), 75, "")));
        var released = manager.expectMessageClass(JobManager.ReleaseNodes.class);
        assertEquals(List.of("node1", "node2"), released.nodeIds());
        assertEquals(250, released.then().resumeStep(), "it resumes from the step every rank checkpointed");
        assertTrue(released.then().requeued(), "placed by priority and submission, not ahead of the job it made room for");
        assertEquals(List.of(), released.then().preferred(), "it holds no node");
        var doc = stored("requeue-1");
        assertEquals(JobState.RECOVERING, doc.state());
        var p = doc.elastic().preemptions().get(0);
        assertEquals(RecoveryKind.REQUEUE, p.kind());
        assertEquals(0L, p.lostSteps());
        assertEquals(250, p.atStep());
        assertEquals(0, doc.elastic().restarts(), "a requeue spends no restart");
        manager.expectNoMessage(Duration.ofMillis(200)); // no replacement asked for: it gave its nodes away on purpose
        // placed again: a new generation from step 250 on whatever it got
        master.tell(new JobMaster.Placed(List.of(node(2), node(3))));
        expect(2, AgentProtocol.AllocatePort.class);
        master.tell(new JobMaster.Reported(new AgentProtocol.PortAllocated("requeue-1", 2, "node3", "127.0.0.1", 29501)));
        assertEquals(250, expect(2, AgentProtocol.StartGeneration.class).resumeStep());
        assertEquals(250, expect(3, AgentProtocol.StartGeneration.class).resumeStep());
    }

    @Test
    void aJobWhoseRanksHaveNotAttachedIsNotRequeued() {
        Job job = submit("requeue-2", 2, 2, 3);
        var master = spawn(job, false);
        manager.expectMessageClass(JobManager.WantsNodes.class);
        master.tell(new JobMaster.Placed(List.of(node(0), node(1))));
        expect(0, AgentProtocol.AllocatePort.class);
        master.tell(new JobMaster.Requeue("job urgent waits"));
        agents.get(1).expectNoMessage(Duration.ofMillis(300));
        requeueable.expectNoMessage(Duration.ofMillis(100));
        assertEquals(JobState.STARTING, stored("requeue-2").state(), "refused (logged): it cannot checkpoint on request");
    }

    /** A node lost while a requeue's checkpoint runs: a loss recovery from what the others hold that still steps aside whole. */
    @Test
    void aLossDuringARequeueStillStepsAsideWithoutAReplacement() {
        Job job = submit("requeue-3", 1, 2, 3);
        var master = running(job, 2);
        master.tell(new JobMaster.Requeue("job urgent (priority high) waits for 2 node(s)"));
        for (int r = 0; r < 2; r++) expect(r, AgentProtocol.RequestCheckpoint.class);
        master.tell(new JobMaster.NodeLost("node2", "left the cluster")); // before any checkpoint: the ring broke
        master.tell(new JobMaster.Reported(new AgentProtocol.RankStalled("requeue-3", 1, 0, "node1", 240, "peer closed")));
        assertEquals(240, expect(0, AgentProtocol.RequestCheckpoint.class).step(), "the survivor checkpoints the step it holds");
        master.tell(new JobMaster.Reported(new AgentProtocol.CheckpointReported("requeue-3", 1, 0, "node1", 240, "/d", 1, 10, 0.5, 2,
                "requested", "digest-0")));
        assertFalse(expect(0, AgentProtocol.StopGeneration.class).park(), "it still gives its node back");
        master.tell(new JobMaster.Reported(new AgentProtocol.RankExited("requeue-3", 1, 0, "node1", 75, "")));
        var released = manager.expectMessageClass(JobManager.ReleaseNodes.class);
        assertTrue(released.nodeIds().contains("node1"), released.toString());
        assertTrue(released.then().requeued(), "still waits its turn behind the job it made room for");
        assertEquals(240, released.then().resumeStep());
        var ps = stored("requeue-3").elastic().preemptions();
        assertEquals(List.of(RecoveryKind.KILL, RecoveryKind.REQUEUE), ps.stream().map(Preemption::kind).toList(), ps.toString());
        manager.expectNoMessage(Duration.ofMillis(200)); // no RequestReplacement: a job stepping aside replaces nothing
    }
}
