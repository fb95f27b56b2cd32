package io.spottrain.coordinator.state;

import io.spottrain.coordinator.jobs.Job;
import io.spottrain.protocol.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Comparator;

/** Jobs as JSON documents (Ignite's binary marshaller cannot store Java records). */
final class JobCodec {
    static final Comparator<Job> SUBMISSION_ORDER = Comparator.comparing(Job::submittedAt).thenComparing(Job::id);

    private JobCodec() {}

    static String write(Job job) {
        try {
            return Json.MAPPER.writeValueAsString(job);
        } catch (IOException e) {
            throw new UncheckedIOException("job " + job.id() + " cannot be written as JSON", e);
        }
    }

    static Job read(String json) {
        try {
            return Json.MAPPER.readValue(json, Job.class);
        } catch (IOException e) {
            throw new UncheckedIOException("a stored job cannot be read: " + e.getMessage(), e);
        }
    }
}
