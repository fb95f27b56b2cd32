package io.spottrain.launchers.bench;

import io.spottrain.launchers.bench.CapacityTrace.Kind;
import io.spottrain.launchers.bench.CapacityTrace.Step;
import java.util.HashSet;
import java.util.List;

/**
 * The goodput benchmark's accounting, as pure functions of what a run observed: where its time went,
 * and what the capacity it held cost. Times are run time (compressed); {@code compress} turns them
 * back into the trace time that prices are quoted in.
 */
public final class Goodput {
    private Goodput() {}

    /** What a system was doing when it was sampled, as it says itself (the job's state, the baseline driver's phase). */
    public enum Phase {
        /** Every rank of the current membership trains (or restores and trains: a step report ends it). */
        RUNNING,
        /** Not training: re-forming, restarting, restoring, or waiting for nodes. */
        STOPPED
    }

    /** One observation: run time, the newest step the system reported, its world size, its phase. */
    public record Sample(long atMs, long steps, int worldSize, Phase phase) {}

    /**
     * Where a run's time went, in run milliseconds. {@code training} advanced the newest step ever
     * reached; {@code rolledBack} re-did steps already reached once (lost to a failure); {@code
     * recovering} had the nodes it needs but did not train; {@code waiting} had fewer ready nodes than
     * it needs. {@code checkpointing} is the training time the checkpoints' stalls took (checkpoints x
     * their stall), moved out of {@code training}.
     */
    public record Breakdown(long steps, double trainingMs, double checkpointingMs, double recoveringMs, double rolledBackMs, double waitingMs) {
        public double totalMs() {
            return trainingMs + checkpointingMs + recoveringMs + rolledBackMs + waitingMs;
        }
    }

    /**
     * Classifies each sampling interval by the sample that ends it. An interval that ends RUNNING is
     * training when its steps are at or past every step reached before, rolled back when below; one that ends
     * STOPPED is waiting when fewer than {@code needed} nodes were ready then, recovering otherwise.
     * {@code steps} is the newest step ever reached: steps re-done after a rollback count once.
     */
    public static Breakdown account(List<Sample> samples, List<Step> schedule, int needed, double checkpointStallMs) {
        double training = 0;
        double rolledBack = 0;
        double recovering = 0;
        double waiting = 0;
        long reached = 0;
        for (int i = 1; i < samples.size(); i++) {
            Sample prev = samples.get(i - 1);
            Sample s = samples.get(i);
            double dt = s.atMs() - prev.atMs();
            if (s.phase() == Phase.RUNNING) {
                if (s.steps() >= reached) training += dt; // steps are reported every few: an unchanged count still trains
                else rolledBack += dt;
            } else if (readyAt(schedule, s.atMs()) < needed) {
                waiting += dt;
            } else {
                recovering += dt;
            }
            reached = Math.max(reached, s.steps());
        }
        if (!samples.isEmpty()) reached = Math.max(reached, samples.get(0).steps());
        double checkpointing = Math.min(checkpointStallMs, training);
        return new Breakdown(reached, training - checkpointing, checkpointing, recovering, rolledBack, waiting);
    }

    /** Ready nodes at run time {@code atMs}: readied at or before it, not yet terminated. */
    public static int readyAt(List<Step> schedule, long atMs) {
        var up = new HashSet<String>();
        for (Step s : schedule) {
            if (s.atMs() > atMs) break;
            if (s.kind() == Kind.READY) up.add(s.node());
            else if (s.kind() == Kind.TERMINATE) up.remove(s.node());
        }
        return up.size();
    }

    /**
     * Node-milliseconds a system that holds at most {@code cap} of the ready nodes pays for up to
     * {@code endMs}: the integral of min(cap, ready nodes). A fixed-size job asks for its N nodes and
     * no more; an elastic one up to its max.
     */
    public static long heldNodeMillis(List<Step> schedule, long endMs, int cap) {
        var up = new HashSet<String>();
        long total = 0;
        long last = 0;
        for (Step s : schedule) {
            if (s.kind() == Kind.NOTICE) continue;
            long at = Math.min(s.atMs(), endMs);
            total += (at - last) * Math.min(cap, up.size());
            last = at;
            if (s.atMs() > endMs) break;
            if (s.kind() == Kind.READY) up.add(s.node());
            else up.remove(s.node());
        }
        if (last < endMs) total += (endMs - last) * Math.min(cap, up.size());
        return total;
    }

    /** Dollars for node-milliseconds of run time at an hourly price quoted in trace time. */
    public static double dollars(long nodeMillis, double compress, double pricePerHour) {
        return nodeMillis * compress / 3_600_000.0 * pricePerHour;
    }
}
