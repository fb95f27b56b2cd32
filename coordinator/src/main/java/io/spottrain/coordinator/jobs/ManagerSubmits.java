package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.state.StoreWriter;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.slf4j.Logger;

/**
 * The job manager's submits on their way into the store: a new job's puts go through the job
 * manager's writer (fenced by its epoch, coalesced with the jobs' other writes: a burst of submits
 * is a few transactions, not one each), and the job is started and the API answered only once
 * they are stored; a failed write is answered at once with the store's reason (503), and nothing
 * of the job runs.
 */
final class ManagerSubmits {
    private record Pending(Job job, ActorRef<Outcome> replyTo) {}

    /** A submit prepared in the blocking pool (its id reserved, its puts made), back on the job manager. */
    record Prepared(JobStore.Submitted submitted, Throwable error, ActorRef<Outcome> replyTo) implements JobManager.Command {}

    private final ActorContext<JobManager.Command> ctx;
    private final Logger log;
    private final JobIds ids;
    private final Executor blocking;
    private final ActorRef<StoreWriter.Result> results;
    private final Map<Long, Pending> pending = new HashMap<>();
    private long tokens;
    /** Submits on their way through the blocking pool. */
    private int preparing;

    ManagerSubmits(ActorContext<JobManager.Command> ctx, JobIds ids, Executor blocking, ActorRef<StoreWriter.Result> results) {
        this.ctx = ctx;
        this.log = ctx.getLog();
        this.ids = ids;
        this.blocking = blocking;
        this.results = results;
    }

    /**
     * An admitted submit: with its number reserved and no submit still on its way from the pool (submits stay in order), its
     * puts are made here and go straight to the writer, two hops fewer on the job's way to its ranks; else through the blocking
     * pool, which may read the store to reserve numbers.
     */
    <T> Behavior<T> submit(JobManager.SubmitJob m, Instant at, String warning, ActorRef<StoreWriter.Command> writer, Behavior<T> same) {
        var id = preparing == 0 ? ids.nextReserved(m.spec().metadata().name()) : Optional.<String>empty();
        if (id.isPresent()) {
            JobStore.Submitted submitted;
            try {
                submitted = JobStore.submitted(id.get(), m.spec(), m.by(), at, warning);
            } catch (RuntimeException e) { // as from the pool: this submit is refused, the manager goes on
                return prepared(null, e, m.replyTo(), writer, same);
            }
            return prepared(submitted, null, m.replyTo(), writer, same);
        }
        preparing++;
        ctx.pipeToSelf(CompletableFuture.supplyAsync(() -> JobStore.submitted(ids, m.spec(), m.by(), at, warning), blocking),
                (submitted, e) -> new Prepared(submitted, e, m.replyTo()));
        return same;
    }

    <T> Behavior<T> onPrepared(Prepared p, ActorRef<StoreWriter.Command> writer, Behavior<T> same) {
        preparing--;
        return prepared(p.submitted(), p.error(), p.replyTo(), writer, same);
    }

    /** The job and its puts are ready (its id reserved): to the writer. */
    private <T> Behavior<T> prepared(JobStore.Submitted submitted, Throwable error, ActorRef<Outcome> replyTo, ActorRef<StoreWriter.Command> writer,
            Behavior<T> same) {
        if (error != null) return failed(replyTo, Causes.root(error), same);
        long token = ++tokens;
        pending.put(token, new Pending(submitted.job(), replyTo));
        writer.tell(new StoreWriter.Write(submitted.puts(), results, token));
        return same;
    }

    /** The writer's answer: the job starts and the API hears its id, or the reason it was not stored. */
    <T> Behavior<T> written(StoreWriter.Result result, Consumer<Job> start, Behavior<T> same) {
        var s = pending.remove(result.token());
        if (s == null) return same;
        if (result instanceof StoreWriter.WriteFailed f) return failed(s.replyTo(), f.error(), same);
        var workers = s.job().spec().spec().workers();
        log.info("job {} submitted: workers {}..{}", s.job().id(), workers.min(), workers.max());
        start.accept(s.job());
        s.replyTo().tell(new Outcome.JobAck(s.job().id(), s.job().state()));
        return same;
    }

    /** The job manager stops (fenced off): every submit not yet stored is refused with {@code why}. */
    void abandon(String why) {
        pending.values().forEach(p -> p.replyTo().tell(new Outcome.Refused(Outcome.Refusal.UNAVAILABLE, why)));
        pending.clear();
    }

    private <T> Behavior<T> failed(ActorRef<Outcome> replyTo, String why, Behavior<T> same) {
        log.error("a job could not be stored: {}", why);
        replyTo.tell(new Outcome.Refused(Outcome.Refusal.UNAVAILABLE, "the state store did not take the job: " + why));
        return same;
    }
}
