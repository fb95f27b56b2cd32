package io.spottrain.coordinator.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.coordinator.jobs.Job;
import io.spottrain.coordinator.jobs.JobState;
import io.spottrain.protocol.spec.JobSpecParser;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What every {@link StateStore} must do; one subclass per implementation. */
abstract class StateStoreContract {

    /** A fresh, empty store. */
    abstract StateStore open() throws Exception;

    /** The same store after its process ended and started again (in memory: the same instance). */
    abstract StateStore reopen(StateStore closed) throws Exception;

    static Job job(String name, Instant at) throws Exception {
        var spec = JobSpecParser.parse("""
                apiVersion: spottrain/v1
                kind: TrainingJob
                metadata: {name: %s, labels: {team: vision}}
                spec:
                  workers: {min: 2, max: 3}
                  command: ["python", "train.py"]
                """.formatted(name));
        return Job.submitted(name + "-1", spec, at);
    }

    @Test
    void aJobReadsBackEqualAndReplacesItsOlderVersion() throws Exception {
        try (StateStore store = open()) {
            Instant t = Instant.parse("2026-11-27T10:00:00Z");
            Job a = job("a", t);
            store.putJob(a);
            assertEquals(a, store.job("a-1").orElseThrow());
            Job running = a.startGenerationOn(List.of("node1", "node2"), t.plusSeconds(1))
                    .transition(JobState.RUNNING, "all ranks running", t.plusSeconds(2));
            store.putJob(running);
            assertEquals(running, store.job("a-1").orElseThrow(), "events, members and state survive the round trip");
            assertEquals(1, store.jobs().size());
            assertTrue(store.job("nope").isEmpty());
        }
    }

    @Test
    void jobsComeBackInSubmissionOrder() throws Exception {
        try (StateStore store = open()) {
            Instant t = Instant.parse("2026-11-27T10:00:00Z");
            store.putJob(job("late", t.plusSeconds(5)));
            store.putJob(job("early", t));
            store.putJob(job("middle", t.plusSeconds(2)));
            assertEquals(List.of("early-1", "middle-1", "late-1"), store.jobs().stream().map(Job::id).toList());
        }
    }

    @Test
    void countersNeverRepeatAcrossARestart() throws Exception {
        StateStore store = open();
        assertEquals(1, store.next("jobs"));
        assertEquals(2, store.next("jobs"));
        assertEquals(1, store.next("other"));
        Job j = job("kept", Instant.parse("2026-11-27T10:00:00Z"));
        store.putJob(j);
        try (StateStore again = reopen(store)) {
            assertEquals(3, again.next("jobs"));
            assertEquals(j, again.job("kept-1").orElseThrow(), "an acknowledged write survives the restart");
        }
    }
}
