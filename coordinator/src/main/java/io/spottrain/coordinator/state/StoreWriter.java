package io.spottrain.coordinator.state;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
 * (a job's small document) is written once, the newest. A batch takes whole writes, in order, up to
 * {@link #MAX_BATCH_PUTS} puts (one write alone may hold more): a fenced transaction locks the
 * job manager's epoch for as long as it runs, so another writer's next transaction (the jobs' vs
 * the node history's and cost ledger's) waits for one batch, not for everything queued. Each writer
 * learns the outcome: {@link Written} or {@link WriteFailed}; nothing is retried here (the owner
 * of the state decides). A batch that fails does not stop the next one: an owner with several
 * writes in flight may see a later one stored before it has retried an earlier one (a job's
 * {@code JobOutbox} retries with everything the failed one held).
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

    /** A fenced-off writer stops once it has answered the writes that were in its mailbox. */
    private enum Stop implements Command { INSTANCE }

    /** The most puts a batch takes from several writes (see the class comment; docs/benchmarks.md "2026-12-04 e"). */
    public static final int MAX_BATCH_PUTS = 200;

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
    /** Writes not yet in a batch, oldest first. */
    private final ArrayDeque<Write> queued = new ArrayDeque<>();
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

    /**
     * Nothing more is written: every write queued or still in the mailbox is answered with {@code why}, then the writer stops
     * (its owner, watching it, stops acting).
     */
    private Behavior<Command> fencedOff(String why) {
        for (Write w : queued) refuse(w, why);
        queued.clear();
        getContext().getSelf().tell(Stop.INSTANCE); // behind every write already in the mailbox
        return Behaviors.receive(Command.class)
                .onMessage(Write.class, w -> {
                    refuse(w, why);
                    return Behaviors.same();
                })
                .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
                .build();
    }

    private static void refuse(Write w, String why) {
        if (w.replyTo() != null) w.replyTo().tell(new WriteFailed(w.token(), why));
    }

    private Behavior<Command> onWrite(Write w) {
        queued.add(w);
        flushSoon();
        return this;
    }

    private void flushSoon() {
        if (!flushQueued) {
            flushQueued = true;
            getContext().getSelf().tell(Flush.INSTANCE); // behind every Write already in the mailbox
        }
    }

    private Behavior<Command> onFlush() {
        flushQueued = false;
        var batch = new LinkedHashMap<String, StateStore.Put>();
        var replies = new ArrayList<Waiter>();
        int taken = 0;
        while (!queued.isEmpty() && (taken == 0 || taken + queued.peek().puts().size() <= MAX_BATCH_PUTS)) {
            Write w = queued.poll();
            taken += w.puts().size();
            for (StateStore.Put p : w.puts()) {
                String k = p.table().name() + "/" + p.key();
                batch.remove(k); // re-insert: the newest version keeps the newest position
                batch.put(k, p);
            }
            if (w.replyTo() != null) replies.add(new Waiter(w.replyTo(), w.token()));
        }
        var puts = List.copyOf(batch.values());
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
        if (fenced) return fencedOff(error);
        if (!queued.isEmpty()) flushSoon(); // the rest in the next batch, after what arrived meanwhile joined the queue
        return this;
    }
}
