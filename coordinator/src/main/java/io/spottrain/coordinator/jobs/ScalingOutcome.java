package io.spottrain.coordinator.jobs;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;

/**
 * What became of a resize request: {@code accepted} (the job's desired worker count changed; it
 * grows or shrinks at its next safe point), {@code unchanged} (it already was that), {@code refused}
 * (out of bounds, stale, or a generation change in flight: nothing changed).
 */
public enum ScalingOutcome {
    ACCEPTED("accepted"), UNCHANGED("unchanged"), REFUSED("refused");

    private final String label;

    ScalingOutcome(String label) {
        this.label = label;
    }

    @JsonValue
    public String label() {
        return label;
    }

    @JsonCreator
    static ScalingOutcome of(String s) {
        return Arrays.stream(values()).filter(v -> v.label.equals(s)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no scaling outcome " + s));
    }
}
