package io.spottrain.coordinator.api;

import io.spottrain.coordinator.autoscale.Autoscaler;
import io.spottrain.coordinator.jobs.JobManager;
import io.spottrain.coordinator.jobs.Outcome;
import io.spottrain.protocol.wire.AgentProtocol;
import io.spottrain.protocol.wire.ClusterConfig;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * The API's asks to the job manager singleton. An ask that is in flight when the oldest control
 * member (where the singleton runs) is removed from the cluster was sent to a job manager that is
 * gone: it fails at once, saying so, instead of waiting out the ask timeout while a new job manager
 * is already serving (a hand-over takes ~2 s, the timeout 5 s). Thread-safe.
 */
final class ManagerAsks {

    /** The job manager did not answer: why, for the 503. */
    static final class Unanswered extends Exception {
        Unanswered(String why) {
            super(why, null, false, false);
        }
    }

    private final ActorSystem<?> system;
    private final ActorRef<JobManager.Command> jobManager;
    private final Duration timeout;
    private final Set<CompletableFuture<Outcome>> inFlight = ConcurrentHashMap.newKeySet();

    ManagerAsks(ActorSystem<?> system, ActorRef<JobManager.Command> jobManager, Duration timeout) {
        this.system = system;
        this.jobManager = jobManager;
        this.timeout = timeout;
        ActorRef<ClusterEvent.MemberRemoved> watcher = system.systemActorOf(Behaviors.receive(ClusterEvent.MemberRemoved.class)
                .onMessage(ClusterEvent.MemberRemoved.class, removed -> {
                    if (wasOldestControl(removed.member())) {
                        failInFlight("the job manager's control node " + removed.member().address() + " left while this request was in "
                                + "flight (it may or may not have been applied); a new job manager takes over: retry");
                    }
                    return Behaviors.same();
                }).build(), "api-job-manager-watch", Props.empty());
        Cluster.get(system).subscriptions().tell(Subscribe.create(watcher, ClusterEvent.MemberRemoved.class));
    }

    Outcome ask(Function<ActorRef<Outcome>, JobManager.Command> message) throws Unanswered {
        var reply = AskPattern.<JobManager.Command, Outcome>ask(jobManager, message::apply, timeout, system.scheduler())
                .toCompletableFuture();
        inFlight.add(reply);
        try {
            return reply.get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new Unanswered(e.getCause() instanceof Unanswered u ? u.getMessage() : timedOut());
        } catch (TimeoutException e) {
            throw new Unanswered(timedOut());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unanswered(timedOut());
        } finally {
            inFlight.remove(reply);
        }
    }

    /** The autoscaler's status (a read: no in-flight tracking, a plain timeout). */
    Autoscaler.Status autoscaler() throws Unanswered {
        return read(JobManager.AutoscalerStatus::new);
    }

    /** The end of a rank's output from the agent of {@code nodeId} (through the job manager, which knows the agents). */
    AgentProtocol.RankLog rankLog(String nodeId, String jobId, long generation, int rank, String file, int maxBytes, Long from)
            throws Unanswered {
        return read(replyTo -> new JobManager.TailRankLog(nodeId, new AgentProtocol.TailRankLog(jobId, generation, rank, file, maxBytes, from,
                replyTo)));
    }

    private <T> T read(Function<ActorRef<T>, JobManager.Command> message) throws Unanswered {
        try {
            return AskPattern.<JobManager.Command, T>ask(jobManager, message::apply, timeout, system.scheduler())
                    .toCompletableFuture().get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new Unanswered(timedOut());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unanswered(timedOut());
        }
    }

    private String timedOut() {
        return "the job manager did not answer within " + timeout.toSeconds() + "s (is a control node up and the cluster formed?)";
    }

    private void failInFlight(String why) {
        for (var f : inFlight) f.completeExceptionally(new Unanswered(why));
    }

    /** Whether the removed member was a control member older than every control member left (the singleton's host). */
    private boolean wasOldestControl(Member removed) {
        if (!removed.hasRole(ClusterConfig.ROLE_CONTROL)) return false;
        for (Member m : Cluster.get(system).state().getMembers()) {
            if (m.hasRole(ClusterConfig.ROLE_CONTROL) && !m.equals(removed) && m.isOlderThan(removed)) return false;
        }
        return true;
    }
}
