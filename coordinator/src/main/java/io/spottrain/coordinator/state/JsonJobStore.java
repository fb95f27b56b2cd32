package io.spottrain.coordinator.state;

import io.spottrain.coordinator.jobs.Job;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A store that keeps each job as its JSON document under its id; subclasses say where. */
abstract class JsonJobStore implements StateStore {

    abstract void putDocument(String id, String json);

    abstract String document(String id);

    abstract Iterable<String> documents();

    @Override
    public final void putJob(Job job) {
        putDocument(job.id(), JobCodec.write(job));
    }

    @Override
    public final Optional<Job> job(String id) {
        return Optional.ofNullable(document(id)).map(JobCodec::read);
    }

    @Override
    public final List<Job> jobs() {
        var all = new ArrayList<Job>();
        for (String json : documents()) all.add(JobCodec.read(json));
        all.sort(JobCodec.SUBMISSION_ORDER);
        return all;
    }
}
