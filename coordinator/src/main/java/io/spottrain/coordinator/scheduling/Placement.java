package io.spottrain.coordinator.scheduling;

import java.util.List;

/** The scheduler's answer for one job: the nodes to use (rank order), or why it must wait. */
public record Placement(List<String> nodeIds, String waitReason) {

    public static Placement on(List<String> nodeIds) {
        return new Placement(List.copyOf(nodeIds), null);
    }

    public static Placement waitFor(String reason) {
        return new Placement(List.of(), reason);
    }

    public boolean placed() {
        return waitReason == null;
    }
}
