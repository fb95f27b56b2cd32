package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.metrics.ControlMetrics;
import java.util.ArrayDeque;
import java.util.Deque;

/** The newest checkpoint stall, persist and upload times of a job, for their medians (bounded: the newest {@link #SIZE}). */
final class CheckpointWindows {
    static final int SIZE = 512;

    private final ControlMetrics metrics;
    private final Deque<Double> stall = new ArrayDeque<>();
    private final Deque<Double> persist = new ArrayDeque<>();
    private final Deque<Double> upload = new ArrayDeque<>();

    CheckpointWindows(ControlMetrics metrics) {
        this.metrics = metrics;
    }

    void checkpoint(String node, String job, double stallMs, double persistMs) {
        metrics.checkpoint(node, job, stallMs, persistMs);
        add(stall, stallMs);
        add(persist, persistMs);
    }

    void upload(double millis) {
        metrics.upload(millis);
        add(upload, millis);
    }

    Double stallP50() {
        return p50(stall, 3);
    }

    Double persistP50() {
        return p50(persist, 3);
    }

    Double uploadP50() {
        return p50(upload, 1);
    }

    private static void add(Deque<Double> w, double v) {
        w.addLast(v);
        if (w.size() > SIZE) w.removeFirst();
    }

    /** The median (mean of the middle two for an even count), rounded; null when empty. */
    static Double p50(Deque<Double> values, int digits) {
        if (values.isEmpty()) return null;
        var sorted = values.stream().sorted().toList();
        int n = sorted.size();
        double m = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        double f = Math.pow(10, digits);
        return Math.round(m * f) / f;
    }
}
