package io.spottrain.protocol.spec;

import java.util.Arrays;
import java.util.Optional;

/**
 * A job's priority class: {@code spec.priority} is a class name or a number 0..1000, and each class
 * is a range of those numbers (its name stands for the middle of it). {@code high} runs on
 * on-demand or reserved capacity only: a job that cannot lose its nodes to a reclaim does not ask for Spot.
 */
public enum PriorityClass {
    LOW("low", 0, 299, 100),
    NORMAL("normal", 300, 699, 500),
    HIGH("high", 700, 1000, 900);

    private final String label;
    private final int from;
    private final int to;
    private final int value;

    PriorityClass(String label, int from, int to, int value) {
        this.label = label;
        this.from = from;
        this.to = to;
        this.value = value;
    }

    public String label() {
        return label;
    }

    /** The number a class name stands for. */
    public int value() {
        return value;
    }

    public static PriorityClass of(int priority) {
        return Arrays.stream(values()).filter(c -> priority >= c.from && priority <= c.to).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("priority " + priority + " is outside 0..1000"));
    }

    public static Optional<PriorityClass> fromLabel(String label) {
        return Arrays.stream(values()).filter(c -> c.label.equals(label)).findFirst();
    }

    @Override
    public String toString() {
        return label + " (" + from + ".." + to + ")";
    }
}
