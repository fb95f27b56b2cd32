package io.spottrain.coordinator.jobs;

import java.util.ArrayList;
import java.util.List;

/**
 * A job's operator-set size: {@code desired} workers (null: none set, the job grows up to its
 * spec's {@code workers.max}), which automatic growth and capacity offers respect, and the newest
 * {@link #KEPT} scaling events (oldest first), so the job document stays bounded; every request is
 * also a {@link JobEventType#SCALE_REQUESTED} event in the job's full history.
 */
public record Scaling(Integer desired, List<ScalingEvent> events) {
    public static final int KEPT = 50;
    public static final Scaling NONE = new Scaling(null, List.of());

    public Scaling {
        events = events == null ? List.of() : List.copyOf(events);
    }

    Scaling record(ScalingEvent e, Integer newDesired) {
        var all = new ArrayList<>(events);
        all.add(e);
        if (all.size() > KEPT) all.subList(0, all.size() - KEPT).clear();
        return new Scaling(newDesired, all);
    }

    /**
     * The operator's newest accepted request asks for more than {@code worldSize}: growing toward
     * it waits for no cooldown (a growth of several steps, as nodes arrive one by one, included).
     */
    boolean growthAsked(int worldSize) {
        for (int i = events.size() - 1; i >= 0; i--) {
            var e = events.get(i);
            if (e.outcome() == ScalingOutcome.ACCEPTED) return e.to() > worldSize;
        }
        return false;
    }
}
