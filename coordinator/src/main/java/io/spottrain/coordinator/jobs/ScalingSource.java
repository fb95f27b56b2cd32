package io.spottrain.coordinator.jobs;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Optional;

/** Where a resize request came from (recorded with its {@link ScalingEvent}). */
public enum ScalingSource {
    CONSOLE("console"), CLI("cli"), API("api");

    private final String label;

    ScalingSource(String label) {
        this.label = label;
    }

    @JsonValue
    public String label() {
        return label;
    }

    public static Optional<ScalingSource> parse(String s) {
        return Arrays.stream(values()).filter(v -> v.label.equals(s)).findFirst();
    }

    @JsonCreator
    static ScalingSource of(String s) {
        return parse(s).orElseThrow(() -> new IllegalArgumentException("no scaling source " + s));
    }
}
