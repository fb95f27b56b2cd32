package io.spottrain.coordinator.jobs;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.spottrain.protocol.json.Json;
import io.spottrain.protocol.spec.JobSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * A job as the state store keeps it (table {@code JOBS}): small and bounded, whatever the job's
 * age. The spec is stored once on its own (table {@code SPECS}); events and the checkpoint catalog
 * are append-only tables ({@code EVENTS}, {@code CHECKPOINTS}) of which this document carries the
 * counts. The spec fields that job lists show are copied here so a list reads only documents.
 * {@link #SCHEMA_VERSION} changes whenever a field changes meaning; readers refuse newer versions.
 */
public record JobDocument(
        int schemaVersion,
        String id,
        String name,
        Map<String, String> labels,
        int minWorkers,
        int maxWorkers,
        String market,
        int priority,
        int maxRestarts,
        JobState state,
        String reason,
        String pendingReason,
        long generation,
        List<Member> members,
        String masterAddr,
        int masterPort,
        String submittedAt,
        String startedAt,
        String finishedAt,
        String generationOpenedAt,
        double actualUsd,
        double onDemandUsd,
        Training training,
        Elastic elastic,
        Scaling scaling,
        long eventCount) {

    public JobDocument {
        scaling = scaling == null ? Scaling.NONE : scaling; // documents stored before live resize
    }

    public static final int SCHEMA_VERSION = 1;

    public static JobDocument of(Job j) {
        var s = j.spec();
        return new JobDocument(SCHEMA_VERSION, j.id(), s.metadata().name(), s.metadata().labels(), s.spec().workers().min(),
                s.spec().workers().max(), s.spec().placement().market().label(), s.spec().priority(), s.spec().maxRestarts(), j.state(),
                j.reason(), j.pendingReason(), j.generation(), j.members(), j.masterAddr(), j.masterPort(), j.submittedAt(), j.startedAt(),
                j.finishedAt(), j.generationOpenedAt(), j.actualUsd(), j.onDemandUsd(), j.training(), j.elastic(), j.scaling(), j.eventCount());
    }

    /** The document with newer progress applied (from {@code PROGRESS}); older progress changes nothing. */
    public JobDocument withProgress(JobProgress p) {
        if (p == null || p.step() < training.step()) return this;
        var t = training.progress(p.step(), p.loss(), p.samplesPerSec(), p.samples());
        t = t.withPace(t.pace().withNewest(p.totalSteps(), p.stepsPerSec()));
        return new JobDocument(schemaVersion, id, name, labels, minWorkers, maxWorkers, market, priority, maxRestarts, state, reason,
                pendingReason, generation, members, masterAddr, masterPort, submittedAt, startedAt, finishedAt, generationOpenedAt, actualUsd,
                onDemandUsd, t, elastic, scaling, eventCount);
    }

    /** The job again, with its spec (read from {@code SPECS}). */
    public Job toJob(JobSpec spec) {
        return new Job(id, spec, state, reason, pendingReason, generation, members, masterAddr, masterPort, submittedAt, startedAt,
                finishedAt, generationOpenedAt, actualUsd, onDemandUsd, training, elastic, scaling, eventCount, List.of());
    }

    public String toJson() {
        return Json.write(this);
    }

    /** Reads a stored document; one of another schema version is refused with both versions named. */
    public static JobDocument read(String json) {
        JobDocument d;
        try {
            d = Json.MAPPER.readValue(json, JobDocument.class); // one pass: the API reads documents on every request
        } catch (JsonProcessingException e) {
            d = null; // another layout: name its version below if it has one
        }
        if (d != null && d.schemaVersion() == SCHEMA_VERSION) return d;
        try {
            var tree = Json.MAPPER.readTree(json);
            throw new IllegalStateException("stored job " + tree.path("id").asText("?") + " has schema version "
                    + tree.path("schemaVersion").asInt(0) + "; this coordinator reads version " + SCHEMA_VERSION);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("a stored job cannot be read: " + e.getOriginalMessage(), e);
        }
    }

    /** Any stored record (events, catalog steps, specs) from its JSON. */
    public static <T> T readValue(String json, Class<T> type) {
        try {
            return Json.MAPPER.readValue(json, type);
        } catch (IOException e) {
            throw new UncheckedIOException("a stored " + type.getSimpleName() + " cannot be read: " + e.getMessage(), e);
        }
    }
}
