package io.spottrain.coordinator.state;

import io.spottrain.coordinator.jobs.Job;
import java.util.List;
import java.util.Optional;

/**
 * The control plane's durable state, owned by the job manager: every job (spec, state,
 * generation, members, checkpoint catalog, event history, cost). A write that returns is durable:
 * the job manager acknowledges nothing (an API reply, a state change) before its write returned.
 * Implementations: {@link IgniteStateStore} (embedded Apache Ignite with native persistence, on
 * every control node, replicated) and {@link InMemoryStateStore} (tests, single-node demos with
 * {@code --no-persistence}). Both pass {@code StateStoreContract}.
 */
public interface StateStore extends AutoCloseable {

    /** Inserts or replaces the job under its id; durable when this returns. */
    void putJob(Job job);

    Optional<Job> job(String id);

    /** Every job, in submission order. */
    List<Job> jobs();

    /** Increments a named counter and returns the new value (durable, never reused: job ids). */
    long next(String counter);

    /** e.g. {@code ignite (2 nodes, persistence at /var/lib/spottrain/control1)}. */
    String describe();

    @Override
    void close();
}
