package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.state.StateStore;
import java.security.SecureRandom;
import java.util.Optional;

/**
 * A job manager's job ids, {@code <name>-<n>-<incarnation>}. The numbers come from the store's durable counter, reserved
 * {@value #BLOCK} at a time: a submit then costs one store write (its job) instead of two (the counter, then the job), each
 * an fsynced transaction. Numbers are never reused; after a restart or a hand-over the next manager reserves a new block,
 * so numbering may jump by up to {@value #BLOCK}. The incarnation (random per manager) keeps ids unique where the counter
 * did not survive ({@code --store memory}) but nodes kept their local tiers. Thread-safe: blocks are reserved from the
 * blocking pool's threads, reserved numbers taken on the job manager's own ({@link #nextReserved}).
 */
final class JobIds {
    static final int BLOCK = 32;

    private final StateStore store;
    private final String incarnation = String.format("%04x", new SecureRandom().nextInt(0x10000));
    private long next;
    private long end; // exclusive
    private boolean reserving;

    JobIds(StateStore store) {
        this.store = store;
    }

    String next(String name) {
        return name + "-" + nextNumber() + "-" + incarnation;
    }

    /**
     * The next id when its number is already reserved (no store read), else empty: the job manager then stores the submit from
     * its own thread instead of a round trip through the blocking pool (31 submits in 32).
     */
    synchronized Optional<String> nextReserved(String name) {
        return next < end ? Optional.of(name + "-" + next++ + "-" + incarnation) : Optional.empty();
    }

    /**
     * One number, reserving a block when none is left: one thread reserves at a time (the others wait, so that a burst does not
     * reserve a block each), and outside the lock, so that {@link #nextReserved} never waits for the store.
     */
    private long nextNumber() {
        synchronized (this) {
            while (next >= end && reserving) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while job numbers were reserved", e);
                }
            }
            if (next < end) return next++;
            reserving = true;
        }
        long start = 0;
        boolean reserved = false;
        try {
            start = store.reserve("jobs", BLOCK);
            reserved = true;
        } finally {
            synchronized (this) {
                if (reserved) { // the reserver takes the block's first number itself: no race for it with the waiters
                    next = start + 1;
                    end = start + BLOCK;
                }
                reserving = false;
                notifyAll();
            }
        }
        return start;
    }
}
