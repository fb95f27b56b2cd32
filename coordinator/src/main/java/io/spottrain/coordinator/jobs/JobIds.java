package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.state.StateStore;
import java.security.SecureRandom;

/**
 * A job manager's job ids, {@code <name>-<n>-<incarnation>}. The numbers come from the store's durable counter, reserved
 * {@value #BLOCK} at a time: a submit then costs one store write (its job) instead of two (the counter, then the job), each
 * an fsynced transaction. Numbers are never reused; after a restart or a hand-over the next manager reserves a new block,
 * so numbering may jump by up to {@value #BLOCK}. The incarnation (random per manager) keeps ids unique where the counter
 * did not survive ({@code --store memory}) but nodes kept their local tiers. Thread-safe: submits are stored from the
 * blocking pool's threads.
 */
final class JobIds {
    static final int BLOCK = 32;

    private final StateStore store;
    private final String incarnation = String.format("%04x", new SecureRandom().nextInt(0x10000));
    private long next;
    private long end; // exclusive

    JobIds(StateStore store) {
        this.store = store;
    }

    String next(String name) {
        return name + "-" + nextNumber() + "-" + incarnation;
    }

    private synchronized long nextNumber() {
        if (next >= end) {
            next = store.reserve("jobs", BLOCK);
            end = next + BLOCK;
        }
        return next++;
    }
}
