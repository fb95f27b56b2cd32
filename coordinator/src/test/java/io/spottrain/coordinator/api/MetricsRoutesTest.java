package io.spottrain.coordinator.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.coordinator.jobs.Elastic;
import io.spottrain.coordinator.jobs.Job;
import io.spottrain.coordinator.jobs.JobDocument;
import io.spottrain.coordinator.jobs.JobState;
import io.spottrain.coordinator.jobs.Preemption;
import io.spottrain.coordinator.jobs.RecoveryKind;
import io.spottrain.coordinator.metrics.ControlMetrics;
import io.spottrain.coordinator.state.InMemoryStateStore;
import io.spottrain.coordinator.state.StateStore;
import io.spottrain.coordinator.state.Table;
import io.spottrain.protocol.spec.JobSpecParser;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The Prometheus text: jobs by state, and each finished recovery counted once into its histograms, however often scraped. */
class MetricsRoutesTest {
    static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

    @Test
    void aRecoveryIsCountedOnceIntoItsHistograms() throws Exception {
        var store = new InMemoryStateStore();
        var spec = JobSpecParser.parse("""
                apiVersion: spottrain/v1
                kind: TrainingJob
                metadata: {name: m}
                spec: {workers: {min: 1, max: 2, gpusPerWorker: 0}, command: [x]}
                """);
        var kill = new Preemption("node2", RecoveryKind.KILL, 300, 1.2, 4.5, 1L, T0.toString(), true, 1, 6.0);
        var notice = new Preemption("node1", RecoveryKind.NOTICE, 600, 0.1, null, null, T0.plusSeconds(60).toString());
        Job job = Job.submitted("m-1", spec, T0).withElastic(e -> new Elastic(Set.of(), Map.of(), null, null, 0, List.of(kill, notice), 0));
        store.write(List.of(new StateStore.Put(Table.JOBS, job.id(), JobDocument.of(job).toJson())));
        var metrics = new MetricsRoutes(new JobReads(store, Clock.fixed(T0.plusSeconds(120), ZoneOffset.UTC)), ControlMetrics.standalone());

        String first = metrics.text();
        metrics.text();
        String text = metrics.text();
        assertTrue(text.contains("spottrain_jobs{state=\"PENDING\"} 1.0"), text);
        assertTrue(text.contains("spottrain_jobs{state=\"RUNNING\"} 0.0"), text);
        assertTrue(text.contains("spottrain_recoveries_total{kind=\"kill\"} 1.0"), "counted once, scraped three times: " + text);
        assertTrue(text.contains("spottrain_recovery_resume_seconds_bucket{kind=\"kill\",le=\"5.0\"} 1"), text);
        assertTrue(text.contains("spottrain_recovery_resume_seconds_bucket{kind=\"kill\",le=\"2.0\"} 0"), text);
        assertTrue(text.contains("spottrain_recovery_back_to_training_seconds_count{kind=\"kill\"} 1"), text);
        assertTrue(text.contains("spottrain_recovery_lost_steps_total{kind=\"kill\"} 1.0"), text);
        assertTrue(!text.contains("kind=\"notice\""), "a recovery still under way is not counted yet: " + text);
        assertTrue(text.contains("spottrain_job_world_size{job_id=\"m-1\"} 0.0"), text);
        assertTrue(text.contains("spottrain_job_state{job_id=\"m-1\",state=\"PENDING\"} 1.0"), text);
        assertTrue(text.contains("spottrain_store_writes_total"), text);
        assertTrue(text.contains("jvm_memory_used_bytes"), text);
        assertEquals(first.lines().filter(l -> l.startsWith("spottrain_recoveries_total")).toList(),
                text.lines().filter(l -> l.startsWith("spottrain_recoveries_total")).toList());

        var done = job.transition(JobState.CANCELLED, "stop", T0.plusSeconds(90));
        store.write(List.of(new StateStore.Put(Table.JOBS, job.id(), JobDocument.of(done).toJson())));
        String after = metrics.text();
        assertTrue(after.contains("spottrain_jobs{state=\"CANCELLED\"} 1.0"), after);
        assertTrue(!after.contains("spottrain_job_world_size{job_id=\"m-1\"}"), "an ended job's gauges go: " + after);
    }
}
