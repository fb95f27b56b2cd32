package io.spottrain.coordinator.state;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The control plane's durable state: {@link Table tables} of JSON documents. A {@link #write}
 * that returns is durable and visible to every control node (the job manager acknowledges nothing
 * before its write returned); reads are served from this node's own copy. Implementations:
 * {@link IgniteStateStore} (embedded Apache Ignite with native persistence, replicated on every
 * control node) and {@link InMemoryStateStore} (tests, throwaway single-node clusters). Both pass
 * {@code StateStoreContract}.
 */
public interface StateStore extends AutoCloseable {

    /** One document to insert or replace. */
    record Put(Table table, String key, String json) {
        public long bytes() {
            return key.length() + (long) json.length();
        }
    }

    /**
     * What was written since start: write calls, documents and their bytes (keys + JSON), and the time the writes took;
     * {@code writesByMillis}: writes by their time, [i] those that took up to
     * {@link #WRITE_BUCKETS_MILLIS}[i] ms and more than the bound before; the last, longer than every bound.
     */
    record Stats(long writes, long documents, long bytes, long writeNanos, List<Long> writesByMillis) {
        public static final List<Long> WRITE_BUCKETS_MILLIS = List.of(1L, 2L, 5L, 10L, 20L, 50L, 100L, 200L, 500L, 1000L);
    }

    /**
     * Fencing: a write carrying a fence applies only while the named counter still holds
     * {@code epoch}; once someone advanced it (a newer job manager took over), the write fails
     * with {@link FencedException} and nothing of it is applied.
     */
    record Fence(String counter, long epoch) {}

    /** Applies the puts together (one transaction where the store has them); durable when it returns. */
    default void write(List<Put> puts) {
        write(puts, null);
    }

    /** As {@link #write(List)}, only while {@code fence} holds (null: always). */
    void write(List<Put> puts, Fence fence);

    /** The counter's current value (0 if never advanced). */
    long current(String counter);

    Optional<String> get(Table table, String key);

    /** The documents of the keys that exist (absent keys are left out). */
    Map<String, String> getAll(Table table, Collection<String> keys);

    /** Every document of the table, from this node's copy. */
    List<String> values(Table table);

    /** Every document of the table by its key, from this node's copy. */
    Map<String, String> entries(Table table);

    /**
     * Writes {@code json} under {@code key} only if the key holds nothing, atomically across the control nodes (durable);
     * whether it wrote. For claims made once ever: an instance's enrollment.
     */
    boolean putIfAbsent(Table table, String key, String json);

    /** Increments a named counter and returns the new value (durable, never reused: job ids). */
    long next(String counter);

    /**
     * Adds {@code count} to a named counter in one durable write and returns the first of the {@code count} values it
     * reserved (the caller hands them out itself; none is ever returned again, used or not).
     */
    long reserve(String counter, int count);

    Stats stats();

    /** Node ids of the control nodes whose stores are in this node's store topology now (a store without one: empty). */
    default Set<String> members() {
        return Set.of();
    }

    /**
     * Calls {@code listener} with a control node's id when its store leaves this node's store
     * topology (crashed or stopped), as soon as the store knows (a store without peers: never).
     * Called on the store's own thread: hand it to an actor.
     */
    default void onMemberLeft(Consumer<String> listener) {}

    /** e.g. {@code ignite (2 control node(s), persistence in /var/lib/spottrain/control1)}. */
    String describe();

    @Override
    void close();
}
