package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.state.StateStore;
import io.spottrain.coordinator.state.StoreWriter;
import io.spottrain.coordinator.state.Table;
import io.spottrain.protocol.json.Json;
import io.spottrain.protocol.spec.JobSpec;
import io.spottrain.protocol.wire.AgentProtocol;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A job's actor crashed (a bug, or a report that contradicts the job's own state): that job, and
 * only it, ends FAILED with the exception as its reason, from its last stored state; its ranks are
 * stopped and its nodes released. The job manager and every other job go on.
 */
final class MasterFailure {
    private static final Logger log = LoggerFactory.getLogger(MasterFailure.class);

    private final StateStore store;
    private final ActorRef<StoreWriter.Command> writer;
    private final Clock clock;

    MasterFailure(StateStore store, ActorRef<StoreWriter.Command> writer, Clock clock) {
        this.store = store;
        this.writer = writer;
        this.clock = clock;
    }

    /** Fails the job from its last stored state and stops its ranks (reads the local store: a rare path). */
    void fail(String jobId, Throwable cause, Map<String, ActorRef<AgentProtocol.Command>> agents) {
        String why = "internal error in the job's actor: " + cause.getClass().getSimpleName() + ": " + cause.getMessage();
        log.error("job {}: {}", jobId, why, cause);
        var doc = store.get(Table.JOBS, jobId).map(JobDocument::read);
        var spec = store.get(Table.SPECS, jobId).map(s -> JobDocument.readValue(s, JobSpec.class));
        if (doc.isPresent() && spec.isPresent() && !doc.get().state().terminal()) {
            Job job = doc.get().toJob(spec.get());
            Job failed = job.transition(JobState.FAILED, why, clock.instant().truncatedTo(ChronoUnit.MILLIS));
            var puts = new ArrayList<StateStore.Put>();
            failed.newEvents().forEach(e -> puts.add(new StateStore.Put(Table.EVENTS, Table.seqKey(jobId, e.seq()), Json.write(e))));
            puts.add(new StateStore.Put(Table.JOBS, jobId, JobDocument.of(failed).toJson()));
            writer.tell(new StoreWriter.Write(puts, null, 0));
            for (Member m : failed.members()) {
                var agent = agents.get(m.nodeId());
                if (agent != null && m.exitCode() == null) agent.tell(new AgentProtocol.StopGeneration(jobId, failed.generation(), why));
            }
        }
    }
}
