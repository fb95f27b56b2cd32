package io.spottrain.coordinator.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.spottrain.protocol.spec.JobSpecParser;
import io.spottrain.protocol.spec.NodeMarket;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class JobStateMachineTest {

    static final Set<List<JobState>> ALLOWED = Set.of(
            List.of(JobState.PENDING, JobState.STARTING), List.of(JobState.PENDING, JobState.CANCELLED),
            List.of(JobState.PENDING, JobState.FAILED),
            List.of(JobState.STARTING, JobState.RUNNING), List.of(JobState.STARTING, JobState.FAILED),
            List.of(JobState.STARTING, JobState.CANCELLED),
            List.of(JobState.RUNNING, JobState.SUCCEEDED), List.of(JobState.RUNNING, JobState.FAILED),
            List.of(JobState.RUNNING, JobState.CANCELLED),
            List.of(JobState.STARTING, JobState.RECOVERING), List.of(JobState.RUNNING, JobState.RECOVERING),
            List.of(JobState.RECOVERING, JobState.STARTING), List.of(JobState.RECOVERING, JobState.FAILED),
            List.of(JobState.RECOVERING, JobState.CANCELLED));

    @ParameterizedTest
    @EnumSource(JobState.class)
    void everyPairIsAllowedExactlyAsTheTableSays(JobState from) {
        for (JobState to : JobState.values()) {
            boolean expected = ALLOWED.contains(List.of(from, to));
            assertEquals(expected, JobStateMachine.allowed(from, to), from + " -> " + to);
            if (!expected) {
                var e = assertThrows(IllegalJobTransitionException.class, () -> JobStateMachine.check("j-1", from, to));
                assertEquals(from, e.from());
                assertEquals(to, e.to());
                assertEquals("job j-1 cannot go from " + from + " to " + to, e.getMessage());
            }
        }
    }

    @Test
    void terminalStatesHaveNoWayOut() {
        for (JobState s : EnumSet.of(JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)) {
            assertEquals(Set.of(), JobStateMachine.next(s));
        }
    }

    @Test
    void jobRecordsEveryChangeAsAnEvent() throws Exception {
        var spec = JobSpecParser.parse("""
                apiVersion: spottrain/v1
                kind: TrainingJob
                metadata: {name: j}
                spec: {workers: {min: 2}, command: [x]}
                """);
        Instant t = Instant.parse("2026-11-27T10:00:00Z");
        Job job = Job.submitted("j-1", spec, t)
                .startGeneration(List.of(Member.assigned(0, "node1", NodeMarket.SPOT, 0, 0), Member.assigned(1, "node2", NodeMarket.SPOT, 0, 0)),
                        t.plusSeconds(1))
                .transition(JobState.RUNNING, "all 2 ranks running", t.plusSeconds(2))
                .transition(JobState.SUCCEEDED, "done", t.plusSeconds(3));
        assertEquals(List.of(JobEventType.SUBMITTED, JobEventType.GENERATION_OPENED, JobEventType.STARTING, JobEventType.RUNNING,
                JobEventType.SUCCEEDED), job.newEvents().stream().map(JobEvent::type).toList());
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L), job.newEvents().stream().map(JobEvent::seq).toList(), "events are numbered in order");
        assertEquals(5, job.eventCount());
        assertEquals("2026-11-27T10:00:02Z", job.startedAt());
        assertEquals("2026-11-27T10:00:03Z", job.finishedAt());
        assertEquals(1, job.generation());
        assertEquals(List.of("node1", "node2"), job.members().stream().map(Member::nodeId).toList());
        assertThrows(IllegalJobTransitionException.class, () -> Job.submitted("j-2", spec, t).transition(JobState.RUNNING, "x", t));
    }
}
