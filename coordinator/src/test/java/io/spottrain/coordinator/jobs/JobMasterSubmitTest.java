package io.spottrain.coordinator.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.spottrain.coordinator.settings.CoordinatorSettings;
import io.spottrain.coordinator.state.StateStore;
import io.spottrain.coordinator.state.StoreWriter;
import io.spottrain.coordinator.state.Table;
import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.wire.AgentProtocol;
import io.spottrain.protocol.wire.NodeInfo;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A job submitted now ({@link JobOutbox#unstored}): stored with its first change, the API answered
 * only then, and nothing of it acting before. A probe plays the store's writer, so each test sees
 * every write the job master sends and answers it when it chooses (a write in flight, a write that
 * fails).
 */
class JobMasterSubmitTest {
    static final ActorTestKit kit = ActorTestKit.create(ConfigFactory.parseString("pekko.loglevel = OFF"));
    /** Flushes every 100 ms: a flush that wrote early would show within the tests' waits. */
    static final CoordinatorSettings SETTINGS = CoordinatorSettings.create(ConfigFactory.parseMap(Map.of(
            "spottrain.coordinator.progress-flush-interval", "100ms")).withFallback(ConfigFactory.load()));

    TestProbe<StoreWriter.Command> writer;
    TestProbe<JobManager.Command> manager;
    TestProbe<Outcome> api;
    List<TestProbe<AgentProtocol.Command>> agents;

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    @BeforeEach
    void setUp() {
        writer = kit.createTestProbe(StoreWriter.Command.class);
        manager = kit.createTestProbe(JobManager.Command.class);
        api = kit.createTestProbe(Outcome.class);
        agents = new ArrayList<>();
        for (int i = 0; i < 2; i++) agents.add(kit.createTestProbe(AgentProtocol.Command.class));
    }

    /** A job submitted now (spec min 2): its master has asked the manager for nodes, and written nothing. */
    ActorRef<JobMaster.Command> submitted(String id) {
        var s = JobStore.submitted(id, Jobs.spec(2, 2, 1), "test", Jobs.T0, null);
        var deps = new JobHandlers.Deps(manager.getRef(), writer.getRef(), kit.createTestProbe(AgentProtocol.Report.class).getRef(),
                SETTINGS, Clock.systemUTC(), "control-test", manager.getRef());
        var master = kit.spawn(JobMaster.create(s.job(), new JobMaster.Submit(s.puts(), api.getRef()), deps));
        manager.expectMessageClass(JobManager.WantsNodes.class); // before any write: placement overlaps nothing
        return master;
    }

    /** The manager says why the job waits: that change is the job's first write (returned, not yet answered). */
    StoreWriter.Write waitsAndIsBeingStored(ActorRef<JobMaster.Command> master) {
        master.tell(new JobMaster.Waiting("waiting for capacity: needs 2 workers, 0 free"));
        return writer.expectMessageClass(StoreWriter.Write.class);
    }

    JobMaster.Assignment node(int i, int offeredPort) {
        var info = new NodeInfo("node" + (i + 1), NodeMarket.SPOT, "g5.xlarge", 1, 0.42, 1.0, "z", "127.0.0.1", "", 0,
                "http://peer" + (i + 1), null);
        return new JobMaster.Assignment(info, agents.get(i).getRef(), offeredPort);
    }

    static List<Table> tables(StoreWriter.Write w) {
        return w.puts().stream().map(StateStore.Put::table).toList();
    }

    static JobDocument document(StoreWriter.Write w) {
        return JobDocument.read(w.puts().stream().filter(p -> p.table() == Table.JOBS).reduce((a, b) -> b).orElseThrow().json());
    }

    void nothingToAgents(Duration d) {
        agents.get(0).expectNoMessage(d);
        agents.get(1).expectNoMessage(Duration.ZERO);
    }

    @Test
    void aJobPlacedAtOnceIsStoredInOneWriteWithItsGenerationAndTheApiHearsOnlyThen() {
        var master = submitted("one-1");
        master.tell(new JobMaster.Placed(List.of(node(0, 29500), node(1, 0))));
        var w = writer.expectMessageClass(StoreWriter.Write.class);
        assertTrue(tables(w).contains(Table.SPECS), "the spec goes with the job's first write: " + tables(w));
        var doc = document(w);
        assertEquals(JobState.STARTING, doc.state());
        assertEquals(1, doc.generation());
        assertEquals(29500, doc.masterPort(), "placement and rendezvous in the same write");
        assertEquals(1, tables(w).stream().filter(t -> t == Table.JOBS).count(), "one document: the job's own, not the submit's too");
        api.expectNoMessage(Duration.ofMillis(200));
        nothingToAgents(Duration.ZERO);
        writer.expectNoMessage(Duration.ZERO);
        w.replyTo().tell(new StoreWriter.Written(w.token()));
        var ack = api.expectMessageClass(Outcome.JobAck.class);
        assertEquals("one-1", ack.jobId());
        for (int r = 0; r < 2; r++) assertEquals(r, agents.get(r).expectMessageClass(AgentProtocol.StartGeneration.class).rank());
    }

    @Test
    void aSubmitWhoseFirstWriteFailsIsRefusedWithTheReasonAndItsJobActsOnNothing() {
        var master = submitted("lost-1");
        master.tell(new JobMaster.Placed(List.of(node(0, 0), node(1, 0)))); // no port offered: rank 0's agent must be asked
        var w = writer.expectMessageClass(StoreWriter.Write.class);
        assertTrue(tables(w).contains(Table.SPECS), tables(w).toString());
        nothingToAgents(Duration.ofMillis(200)); // not even the port: a job not stored asks nothing of an agent
        w.replyTo().tell(new StoreWriter.WriteFailed(w.token(), "IllegalStateException: disk full"));
        var refused = api.expectMessageClass(Outcome.Refused.class);
        assertEquals(Outcome.Refusal.UNAVAILABLE, refused.refusal());
        assertEquals("the state store did not take the job: IllegalStateException: disk full", refused.message());
        var ended = manager.expectMessageClass(JobManager.JobEnded.class);
        assertEquals(List.of("node1", "node2"), ended.nodeIds(), "its nodes go back");
        assertTrue(ended.dropped(), "and any placed for it meanwhile");
        kit.createTestProbe().expectTerminated(master); // dropped, no retry
        writer.expectNoMessage(Duration.ofMillis(300)); // nothing written after the failure (no retry, no flush)
        nothingToAgents(Duration.ZERO);
        api.expectNoMessage(Duration.ZERO);
    }

    @Test
    void whileTheWriteThatStoresTheJobIsInFlightEveryLaterChangeWaitsForIt() {
        var master = submitted("wait-1");
        var first = waitsAndIsBeingStored(master);
        assertTrue(tables(first).contains(Table.SPECS), tables(first).toString());
        assertEquals(JobState.PENDING, document(first).state());
        master.tell(new JobMaster.Placed(List.of(node(0, 29500), node(1, 0)))); // while the first write is in flight
        writer.expectNoMessage(Duration.ofMillis(400)); // four flush intervals: nothing may be written before the job is
        nothingToAgents(Duration.ZERO);
        first.replyTo().tell(new StoreWriter.Written(first.token()));
        assertEquals("wait-1", api.expectMessageClass(Outcome.JobAck.class).jobId());
        var second = writer.expectMessageClass(StoreWriter.Write.class); // at once, not at the next flush
        assertFalse(tables(second).contains(Table.SPECS), "the spec was stored with the first: " + tables(second));
        assertEquals(1, document(second).generation());
        nothingToAgents(Duration.ofMillis(100)); // the ranks start once the generation is stored
        second.replyTo().tell(new StoreWriter.Written(second.token()));
        for (int r = 0; r < 2; r++) agents.get(r).expectMessageClass(AgentProtocol.StartGeneration.class);
    }

    @Test
    void aJobPlacedWhileTheWriteThatStoresItIsInFlightAsksNoAgentForAPortBeforeItIsStored() {
        var master = submitted("ask-1");
        var first = waitsAndIsBeingStored(master);
        master.tell(new JobMaster.Placed(List.of(node(0, 0), node(1, 0)))); // no port offered: rank 0's agent must be asked
        nothingToAgents(Duration.ofMillis(300));
        first.replyTo().tell(new StoreWriter.Written(first.token()));
        api.expectMessageClass(Outcome.JobAck.class);
        var second = writer.expectMessageClass(StoreWriter.Write.class);
        assertEquals(1, document(second).generation());
        nothingToAgents(Duration.ofMillis(100)); // the placement is stored before anything is asked of its nodes
        second.replyTo().tell(new StoreWriter.Written(second.token()));
        assertEquals("ask-1", agents.get(0).expectMessageClass(AgentProtocol.AllocatePort.class).jobId());
    }

    @Test
    void aFailedFirstWriteWithAPlacementWaitingForItGivesThePlacedNodesBackAndStartsNothing() {
        var master = submitted("held-1");
        var first = waitsAndIsBeingStored(master);
        master.tell(new JobMaster.Placed(List.of(node(0, 29500), node(1, 0))));
        writer.expectNoMessage(Duration.ofMillis(200));
        first.replyTo().tell(new StoreWriter.WriteFailed(first.token(), "IllegalStateException: disk full"));
        api.expectMessageClass(Outcome.Refused.class);
        assertEquals(List.of("node1", "node2"), manager.expectMessageClass(JobManager.JobEnded.class).nodeIds());
        kit.createTestProbe().expectTerminated(master);
        writer.expectNoMessage(Duration.ofMillis(300));
        nothingToAgents(Duration.ZERO);
    }

    @Test
    void eventsAreStoredOnceEachAcrossTheFirstAndSecondWrites() {
        var master = submitted("seq-1");
        var first = waitsAndIsBeingStored(master);
        master.tell(new JobMaster.Placed(List.of(node(0, 29500), node(1, 0))));
        first.replyTo().tell(new StoreWriter.Written(first.token()));
        var second = writer.expectMessageClass(StoreWriter.Write.class);
        var keys = new ArrayList<String>();
        for (var w : List.of(first, second)) {
            w.puts().stream().filter(p -> p.table() == Table.EVENTS).forEach(p -> keys.add(p.key()));
        }
        var expected = new ArrayList<String>();
        for (long s = 0; s < document(second).eventCount(); s++) expected.add(Table.seqKey("seq-1", s));
        assertEquals(expected, keys, "every event once, in order, none missing");
    }

    @Test
    void aJobNoChangeReachesIsStoredByTheNextFlush() {
        submitted("quiet-1"); // the manager says nothing (it would say where the job runs or why it waits)
        var w = writer.expectMessageClass(StoreWriter.Write.class, Duration.ofSeconds(2));
        assertTrue(tables(w).contains(Table.SPECS), tables(w).toString());
        assertEquals(JobState.PENDING, document(w).state());
        api.expectNoMessage(Duration.ofMillis(100));
        w.replyTo().tell(new StoreWriter.Written(w.token()));
        assertEquals("quiet-1", api.expectMessageClass(Outcome.JobAck.class).jobId());
    }

    @Test
    void aJobManagerThatStopsBeforeTheJobIsStoredAnswersTheSubmit() {
        var master = submitted("stop-1");
        kit.stop(master);
        var refused = api.expectMessageClass(Outcome.Refused.class);
        assertEquals(Outcome.Refusal.UNAVAILABLE, refused.refusal());
        assertEquals("the job manager stopped before job stop-1 was stored; submit it again", refused.message());
    }
}
