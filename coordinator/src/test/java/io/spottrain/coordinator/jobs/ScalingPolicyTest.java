package io.spottrain.coordinator.jobs;

import static io.spottrain.coordinator.jobs.Jobs.aJob;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.spec.ScaleUp;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spottrain.protocol.json.Json;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ScalingPolicyTest {

    static Job desired(Job job, int n) {
        return job.withScaling(new ScalingEvent(Jobs.T0.toString(), job.generation(), job.targetWorkers(), n, job.worldSize(), null,
                "ops", ScalingSource.API, ScalingOutcome.ACCEPTED, null), n);
    }

    static Stream<Arguments> table() {
        Supplier<Job> running3 = () -> aJob().workers(2, 4).running(3).build();
        return Stream.of(
                Arguments.of("below min: 422 naming workers.min", running3.get(), 1, null, null,
                        "Refuse UNFIT workers 1 is below the job's minimum: spec.workers.min is 2"),
                Arguments.of("above max: 422 naming workers.max", running3.get(), 5, null, null,
                        "Refuse UNFIT workers 5 is above the job's maximum: spec.workers.max is 4"),
                Arguments.of("a stale expected generation: 409", running3.get(), 4, 0L, null,
                        "Refuse CONFLICT the job is at generation 1, not the expected 0: look again and retry"),
                Arguments.of("the expected generation matches", running3.get(), 4, 1L, null, "Grow 1"),
                Arguments.of("a forming generation: 409", aJob().workers(2, 4).forming(3).build(), 2, null, null,
                        "Refuse CONFLICT generation 1 is forming: retry once it is RUNNING"),
                Arguments.of("a recovery in flight: 409 naming it", aJob().workers(2, 4).running(3).recovering(RecoveryKind.NOTICE, "node2")
                        .build(), 3, null, null, "Refuse CONFLICT a generation change is in flight (notice recovery of generation 1): retry"),
                Arguments.of("waiting for nodes after its generation closed (requeued, held): the desired count only",
                        aJob().workers(2, 4).running(3).recovering(RecoveryKind.NOTICE, "node2").build().withElastic(e -> e.withRecovery(null)),
                        3, null, null, "SetDesired"),
                Arguments.of("newcomers being staged: 409", running3.get(), 4, null, "newcomers are being staged",
                        "Refuse CONFLICT newcomers are being staged: retry once it is done"),
                Arguments.of("an ended job: 409", aJob().workers(2, 4).running(3).build().transition(JobState.CANCELLED, "x", Jobs.T0),
                        3, null, null, "Refuse CONFLICT job j-1 already ended CANCELLED"),
                Arguments.of("bounds come before the state", aJob().workers(2, 4).forming(3).build(), 9, null, null, "Refuse UNFIT"),
                Arguments.of("up: grow by the difference", running3.get(), 4, null, null, "Grow 1"),
                Arguments.of("down: give back one node", running3.get(), 2, null, null, "Shrink [node3]"),
                Arguments.of("same size, no desired count below max: stop growing there", running3.get(), 3, null, null, "SetDesired"),
                Arguments.of("same size and already desired: unchanged", desired(running3.get(), 3), 3, null, null, "Unchanged"),
                Arguments.of("down while a rank has not attached: 409", aJob().workers(2, 4).running(3).notAttached(1).build(), 2, null,
                        null, "Refuse CONFLICT cannot shrink now: not every rank of generation 1 has attached yet"),
                Arguments.of("pending: the desired count only", aJob().workers(2, 4).pending(), 3, null, null, "SetDesired"),
                Arguments.of("up again to a count asked for, nothing launching (gave up, or a new job manager): asked again",
                        desired(running3.get(), 4), 4, null, null, "Grow 1"),
                Arguments.of("a job that never grows: 422 naming the field", aJob().workers(2, 4).scaleUp(ScaleUp.NEVER).running(3).build(),
                        4, null, null, "Refuse UNFIT the job never grows: spec.elastic.scaleUp is never"),
                Arguments.of("a job that never grows may still shrink", aJob().workers(2, 4).scaleUp(ScaleUp.NEVER).running(3).build(), 2,
                        null, null, "Shrink [node3]"),
                Arguments.of("pending at its max already: unchanged", aJob().workers(2, 4).pending(), 4, null, null, "Unchanged"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void decides(String name, Job job, int workers, Long expected, String busy, String want) {
        var v = ScalingPolicy.decide(job, workers, expected, busy);
        String got = switch (v.getClass().getSimpleName()) {
            case "Refuse" -> "Refuse " + ((ScalingPolicy.Refuse) v).refusal() + " " + ((ScalingPolicy.Refuse) v).why();
            case "Grow" -> "Grow " + ((ScalingPolicy.Grow) v).more();
            case "Shrink" -> "Shrink " + ((ScalingPolicy.Shrink) v).nodeIds();
            default -> v.getClass().getSimpleName();
        };
        assertTrue(got.startsWith(want), () -> "got: " + got);
    }

    @Test
    void nodesStillLaunchingForAnEarlierRequestAreNotAskedForAgain() {
        Job asked4 = desired(aJob().workers(2, 4).running(3).build(), 4);
        assertInstanceOf(ScalingPolicy.Unchanged.class, ScalingPolicy.decide(asked4, 4, null, null, 1), "the one node is coming");
        Job asked4of6 = desired(aJob().workers(1, 6).running(2).build(), 4);
        assertEquals(2, ((ScalingPolicy.Grow) ScalingPolicy.decide(asked4of6, 6, null, null, 2)).more(), "only the difference");
        assertEquals(3, ((ScalingPolicy.Grow) ScalingPolicy.decide(asked4of6, 6, null, null, 1)).more(),
                "one of the two was covered by a free node or gave up: the rest is asked again");
        Job asked5 = desired(aJob().workers(1, 6).running(2).build(), 5);
        assertInstanceOf(ScalingPolicy.SetDesired.class, ScalingPolicy.decide(asked5, 3, null, null, 3),
                "down below a growth still coming, above the world size: the count only");
    }

    @Test
    void theDearestNodesGoBackFirstThenTheHighestRank() {
        var members = List.of(Member.assigned(0, "a", NodeMarket.SPOT, 0.40, 1.0), Member.assigned(1, "b", NodeMarket.ON_DEMAND, 1.0, 1.0),
                Member.assigned(2, "c", NodeMarket.SPOT, 0.50, 1.0), Member.assigned(3, "d", NodeMarket.SPOT, 0.40, 1.0));
        assertEquals(List.of("b"), ScalingPolicy.giveBack(members, 1), "on-demand first");
        assertEquals(List.of("b", "c", "d"), ScalingPolicy.giveBack(members, 3), "then the dearest Spot, then the highest rank");
        assertEquals("a", ScalingPolicy.template(members), "a growth launches nodes like the cheapest Spot member");
    }

    @Test
    void reservedNodesGoBackLastAndAGrowthIsNotLaunchedLikeOne() {
        var members = List.of(Member.assigned(0, "r", NodeMarket.RESERVED, 0.634, 1.0), Member.assigned(1, "s", NodeMarket.SPOT, 0.40, 1.0),
                Member.assigned(2, "o", NodeMarket.ON_DEMAND, 1.0, 1.0));
        assertEquals(List.of("o", "s"), ScalingPolicy.giveBack(members, 2), "giving a reserved node back saves nothing");
        assertEquals("s", ScalingPolicy.template(members), "like the Spot member: a commitment's pool launches through the autoscaler");
        assertEquals("r", ScalingPolicy.template(List.of(members.get(0))), "a reserved-only job grows like its reserved node");
    }

    @Test
    void aDesiredCountCapsGrowthAndOffers() {
        Job job = desired(aJob().workers(2, 4).running(3).build(), 3);
        assertEquals(3, job.targetWorkers());
        assertInstanceOf(ElasticPolicy.Ignore.class, ElasticPolicy.onCapacityFree(job, 2, Jobs.T0.plusSeconds(600),
                Duration.ZERO), "no growth past the operator's count");
        Job more = desired(job, 4);
        assertInstanceOf(ElasticPolicy.BeginRecovery.class, ElasticPolicy.onCapacityFree(more, 2, Jobs.T0.plusSeconds(600),
                Duration.ZERO));
        assertTrue(more.scaling().growthAsked(3), "asked to grow past 3: no cooldown");
        assertTrue(!more.scaling().growthAsked(4), "once there, growth has its cooldown again");
        assertTrue(!desired(more, 2).scaling().growthAsked(2), "a newer request to shrink ends the waiver");
    }

    @Test
    void theDocumentKeepsTheNewestScalingEventsOnly() throws Exception {
        Job job = aJob().workers(2, 4).running(3).build();
        for (int i = 0; i < Scaling.KEPT + 5; i++) job = desired(job, 2 + i % 3);
        assertEquals(Scaling.KEPT, job.scaling().events().size());
        var doc = JobDocument.read(JobDocument.of(job).toJson());
        assertEquals(job.scaling(), doc.scaling(), "stored and read back");
        var tree = (ObjectNode) Json.MAPPER.readTree(JobDocument.of(aJob().running(2).build()).toJson());
        tree.remove("scaling");
        var old = JobDocument.read(Json.write(tree));
        assertEquals(Scaling.NONE, old.scaling(), "a document stored before live resize reads as none set");
    }
}
