package io.spottrain.coordinator.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spottrain.coordinator.ManualClock;
import io.spottrain.coordinator.jobs.Job;
import io.spottrain.coordinator.jobs.JobDocument;
import io.spottrain.coordinator.jobs.JobProgress;
import io.spottrain.coordinator.jobs.JobState;
import io.spottrain.coordinator.jobs.Member;
import io.spottrain.coordinator.state.InMemoryStateStore;
import io.spottrain.coordinator.state.StateStore;
import io.spottrain.coordinator.state.Table;
import io.spottrain.protocol.json.Json;
import io.spottrain.protocol.spec.JobSpec;
import io.spottrain.protocol.spec.JobSpecException;
import io.spottrain.protocol.spec.JobSpecParser;
import io.spottrain.protocol.spec.NodeMarket;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The job list with ended jobs' rows kept: the same JSON as summarizing every job afresh, whatever changed in between. */
class JobListTest {
    static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    static final JobSpec SPEC = spec();

    static JobSpec spec() {
        try {
            return JobSpecParser.parse("""
                    apiVersion: spottrain/v1
                    kind: TrainingJob
                    metadata: {name: l}
                    spec: {workers: {min: 1, max: 2, gpusPerWorker: 0}, command: [x]}
                    """);
        } catch (JobSpecException e) {
            throw new IllegalStateException(e);
        }
    }

    final InMemoryStateStore store = new InMemoryStateStore();
    final ManualClock clock = new ManualClock(T0.plusSeconds(60));
    final JobReads reads = new JobReads(store, clock);

    void put(Job j) {
        store.write(List.of(new StateStore.Put(Table.JOBS, j.id(), JobDocument.of(j).toJson())));
    }

    void progress(String id, long step) {
        store.write(List.of(new StateStore.Put(Table.PROGRESS, id, Json.write(new JobProgress(id, step, 0.5, 10, 100, 2, step * 8)))));
    }

    static Job running(String id, Instant at) {
        var members = List.of(new Member(0, "n1", NodeMarket.SPOT, 0.42, 1.0, 0, null, null));
        return Job.submitted(id, SPEC, at).startGeneration(members, at.plusSeconds(1)).withRendezvous("127.0.0.1", 29500)
                .withMember(0, m -> new Member(0, "n1", NodeMarket.SPOT, 0.42, 1.0, 100, "log", null)).transition(JobState.RUNNING, "all running", at.plusSeconds(2));
    }

    /** The list as it was before rows were kept: every job summarized afresh. */
    String afresh() {
        return Json.write(reads.jobs());
    }

    @Test
    void keptRowsAreTheSameJsonAsAfreshThroughChangesToEndedJobsTheirProgressAndTheClock() throws Exception {
        put(Job.submitted("c-3", SPEC, T0.plusSeconds(2)));
        put(running("a-1", T0));
        Job ended = running("b-2", T0.plusSeconds(1)).transition(JobState.SUCCEEDED, "done", T0.plusSeconds(30));
        put(ended);
        progress("b-2", 40);
        progress("a-1", 7);

        String first = reads.jobsJson();
        assertEquals(afresh(), first);
        assertEquals(List.of("a-1", "b-2", "c-3"), Json.MAPPER.valueToTree(reads.jobs()).findValuesAsText("id"), "in submission order");

        clock.now = T0.plusSeconds(3600); // the running job's cost moves, the ended one's does not
        String later = reads.jobsJson();
        assertNotEquals(first, later, "a job in progress is summarized afresh");
        assertEquals(afresh(), later);

        progress("b-2", 41); // an ended job's stored progress changes (a report that came after its end)
        assertEquals(afresh(), reads.jobsJson());
        assertTrue(reads.jobsJson().contains("\"steps\":41"), reads.jobsJson());

        var doc = (ObjectNode) Json.MAPPER.readTree(JobDocument.of(ended).toJson()); // its stored document changes after its end
        doc.put("reason", "changed after its end");
        store.write(List.of(new StateStore.Put(Table.JOBS, "b-2", Json.write(doc))));
        assertTrue(reads.jobsJson().contains("changed after its end"), "its document changed: its row is made again");
        assertEquals(afresh(), reads.jobsJson());

        put(Job.submitted("d-4", SPEC, T0.plusSeconds(3)).transition(JobState.CANCELLED, "no", T0.plusSeconds(4)));
        assertEquals(afresh(), reads.jobsJson(), "a new ended job joins the list");
        assertEquals(4, Json.MAPPER.readTree(reads.jobsJson()).size());
    }

    @Test
    void endedRowsAreMadeOnceJobsInProgressEveryTimeAndAJobGoneOrBackInProgressIsMadeAgain() throws Exception {
        put(running("a-1", T0));
        Job ended = running("b-2", T0.plusSeconds(1)).transition(JobState.SUCCEEDED, "done", T0.plusSeconds(30));
        put(ended);
        put(Job.submitted("c-3", SPEC, T0.plusSeconds(2)).transition(JobState.CANCELLED, "no", T0.plusSeconds(3)));
        var list = new JobList(1 << 20);
        var parsed = new ArrayList<String>();
        var docs = new ParsedDocuments<>(JobDocument::read, 1 << 20);
        Function<String, JobDocument> parse = json -> {
            var d = docs.get(json);
            parsed.add(d.id());
            return d;
        };
        String first = list.json(store.entries(Table.JOBS), store.entries(Table.PROGRESS), parse, null, clock.now);
        assertEquals(afresh(), first);
        assertEquals(List.of("a-1", "b-2", "c-3"), parsed.stream().sorted().toList());
        assertEquals(2, list.kept());
        parsed.clear();
        assertEquals(first, list.json(store.entries(Table.JOBS), store.entries(Table.PROGRESS), parse, null, clock.now));
        assertEquals(List.of("a-1"), parsed, "only the job in progress is made again");

        var jobs = new HashMap<>(store.entries(Table.JOBS));
        jobs.remove("c-3"); // gone from the store
        String without = list.json(jobs, Map.of(), parse, null, clock.now);
        assertEquals(1, list.kept(), "its row is dropped");
        assertEquals(List.of("a-1", "b-2"), Json.MAPPER.readTree(without).findValuesAsText("id"));

        put(running("b-2", T0.plusSeconds(1))); // the same id, in progress again (a store restored from before its end)
        parsed.clear();
        String back = list.json(store.entries(Table.JOBS), store.entries(Table.PROGRESS), parse, null, clock.now);
        assertEquals(afresh(), back);
        assertTrue(parsed.contains("b-2"), "its kept row is not used: its document changed");
        assertEquals(1, list.kept(), "and it is no longer kept");
    }

    @Test
    void pastItsBoundNoMoreRowsAreKeptAndTheListStaysRight() {
        for (int i = 0; i < 5; i++) put(Job.submitted("e-" + i, SPEC, T0.plusSeconds(i)).transition(JobState.CANCELLED, "x", T0.plusSeconds(9)));
        var docs = new ParsedDocuments<>(JobDocument::read, 1 << 20);
        var none = new JobList(1); // no row fits
        assertEquals(afresh(), none.json(store.entries(Table.JOBS), store.entries(Table.PROGRESS), docs::get, null, clock.now));
        assertEquals(0, none.kept());
        assertEquals(0, none.keptChars());
        var all = new JobList(1 << 20);
        all.json(store.entries(Table.JOBS), store.entries(Table.PROGRESS), docs::get, null, clock.now);
        long one = all.keptChars() / 5;
        var some = new JobList(one * 2 + 1); // room for two
        String a = some.json(store.entries(Table.JOBS), store.entries(Table.PROGRESS), docs::get, null, clock.now);
        assertEquals(2, some.kept());
        String b = some.json(store.entries(Table.JOBS), store.entries(Table.PROGRESS), docs::get, null, clock.now);
        assertEquals(afresh(), a);
        assertEquals(a, b);
        assertEquals(2, some.kept(), "what is kept is counted once, however often listed");
    }
}
