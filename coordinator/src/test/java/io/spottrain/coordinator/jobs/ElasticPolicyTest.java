package io.spottrain.coordinator.jobs;

import static io.spottrain.coordinator.jobs.Jobs.aJob;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.coordinator.jobs.ElasticPolicy.BeginRecovery;
import io.spottrain.coordinator.jobs.ElasticPolicy.Close;
import io.spottrain.coordinator.jobs.ElasticPolicy.Decision;
import io.spottrain.coordinator.jobs.ElasticPolicy.DepartedAsAnnounced;
import io.spottrain.coordinator.jobs.ElasticPolicy.Fail;
import io.spottrain.coordinator.jobs.ElasticPolicy.GrowAfter;
import io.spottrain.coordinator.jobs.ElasticPolicy.Ignore;
import io.spottrain.coordinator.jobs.ElasticPolicy.NoticeBecomesLoss;
import io.spottrain.coordinator.jobs.ElasticPolicy.RecordOnly;
import io.spottrain.coordinator.jobs.ElasticPolicy.RestartForming;
import io.spottrain.coordinator.jobs.ElasticPolicy.Succeed;
import io.spottrain.coordinator.jobs.ElasticPolicy.SuspectLater;
import io.spottrain.coordinator.jobs.ElasticPolicy.Widen;
import io.spottrain.coordinator.jobs.StagingPolicy.TimedOut;
import io.spottrain.protocol.contract.Contract;
import io.spottrain.protocol.spec.ScaleUp;
import io.spottrain.protocol.wire.InterruptionKind;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Every elastic decision, as a table: the job as it stands, what happened, what the policy decides. */
class ElasticPolicyTest {

    static Arguments row(String what, Job job, Object input, Decision expected) {
        return Arguments.of(what, job, input, expected);
    }

    static Stream<Arguments> nodeLost() {
        return Stream.of(
                row("a node the job does not use", aJob().running(3).build(), "node9", new Ignore()),
                row("a pending job has no nodes", aJob().pending(), "node1", new Ignore()),
                row("a running, recoverable job of 3 recovers", aJob().running(3).build(), "node2",
                        new BeginRecovery(RecoveryKind.KILL, "node2", 0.5)),
                row("ranks that never said hello cannot be resumed", aJob().running(3).notAttached(1).build(), "node2",
                        new Fail("node node2 (rank 1) was lost: it left (its ranks do not speak the training contract, so they cannot be resumed)")),
                row("a world of one has no survivor to checkpoint", aJob().running(1).build(), "node1",
                        new Fail("node node1 (rank 0) was lost: it left")),
                row("a forming generation after a resume restarts from the same step", aJob().forming(3).resumedFrom(300).build(), "node3",
                        new RestartForming(RecoveryKind.KILL, "node3")),
                row("a forming first generation forms again without the node", aJob().forming(2).build(), "node2",
                        new RestartForming(RecoveryKind.KILL, "node2")),
                row("after the generation closed nothing of the job runs there", aJob().running(3).recovering(RecoveryKind.KILL, "node1")
                        .closed().build(), "node2", new RecordOnly()),
                row("a survivor lost during a recovery widens it", aJob().running(3).recovering(RecoveryKind.KILL, "node1").build(), "node3",
                        new Widen("node3", 2)),
                row("the node a loss recovery is about, lost again", aJob().running(3).recovering(RecoveryKind.KILL, "node1").build(), "node1",
                        new DepartedAsAnnounced(0, true)),
                row("the noticed node leaves before the emergency checkpoint", aJob().running(3).recovering(RecoveryKind.NOTICE, "node1")
                        .build(), "node1", new NoticeBecomesLoss(0)),
                row("the noticed node leaves after every rank checkpointed", aJob().running(3).recovering(RecoveryKind.NOTICE, "node1")
                        .recovery(r -> r.agreed(200).checkpointed(0).checkpointed(1).checkpointed(2)).exited(0, 75).build(), "node1",
                        new DepartedAsAnnounced(0, false)),
                row("a lost node that is no survivor any more", aJob().running(3).recovering(RecoveryKind.KILL, "node1")
                        .recovery(r -> r.withAlsoLost("node3", 2)).build(), "node3", new RecordOnly()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void nodeLost(String what, Job job, String node, Decision expected) {
        assertEquals(expected, ElasticPolicy.onNodeLost(job, node, "left", 0.5));
    }

    static Stream<Arguments> notice() {
        return Stream.of(
                row("a rebalance recommendation is only recorded", aJob().running(3).build(), InterruptionKind.REBALANCE, new RecordOnly()),
                row("a Spot notice on a running, recoverable job", aJob().running(3).build(), InterruptionKind.SPOT_INTERRUPTION,
                        new BeginRecovery(RecoveryKind.NOTICE, "node2", 0)),
                row("SIGTERM is a notice too", aJob().running(3).build(), InterruptionKind.SIGTERM,
                        new BeginRecovery(RecoveryKind.NOTICE, "node2", 0)),
                row("a notice while a resumed generation forms", aJob().forming(3).resumedFrom(100).build(), InterruptionKind.SIGTERM,
                        new RestartForming(RecoveryKind.NOTICE, "node2")),
                row("a notice while the first generation forms: it forms again without the node", aJob().forming(3).build(),
                        InterruptionKind.SIGTERM, new RestartForming(RecoveryKind.NOTICE, "node2")),
                row("a recovering job is not active", aJob().running(3).recovering(RecoveryKind.KILL, "node1").build(),
                        InterruptionKind.SIGTERM, new Ignore()),
                row("a notice while a newcomer of the running generation has not attached: held", aJob().running(3).notAttached(2)
                        .build(), InterruptionKind.SPOT_INTERRUPTION, new ElasticPolicy.HoldNotice("node2")),
                row("a rebalance recommendation then is still only recorded", aJob().running(3).notAttached(2).build(),
                        InterruptionKind.REBALANCE, new RecordOnly()),
                row("a program that never attached (no contract): only recorded, its loss decides", aJob().running(2).notAttached(0)
                        .notAttached(1).build(), InterruptionKind.SPOT_INTERRUPTION, new RecordOnly()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void notice(String what, Job job, InterruptionKind kind, Decision expected) {
        assertEquals(expected, ElasticPolicy.onNotice(job, "node2", kind));
    }

    /** The notice window: deadline in seconds from now (-1: none), a 15 s swap margin, replacements on or off. */
    @ParameterizedTest(name = "deadline in {0} s, replaceable {1}, {2} -> {3}")
    @CsvSource(delimiter = '|', textBlock = """
            120 | true  | running | defer, swap by +105 s
            16  | true  | running | defer, swap by +1 s
            15  | true  | running | notice now
            10  | true  | running | notice now
            -1  | true  | running | notice now
            120 | false | running | notice now
            120 | true  | forming | restart forming
            """)
    void aNoticeWithTimeToSpareWaitsForItsReplacement(int deadlineIn, boolean replaceable, String state, String expected) {
        Instant now = Jobs.T0.plusSeconds(1000);
        Job job = state.equals("running") ? aJob().running(3).build() : aJob().forming(3).build();
        var d = ElasticPolicy.onNotice(job, "node2", InterruptionKind.SPOT_INTERRUPTION, deadlineIn < 0 ? null : now.plusSeconds(deadlineIn),
                now, Duration.ofSeconds(15), replaceable);
        Decision want = switch (expected) {
            case "notice now" -> new BeginRecovery(RecoveryKind.NOTICE, "node2", 0);
            case "restart forming" -> new RestartForming(RecoveryKind.NOTICE, "node2");
            default -> new ElasticPolicy.DeferNotice("node2", now.plusSeconds(Long.parseLong(expected.replaceAll("\\D", ""))));
        };
        assertEquals(want, d);
    }

    static Stream<Arguments> rankExited() {
        return Stream.of(
                row("one rank done, others running", aJob().running(3).exited(1, 0).build(), 0, new RecordOnly()),
                row("the last rank done", aJob().running(2).exited(0, 0).exited(1, 0).build(), 0, new Succeed("all 2 ranks exited 0")),
                row("a failure with restarts left", aJob().running(3).exited(1, 1).build(), 1, new BeginRecovery(RecoveryKind.FAILURE, "node2", 0)),
                row("a failure with no restart left", aJob().maxRestarts(2).running(3).restartsUsed(2).exited(1, 1).build(), 1,
                        new Fail("rank 1 on node2 exited with code 1: boom (no restart left: maxRestarts 2 used)")),
                row("a failure of a rank that never said hello", aJob().running(3).notAttached(2).exited(1, 1).build(), 1,
                        new Fail("rank 1 on node2 exited with code 1: boom")),
                // torch/gloo ranks report the broken collective, write their last step and exit 75 before any loss is known
                row("a stalled rank that stopped resumably (75) spends no restart", aJob().running(3).stalled(1, 407).exited(1, 75).build(),
                        75, new RecordOnly()),
                row("75 from a rank that never stalled is still a failure", aJob().running(3).exited(1, 75).build(), 75,
                        new BeginRecovery(RecoveryKind.FAILURE, "node2", 0)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void rankExited(String what, Job job, int code, Decision expected) {
        assertEquals(expected, ElasticPolicy.onRankExited(job, 1, "node2", code, "boom"));
    }

    static Stream<Arguments> recoveryExit() {
        var checkpointed = aJob().running(3).recovering(RecoveryKind.KILL, "node1").recovery(r -> r.agreed(118).checkpointed(1)
                .checkpointed(2));
        return Stream.of(
                row("every survivor checkpointed and stopped", checkpointed.exited(1, 75).exited(2, 75)
                        .recovery(r -> r.exited(1).exited(2)).build(), new Object[] {2, "node3", 75}, new Close()),
                row("a survivor stopped, another still runs", aJob().running(3).recovering(RecoveryKind.KILL, "node1")
                        .recovery(r -> r.agreed(118).checkpointed(1).checkpointed(2).exited(1)).exited(1, 75).build(),
                        new Object[] {1, "node2", 75}, new RecordOnly()),
                row("a resumable exit before the checkpoint", aJob().running(3).recovering(RecoveryKind.KILL, "node1").exited(1, 75).build(),
                        new Object[] {1, "node2", Contract.EXIT_RESUMABLE}, new RecordOnly()),
                row("an error before the checkpoint", aJob().running(3).recovering(RecoveryKind.KILL, "node1").exited(1, 2).build(),
                        new Object[] {1, "node2", 2}, new Fail("rank 1 on node2 exited with code 2 during recovery, before its checkpoint")),
                row("the lost node's own rank may exit any way", aJob().running(3).recovering(RecoveryKind.KILL, "node1").exited(0, 137)
                        .build(), new Object[] {0, "node1", 137}, new RecordOnly()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void recoveryExit(String what, Job job, Object[] exit, Decision expected) {
        assertEquals(expected, ElasticPolicy.onRecoveryExit(job, (int) exit[0], (String) exit[1], (int) exit[2]));
    }

    static Stream<Arguments> stall() {
        return Stream.of(
                row("every rank stalled, none missing: the collective broke by itself", aJob().running(3).stalled(0, 50).stalled(1, 50)
                        .stalled(2, 51).build(), null, new BeginRecovery(RecoveryKind.STALL, null, 2.5)),
                row("every rank stalled and no restart left", aJob().maxRestarts(1).running(2).restartsUsed(1).stalled(0, 5).stalled(1, 5)
                        .build(), null, new Fail("every rank stalled ({0=5, 1=5}) and no restart is left: maxRestarts 1 used")),
                row("two of three stalled: judge the silent one later", aJob().running(3).stalled(0, 50).stalled(2, 50).build(), null,
                        new SuspectLater()),
                row("a stall while forming", aJob().forming(3).stalled(0, 0).build(), null, new Ignore()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void stall(String what, Job job, Object unused, Decision expected) {
        var d = ElasticPolicy.onStall(job, 2.5);
        if (expected instanceof Fail f && d instanceof Fail g) {
            assertTrue(g.reason().startsWith("every rank stalled (") && g.reason().endsWith("maxRestarts 1 used"), g.reason());
        } else {
            assertEquals(expected, d);
        }
    }

    @Test
    void theSilentAreSuspectsOnlyWhileOthersStalled() {
        assertEquals(List.of("node2"), ElasticPolicy.suspects(aJob().running(3).stalled(0, 9).stalled(2, 9).build()).stream()
                .map(Member::nodeId).toList());
        assertEquals(List.of(), ElasticPolicy.suspects(aJob().running(3).build()), "nobody stalled: nobody is suspect");
        assertEquals(List.of(), ElasticPolicy.suspects(aJob().running(3).stalled(0, 9).build().transition(JobState.CANCELLED, "x",
                Jobs.T0)), "only while running");
    }

    static Stream<Arguments> agreement() {
        return Stream.of(
                Arguments.of("survivors agree on the smallest stalled step", aJob().running(3).recovering(RecoveryKind.KILL, "node1")
                        .stalled(1, 120).stalled(2, 118).build(), OptionalLong.of(118)),
                Arguments.of("a survivor has not reported yet", aJob().running(3).recovering(RecoveryKind.KILL, "node1").stalled(1, 120)
                        .build(), OptionalLong.empty()),
                Arguments.of("a notice agrees through its collective request, not stalls", aJob().running(3)
                        .recovering(RecoveryKind.NOTICE, "node1").stalled(0, 5).stalled(1, 5).stalled(2, 5).build(), OptionalLong.empty()),
                Arguments.of("already agreed", aJob().running(2).recovering(RecoveryKind.KILL, "node1").stalled(1, 7)
                        .recovery(r -> r.agreed(7)).build(), OptionalLong.empty()),
                Arguments.of("a world of one failed: rank 0's newest checkpoint", aJob().running(1).committed(100, 0).committed(200, 0)
                        .recovering(RecoveryKind.FAILURE, "node1").build(), OptionalLong.of(200)),
                Arguments.of("nothing committed: where the generation started", aJob().running(1).resumedFrom(40)
                        .recovering(RecoveryKind.FAILURE, "node1").build(), OptionalLong.of(40)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void agreement(String what, Job job, OptionalLong expected) {
        assertEquals(expected, ElasticPolicy.agreeOnStep(job));
    }

    static Stream<Arguments> outOfReach() {
        return Stream.of(
                Arguments.of("a survivor stalled before the growth's agreed step", aJob().running(3).recovering(RecoveryKind.GROW, null)
                        .recovery(r -> r.agreed(430).checkpointed(0)).stalled(0, 430).stalled(2, 429).build(), List.of(2)),
                Arguments.of("a notice's too", aJob().running(3).recovering(RecoveryKind.NOTICE, "node2")
                        .recovery(r -> r.agreed(430)).stalled(0, 429).stalled(2, 430).build(), List.of(0)),
                Arguments.of("a step past it: it holds the agreed step (asked for it)", aJob().running(3).recovering(RecoveryKind.GROW, null)
                        .recovery(r -> r.agreed(430).checkpointed(0)).stalled(0, 430).stalled(2, 431).build(), List.of()),
                Arguments.of("no step agreed yet", aJob().running(3).recovering(RecoveryKind.GROW, null).stalled(2, 429).build(), List.of()),
                Arguments.of("a loss agrees from the stalls already", aJob().running(3).recovering(RecoveryKind.KILL, "node2")
                        .recovery(r -> r.agreed(430)).stalled(0, 430).stalled(2, 429).build(), List.of()),
                Arguments.of("a shrink's too", aJob().running(3).recovering(RecoveryKind.SHRINK, "node3")
                        .recovery(r -> r.agreed(430)).stalled(1, 429).build(), List.of(1)),
                Arguments.of("every survivor holds it already: nothing to start over", aJob().running(2).recovering(RecoveryKind.GROW, null)
                        .recovery(r -> r.agreed(430).checkpointed(0).checkpointed(1)).stalled(1, 429).build(), List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void outOfReach(String what, Job job, List<Integer> expected) {
        assertEquals(expected, ElasticPolicy.outOfReach(job));
    }

    @Test
    void aNoticeThatBecomesALossLeavesTheNoticedRankOutAndStartsItsAgreementOver() {
        var rec = Recovery.begin(RecoveryKind.NOTICE, "node2", List.of(0, 1, 2), "2026-12-04T00:00:00Z", 0, 431).agreed(430).checkpointed(0)
                .exited(2);
        var loss = rec.asLoss(1);
        assertEquals(RecoveryKind.KILL, loss.kind());
        assertEquals(List.of(0, 2), loss.survivors(), "node2's rank leaves, as when a noticed node goes before its checkpoint");
        assertEquals(-1, loss.agreedStep());
        assertEquals(Set.of(), loss.checkpointed());
        assertEquals(Set.of(2), loss.exited());
        assertEquals(List.of(0, 1, 2), rec.asLoss(null).survivors(), "a growth has no departing rank");
    }

    static Stream<Arguments> owed() {
        return Stream.of(
                Arguments.of("stalled a step past the agreed step, not written", aJob().running(3).recovering(RecoveryKind.GROW, null)
                        .recovery(r -> r.agreed(430).checkpointed(0)).stalled(0, 430).stalled(2, 431).build(), List.of(2)),
                Arguments.of("stalled at it, not written (its collective request went with the ring)", aJob().running(3)
                        .recovering(RecoveryKind.NOTICE, "node1").recovery(r -> r.agreed(430)).stalled(1, 430).build(), List.of(1)),
                Arguments.of("committed already (its report counted by the catalog)", aJob().running(3).committed(430, 2)
                        .recovering(RecoveryKind.GROW, null).recovery(r -> r.agreed(430)).stalled(2, 431).build(), List.of()),
                Arguments.of("not stalled: its collective request may still come through", aJob().running(3)
                        .recovering(RecoveryKind.GROW, null).recovery(r -> r.agreed(430)).build(), List.of()),
                Arguments.of("stalled before it: out of reach, not owed", aJob().running(3).recovering(RecoveryKind.GROW, null)
                        .recovery(r -> r.agreed(430)).stalled(2, 429).build(), List.of()),
                Arguments.of("exited already: nothing to ask", aJob().running(3).exited(2, 75).recovering(RecoveryKind.GROW, null)
                        .recovery(r -> r.agreed(430)).stalled(2, 431).build(), List.of()),
                Arguments.of("a loss asks through its own agreement", aJob().running(3).recovering(RecoveryKind.KILL, "node2")
                        .recovery(r -> r.agreed(430)).stalled(2, 431).build(), List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void owed(String what, Job job, List<Integer> expected) {
        assertEquals(expected, ElasticPolicy.owed(job));
    }

    static Stream<Arguments> capacityFree() {
        // the generation opened at T0+1 s; the cooldown is 60 s; now is T0+120 s unless the row says otherwise
        return Stream.of(
                row("a running job below max grows", aJob().workers(1, 4).running(2).build(), 2, new BeginRecovery(RecoveryKind.GROW, null, 0)),
                row("at its max it does not", aJob().workers(1, 2).running(2).build(), 2, new Ignore()),
                row("no free node", aJob().workers(1, 4).running(2).build(), 0, new Ignore()),
                row("a rank not attached cannot checkpoint on request", aJob().workers(1, 4).running(2).notAttached(1).build(), 1,
                        new Ignore()),
                row("during a recovery it does not", aJob().workers(1, 4).running(2).recovering(RecoveryKind.KILL, "node1").build(), 1,
                        new Ignore()),
                row("scaleUp: never", aJob().scaleUp(ScaleUp.NEVER).workers(1, 4).running(2).build(), 1, new Ignore()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void capacityFree(String what, Job job, int free, Decision expected) {
        assertEquals(expected, ElasticPolicy.onCapacityFree(job, free, Jobs.T0.plusSeconds(120), Duration.ofSeconds(60)));
    }

    @Test
    void aGrowthThatCostsMoreTrainingTimeThanItSavesIsNotMadeUnlessAnOperatorAskedForIt() {
        var pace = new Pace(1000, 2.0, Map.of(2, new Pace.Rate(2.0, 60)), -1, null, 0);
        Job nearTheEnd = aJob().workers(1, 4).running(2).build().withTraining(t -> t.progress(995, 0.1, 0, 0).withPace(pace));
        var d = ElasticPolicy.onCapacityFree(nearTheEnd, 2, Jobs.T0.plusSeconds(120), Duration.ofSeconds(60));
        var skipped = assertInstanceOf(ElasticPolicy.NotWorthGrowing.class, d);
        assertTrue(skipped.why().startsWith("not growing to 4: 5 steps left"), skipped.why());
        assertEquals(new BeginRecovery(RecoveryKind.GROW, null, 0),
                ElasticPolicy.onCapacityFree(nearTheEnd, 2, Jobs.T0.plusSeconds(120), Duration.ofSeconds(60), false), "an operator's resize is not weighed");
        Job early = aJob().workers(1, 4).running(2).build().withTraining(t -> t.progress(100, 0.1, 0, 0).withPace(pace));
        assertEquals(new BeginRecovery(RecoveryKind.GROW, null, 0), ElasticPolicy.onCapacityFree(early, 2, Jobs.T0.plusSeconds(120),
                Duration.ofSeconds(60)));
    }

    static Stream<Arguments> stagedReady() {
        // no cooldown row: a generation one second old grows into newcomers that are up
        return Stream.of(
                Arguments.of("staged newcomers up: grow now, however young the generation", aJob().workers(1, 4).running(2).build(), true,
                        new BeginRecovery(RecoveryKind.GROW, null, 0)),
                Arguments.of("a rank that cannot re-form in place", aJob().workers(1, 4).running(2).build(), false, new Ignore()),
                Arguments.of("a rank not attached yet", aJob().workers(1, 4).running(2).notAttached(1).build(), true, new Ignore()),
                Arguments.of("a recovery under way takes them itself", aJob().workers(1, 4).running(2).recovering(RecoveryKind.KILL, "node1")
                        .build(), true, new Ignore()),
                Arguments.of("at its max", aJob().workers(1, 2).running(2).build(), true, new Ignore()),
                Arguments.of("scaleUp: never", aJob().scaleUp(ScaleUp.NEVER).workers(1, 4).running(2).build(), true, new Ignore()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void stagedReady(String what, Job job, boolean reformable, Decision expected) {
        assertEquals(expected, StagingPolicy.onStagedReady(job, reformable));
    }

    static Stream<Arguments> stagingTimedOut() {
        var running = aJob().workers(1, 4).running(2).build();
        return Stream.of(
                Arguments.of("one newcomer up: grow with it now", running, true, 1, 1, TimedOut.GROW),
                Arguments.of("... also at the last time-out (those still starting are let go beside it)", running, true, 1, 2, TimedOut.GROW),
                Arguments.of("none up at the first time-out: wait, no re-form for nobody", running, true, 0, 1, TimedOut.WAIT),
                Arguments.of("none up at the second: let them go", running, true, 0, 2, TimedOut.LET_GO),
                Arguments.of("a rank cannot re-form in place any more: let them go", running, false, 1, 1, TimedOut.LET_GO),
                Arguments.of("at its max meanwhile (an operator's resize): let them go", aJob().workers(1, 2).running(2).build(), true, 1, 1,
                        TimedOut.LET_GO));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void stagingTimedOut(String what, Job job, boolean reformable, int ready, int timeouts, TimedOut expected) {
        assertEquals(expected, StagingPolicy.onStagingTimedOut(job, reformable, ready, timeouts));
    }

    static Stream<Arguments> carryStaged() {
        // workers min 2 max 4 unless the row says otherwise
        return Stream.of(
                Arguments.of("2 stay, 1 newcomer still starting: open with the 2, grow when it is up", aJob().workers(2, 4).running(3).build(),
                        2, 0, 1, true),
                Arguments.of("1 stays + 1 ready meet min 2", aJob().workers(2, 4).running(3).build(), 1, 1, 1, true),
                Arguments.of("1 stays, below min 2 without the starting one: wait for it", aJob().workers(2, 4).running(2).build(), 1, 0, 1,
                        false),
                Arguments.of("every newcomer is ready: nothing to carry", aJob().workers(2, 4).running(3).build(), 2, 1, 0, false),
                Arguments.of("nobody stays (resume from S3): wait", aJob().workers(1, 4).running(2).build(), 0, 0, 2, false),
                Arguments.of("scaleUp: never cannot grow later: wait", aJob().scaleUp(ScaleUp.NEVER).workers(2, 4).running(3).build(), 2, 0, 1,
                        false),
                Arguments.of("a kill's close still carries", aJob().workers(2, 4).running(3).recovering(RecoveryKind.KILL, "node3").build(), 2, 0,
                        1, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void carryStaged(String what, Job job, int staying, int ready, int notReady, boolean expected) {
        assertEquals(expected, StagingPolicy.carryStaged(job, staying, ready, notReady));
    }

    @Test
    void aYoungGenerationWaitsForTheCooldownBeforeItGrows() {
        Job job = aJob().workers(1, 4).running(2).build();
        Duration age = Duration.between(Instant.parse(job.generationOpenedAt()), Jobs.T0.plusSeconds(30));
        assertEquals(new GrowAfter(Duration.ofSeconds(60).minus(age)), ElasticPolicy.onCapacityFree(job, 1, Jobs.T0.plusSeconds(30), Duration.ofSeconds(60)),
                "offered again when the cooldown ends");
        assertEquals(new BeginRecovery(RecoveryKind.GROW, null, 0), ElasticPolicy.onCapacityFree(job, 1, Jobs.T0.plusSeconds(61),
                Duration.ofSeconds(60)));
    }

    @Test
    void growingRecordsNoPreemptionAndKeepsEveryNode() {
        Job job = aJob().workers(1, 4).running(2).committed(300, 0, 1).recovering(RecoveryKind.GROW, null)
                .recovery(r -> r.agreed(300).checkpointed(0).checkpointed(1)).build();
        var plan = ElasticPolicy.closePlan(job);
        assertEquals(300, plan.resumeStep());
        assertEquals(List.of(), plan.preemptions());
        assertEquals(List.of("node1", "node2"), plan.keepNodes());
    }

    @Test
    void survivorsThatWroteTheAgreedStepWhenTheyStalledAreCountedAndTheGenerationCanClose() {
        // torch/gloo: the survivors stall, write step 256, exit 75; only then is the silent node suspected
        Job job = aJob().running(3).stalled(0, 256).stalled(1, 256).committed(256, 0, 1).exited(0, 75).exited(1, 75)
                .recovering(RecoveryKind.KILL, "node3").build();
        var rec = ElasticPolicy.withCommitted(job, job.elastic().recovery().agreed(256));
        assertTrue(rec.allCheckpointed(), rec::toString);
        assertTrue(ElasticPolicy.readyToClose(job.withElastic(e -> e.withRecovery(rec))));
        Job notYet = aJob().running(3).stalled(0, 256).stalled(1, 256).committed(256, 0).recovering(RecoveryKind.KILL, "node3").build();
        var partly = ElasticPolicy.withCommitted(notYet, notYet.elastic().recovery().agreed(256));
        assertEquals(Set.of(0), partly.checkpointed(), "rank 1 must still be asked");
        assertFalse(ElasticPolicy.readyToClose(notYet.withElastic(e -> e.withRecovery(partly))));
    }

    @Test
    void aRecoveryCountsOnlyTheAgreedStepOfItsSurvivors() {
        Job notice = aJob().running(3).recovering(RecoveryKind.NOTICE, "node1").build();
        assertTrue(ElasticPolicy.onRecoveryCheckpoint(notice, 1, 250, "interval").isEmpty(), "a periodic checkpoint sets no step");
        var first = ElasticPolicy.onRecoveryCheckpoint(notice, 1, 250, "requested").orElseThrow();
        assertEquals(250, first.agreedStep(), "the collective request's step");
        assertEquals(Set.of(1), first.checkpointed());

        Job kill = aJob().running(3).recovering(RecoveryKind.KILL, "node1").recovery(r -> r.agreed(118)).build();
        assertEquals(Set.of(2), ElasticPolicy.onRecoveryCheckpoint(kill, 2, 118, "requested").orElseThrow().checkpointed());
        assertTrue(ElasticPolicy.onRecoveryCheckpoint(kill, 2, 117, "requested").isEmpty(), "another step");
        assertTrue(ElasticPolicy.onRecoveryCheckpoint(kill, 0, 118, "requested").isEmpty(), "the lost rank is no survivor");
    }

    @Test
    void aNoticeResumesFromTheNewestStepEveryRankHolds() {
        Job job = aJob().running(3).step(260).committed(200, 0, 1, 2).committed(250, 0, 1, 2).committed(300, 0, 1)
                .recovering(RecoveryKind.NOTICE, "node2").recovery(r -> r.agreed(200).checkpointed(0).checkpointed(1).checkpointed(2))
                .build();
        var plan = ElasticPolicy.closePlan(job);
        assertEquals(250, plan.resumeStep(), "newer than the agreed step, and every survivor committed it (300: rank 2 did not)");
        assertEquals(List.of(new Preemption("node2", RecoveryKind.NOTICE, 250, 1.2, null, 0L, Jobs.T0.plusSeconds(20).toString())),
                plan.preemptions());
        assertEquals(List.of("node1", "node3"), plan.keepNodes());
    }

    @Test
    void aGrowthIsNoInterruptionButIsRecordedWithWhatItCost() {
        Job job = aJob().running(2).step(260).committed(250, 0, 1).recovering(RecoveryKind.GROW, null)
                .recovery(r -> r.agreed(250).checkpointed(0).checkpointed(1)).build();
        var plan = ElasticPolicy.closePlan(job);
        assertEquals(List.of(), plan.preemptions(), "a growth is no preemption");
        assertEquals(Growth.began(250, 2, Jobs.T0.plusSeconds(20).toString()), plan.growth());
        var e = job.elastic().nextGeneration(plan.resumeStep(), plan.preemptions(), plan.growth())
                .resumed(Jobs.T0.plusSeconds(21), 3);
        assertTrue(e.awaitsTraining(), "the growth waits for its first trained step");
        e = e.trained(Jobs.T0.plusMillis(22_500), 1.0, null); // reported 1 s of steps after the first one

        assertEquals(new Growth(250, 2, 3, Jobs.T0.plusSeconds(20).toString(), 1.0, 0, 1.5), e.growths().get(0));
        assertEquals(1.5, GrowthGain.cost(e.growths()), "what the next growth is weighed with");
    }

    @Test
    void aLossCountsTheStepsItLostAndEveryNodeOfTheWave() {
        Job job = aJob().running(4).step(130).recovering(RecoveryKind.KILL, "node1").recovery(r -> r.withAlsoLost("node4", 3).agreed(118))
                .build();
        var plan = ElasticPolicy.closePlan(job);
        assertEquals(118, plan.resumeStep());
        assertEquals(List.of("node1", "node4"), plan.preemptions().stream().map(Preemption::node).toList());
        assertEquals(List.of(12L, 12L), plan.preemptions().stream().map(Preemption::lostSteps).toList());
        assertEquals(List.of("node2", "node3"), plan.keepNodes());
    }

    @Test
    void aNoticeThatBecameALossIsRecordedAsTheNoticeWithTheStepsTheLossCost() {
        Job job = aJob().running(3).step(130).recovering(RecoveryKind.NOTICE, "node2").recovery(r -> r.asLossOf(1).agreed(118)).build();
        assertEquals(RecoveryKind.KILL, job.elastic().recovery().kind(), "it recovers as from a loss");
        var plan = ElasticPolicy.closePlan(job);
        assertEquals(List.of(new Preemption("node2", RecoveryKind.NOTICE, 118, 1.2, null, 12L, Jobs.T0.plusSeconds(20).toString())),
                plan.preemptions(), "node2 gave notice: its row says so, with the 12 steps the loss cost");
        Job converted = aJob().running(3).step(130).recovering(RecoveryKind.NOTICE, "node2").recovery(r -> r.asLoss(1).agreed(118)).build();
        assertEquals(RecoveryKind.NOTICE, ElasticPolicy.closePlan(converted).preemptions().get(0).kind(), "also when its step was out of reach");
        Job widened = aJob().running(3).step(130).recovering(RecoveryKind.NOTICE, "node2").recovery(r -> r.withAlsoLost("node3", 2).agreed(118))
                .build();
        assertEquals(List.of(new Preemption("node2", RecoveryKind.NOTICE, 118, 1.2, null, 12L, Jobs.T0.plusSeconds(20).toString()),
                new Preemption("node3", RecoveryKind.KILL, 118, 1.2, null, 12L, Jobs.T0.plusSeconds(20).toString())),
                ElasticPolicy.closePlan(widened).preemptions(), "another node lost before the notice's step: a wave, every row with its cost");
        Job lost = aJob().running(3).step(130).recovering(RecoveryKind.KILL, "node2").recovery(r -> r.agreed(118)).build();
        assertEquals(RecoveryKind.KILL, ElasticPolicy.closePlan(lost).preemptions().get(0).kind(), "a loss without notice stays one");
    }

    @Test
    void aFailureKeepsEveryNode() {
        Job job = aJob().running(2).recovering(RecoveryKind.FAILURE, "node2").recovery(r -> r.agreed(10)).build();
        assertEquals(List.of("node1", "node2"), ElasticPolicy.closePlan(job).keepNodes(), "the failing node stays (it is alive)");
        assertEquals(List.of(0), ElasticPolicy.survivors(job, RecoveryKind.FAILURE, "node2"));
        assertEquals(List.of(0, 1), ElasticPolicy.survivors(job, RecoveryKind.NOTICE, "node2"), "after a notice every member checkpoints");
    }
}
