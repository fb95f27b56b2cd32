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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A job's actor crashed (a bug, or a report that contradicts the job's own state): that job, and
 * only it, ends FAILED with the exception as its reason, from its last stored state; its ranks are
 * stopped and its nodes released. The job manager and every other job go on. A job not in the
 * store when its actor crashed may still be on its way there (a new job is stored with its first
 * change, and that write may be in flight): it is failed once every write queued before the crash
 * is done ({@link Drained}), so that it is not left stored with no actor to drive it.
 */
final class MasterFailure {
    private static final Logger log = LoggerFactory.getLogger(MasterFailure.class);

    /**
     * The job manager's: every write queued on the jobs' writer before {@code token}'s crash is done ({@code ok}), or the batch
     * it was in failed (it is sent again, with no backoff: it joins whatever is queued then, and an empty write touches no
     * store itself; a writer fenced off answers once more and stops, and the job manager with it: the job is left to the newer
     * one).
     */
    record Drained(long token, boolean ok) implements JobManager.Command {}

    private record Crash(String jobId, Throwable cause) {}

    private final StateStore store;
    private final ActorRef<StoreWriter.Command> writer;
    private final Clock clock;
    private final ActorRef<StoreWriter.Result> drained;
    private final Map<Long, Crash> waiting = new HashMap<>();
    private long tokens;

    MasterFailure(ActorContext<JobManager.Command> ctx, StateStore store, ActorRef<StoreWriter.Command> writer, Clock clock) {
        this.store = store;
        this.writer = writer;
        this.clock = clock;
        this.drained = ctx.messageAdapter(StoreWriter.Result.class, r -> new Drained(r.token(), r instanceof StoreWriter.Written));
    }

    /** Fails the job from its last stored state and stops its ranks (reads the local store: a rare path). */
    void fail(String jobId, Throwable cause, Map<String, ActorRef<AgentProtocol.Command>> agents) {
        log.error("job {}: {}", jobId, why(cause), cause);
        if (!failStored(jobId, cause, agents)) {
            // not stored (yet): an empty write through the same writer is answered after every write queued before it
            long token = ++tokens;
            waiting.put(token, new Crash(jobId, cause));
            writer.tell(new StoreWriter.Write(List.of(), drained, token));
        }
    }

    <T> Behavior<T> onDrained(Drained d, Map<String, ActorRef<AgentProtocol.Command>> agents, Behavior<T> same) {
        if (!d.ok()) {
            writer.tell(new StoreWriter.Write(List.of(), drained, d.token()));
            return same;
        }
        var crash = waiting.remove(d.token());
        if (crash != null && !failStored(crash.jobId(), crash.cause(), agents)) {
            log.info("job {}: its actor crashed before it was stored, and it was not: nothing to fail", crash.jobId());
        }
        return same;
    }

    /** False when the store does not have the job. */
    private boolean failStored(String jobId, Throwable cause, Map<String, ActorRef<AgentProtocol.Command>> agents) {
        var doc = store.get(Table.JOBS, jobId).map(JobDocument::read);
        var spec = store.get(Table.SPECS, jobId).map(s -> JobDocument.readValue(s, JobSpec.class));
        if (doc.isEmpty() || spec.isEmpty()) return false;
        if (doc.get().state().terminal()) return true;
        String why = why(cause);
        Job failed = doc.get().toJob(spec.get()).transition(JobState.FAILED, why, clock.instant().truncatedTo(ChronoUnit.MILLIS));
        var puts = new ArrayList<StateStore.Put>();
        failed.newEvents().forEach(e -> puts.add(new StateStore.Put(Table.EVENTS, Table.seqKey(jobId, e.seq()), Json.write(e))));
        puts.add(new StateStore.Put(Table.JOBS, jobId, JobDocument.of(failed).toJson()));
        writer.tell(new StoreWriter.Write(puts, null, 0));
        for (Member m : failed.members()) {
            var agent = agents.get(m.nodeId());
            if (agent != null && m.exitCode() == null) agent.tell(new AgentProtocol.StopGeneration(jobId, failed.generation(), why));
        }
        return true;
    }

    private static String why(Throwable cause) {
        return "internal error in the job's actor: " + cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }
}
