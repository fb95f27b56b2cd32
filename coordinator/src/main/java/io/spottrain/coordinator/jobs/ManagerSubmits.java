package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.launch.NodeLauncher;
import io.spottrain.coordinator.scheduling.Admission;
import io.spottrain.coordinator.scheduling.PoolRisks;
import io.spottrain.coordinator.scheduling.RiskAdvice;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.slf4j.Logger;

/**
 * The job manager's submits on their way to their job masters: admitted (or refused at once when
 * nothing the fleet could ever have fits them), a new job's id is reserved and its
 * puts made (on the job manager when its number is reserved already, else in the blocking pool),
 * then its {@link JobMaster} starts at once and asks for nodes; the job is stored with its first
 * change through the job manager's writer (fenced by its epoch, coalesced with the jobs' other
 * writes), so a job placed at once is stored with its generation in one write. The API is answered
 * only once the job is stored; a failed write is answered with the store's reason (503), and
 * nothing of the job runs ({@link JobOutbox#unstored}).
 */
final class ManagerSubmits {
    /** A submit prepared in the blocking pool (its id reserved, its puts made), back on the job manager. */
    record Prepared(JobStore.Submitted submitted, Throwable error, ActorRef<Outcome> replyTo) implements JobManager.Command {}

    private final ActorContext<JobManager.Command> ctx;
    private final Logger log;
    private final JobIds ids;
    private final Executor blocking;
    private final List<String> allowedRemotes;
    private final BiConsumer<Job, JobMaster.Submit> start;
    /** Submits on their way through the blocking pool. */
    private int preparing;

    /** {@code start}: starts the job master of a job submitted now. */
    ManagerSubmits(ActorContext<JobManager.Command> ctx, JobIds ids, Executor blocking, List<String> allowedRemotes,
            BiConsumer<Job, JobMaster.Submit> start) {
        this.ctx = ctx;
        this.log = ctx.getLog();
        this.ids = ids;
        this.blocking = blocking;
        this.allowedRemotes = allowedRemotes;
        this.start = start;
    }

    /**
     * A submit: refused at once (422) when no node the fleet could ever have fits it or its remote tier is not allowed
     * ({@code launcher}: the fleet's shapes, null: none known); else admitted, with a warning when its pools are risky now.
     */
    <T> Behavior<T> admit(JobManager.SubmitJob m, NodeLauncher launcher, Function<Instant, PoolRisks> risks, Instant at, Behavior<T> same) {
        var unfit = Admission.remoteRefused(m.spec(), allowedRemotes)
                .or(() -> Admission.unfit(m.spec(), launcher == null ? List.of() : launcher.shapes()));
        if (unfit.isPresent()) {
            m.replyTo().tell(new Outcome.Refused(Outcome.Refusal.UNFIT, "job " + m.spec().metadata().name() + " can never run here: "
                    + unfit.get()));
            return same;
        }
        String warning = RiskAdvice.atSubmit(m.spec(), risks.apply(at)).orElse(null);
        return submit(m, at, warning, same);
    }

    /**
     * An admitted submit: with its number reserved and no submit still on its way from the pool (submits stay in order), its
     * puts are made here and its job starts at once; else through the blocking pool, which may read the store to reserve
     * numbers.
     */
    private <T> Behavior<T> submit(JobManager.SubmitJob m, Instant at, String warning, Behavior<T> same) {
        var id = preparing == 0 ? ids.nextReserved(m.spec().metadata().name()) : Optional.<String>empty();
        if (id.isPresent()) {
            JobStore.Submitted submitted;
            try {
                submitted = JobStore.submitted(id.get(), m.spec(), m.by(), at, warning);
            } catch (RuntimeException e) { // as from the pool: this submit is refused, the manager goes on
                return prepared(null, e, m.replyTo(), same);
            }
            return prepared(submitted, null, m.replyTo(), same);
        }
        preparing++;
        ctx.pipeToSelf(CompletableFuture.supplyAsync(() -> JobStore.submitted(ids, m.spec(), m.by(), at, warning), blocking),
                (submitted, e) -> new Prepared(submitted, e, m.replyTo()));
        return same;
    }

    <T> Behavior<T> onPrepared(Prepared p, Behavior<T> same) {
        preparing--;
        return prepared(p.submitted(), p.error(), p.replyTo(), same);
    }

    /** The job and its puts are ready (its id reserved): its master starts, and stores it. */
    private <T> Behavior<T> prepared(JobStore.Submitted submitted, Throwable error, ActorRef<Outcome> replyTo, Behavior<T> same) {
        if (error != null) {
            String why = Causes.root(error);
            log.error("a job could not be stored: {}", why);
            replyTo.tell(new Outcome.Refused(Outcome.Refusal.UNAVAILABLE, "the state store did not take the job: " + why));
            return same;
        }
        start.accept(submitted.job(), new JobMaster.Submit(submitted.puts(), replyTo));
        return same;
    }
}
