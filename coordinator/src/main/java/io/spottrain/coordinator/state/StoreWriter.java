package io.spottrain.coordinator.state;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Writes to the {@link StateStore} for the actors of the control plane, off their dispatchers
 * (this actor runs on the blocking-IO dispatcher) and coalesced: every {@link Write} that arrives
 * while a store write is in progress joins the next one, and a document written twice in a batch
 * (a job's small document) is written once, the newest. Each writer learns the outcome:
 * {@link Written} or {@link WriteFailed}; nothing is retried here (the owner of the state decides).
 */
public final class StoreWriter extends AbstractBehavior<StoreWriter.Command> {

    public interface Command {}

    /** Puts to write; {@code replyTo} (may be null) hears about {@code token}. */
    public record Write(List<StateStore.Put> puts, ActorRef<Result> replyTo, long token) implements Command {}

    public interface Result {
        long token();
    }

    public record Written(long token) implements Result {}

    public record WriteFailed(long token, String error) implements Result {}

    private enum Flush implements Command { INSTANCE }

    /** A write this slow is logged (WARN). */
    static final long SLOW_WRITE_MILLIS = 500;
    /** A write this slow is logged at DEBUG (to see a latency tail: `io.spottrain.coordinator.state` at DEBUG). */
    static final long NOTABLE_WRITE_MILLIS = 20;

    private record Waiter(ActorRef<Result> replyTo, long token) {}

    /** Props that put the writer on the blocking-IO dispatcher. */
    public static Props props() {
        return DispatcherSelector.blocking();
    }

    public static Behavior<Command> create(StateStore store) {
        return create(store, null);
    }

    /**
     * A writer whose every write holds {@code fence} (a job manager's epoch). Once it is fenced
     * off (a newer job manager took over) it answers every waiting write with the failure and
     * stops: its owner, watching it, stops acting.
     */
    public static Behavior<Command> create(StateStore store, StateStore.Fence fence) {
        return Behaviors.setup(ctx -> new StoreWriter(ctx, store, fence));
    }

    private final StateStore store;
    private final StateStore.Fence fence;
    private final Map<String, StateStore.Put> pending = new LinkedHashMap<>();
    private final List<Waiter> waiting = new ArrayList<>();
    private boolean flushQueued;

    private StoreWriter(ActorContext<Command> ctx, StateStore store, StateStore.Fence fence) {
        super(ctx);
        this.store = store;
        this.fence = fence;
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Write.class, this::onWrite)
                .onMessageEquals(Flush.INSTANCE, this::onFlush)
                .build();
    }

    private Behavior<Command> onWrite(Write w) {
        for (StateStore.Put p : w.puts()) {
            String k = p.table().name() + "/" + p.key();
            pending.remove(k); // re-insert: the newest version keeps the newest position
            pending.put(k, p);
        }
        if (w.replyTo() != null) waiting.add(new Waiter(w.replyTo(), w.token()));
        if (!flushQueued) {
            flushQueued = true;
            getContext().getSelf().tell(Flush.INSTANCE); // behind every Write already in the mailbox
        }
        return this;
    }

    private Behavior<Command> onFlush() {
        flushQueued = false;
        var puts = List.copyOf(pending.values());
        var replies = List.copyOf(waiting);
        pending.clear();
        waiting.clear();
        String error = null;
        boolean fenced = false;
        long t0 = System.nanoTime();
        try {
            store.write(puts, fence);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            // every job waiting on this write waited this long: an operator hears of a slow one (DEBUG: every one over 20 ms)
            if (ms >= SLOW_WRITE_MILLIS) {
                getContext().getLog().warn("state store write of {} document(s), {} waiting, took {} ms", puts.size(), replies.size(), ms);
            } else if (ms >= NOTABLE_WRITE_MILLIS && getContext().getLog().isDebugEnabled()) {
                getContext().getLog().debug("state store write of {} document(s), {} waiting, took {} ms", puts.size(), replies.size(), ms);
            }
        } catch (FencedException e) {
            fenced = true;
            error = e.getMessage();
            getContext().getLog().error("state store write refused, this job manager stops acting: {}", error);
        } catch (RuntimeException e) {
            Throwable root = e; // the store's wrappers (Ignite's) say less than what they wrap
            while (root.getCause() != null && root.getCause() != root) root = root.getCause();
            error = root.getClass().getSimpleName() + ": " + root.getMessage();
            getContext().getLog().error("state store write of {} document(s) failed: {}", puts.size(), error);
        }
        for (Waiter w : replies) {
            w.replyTo().tell(error == null ? new Written(w.token()) : new WriteFailed(w.token(), error));
        }
        return fenced ? Behaviors.stopped() : this;
    }
}
