package io.spottrain.protocol.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;
import java.util.Optional;

/** {@code spec.elastic.scaleUp}: a running job below its max grows into free fitting nodes ({@code auto}) or never. */
public enum ScaleUp {
    AUTO,
    NEVER;

    @JsonValue
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static ScaleUp fromJson(String s) {
        return fromLabel(s).orElse(AUTO);
    }

    public static Optional<ScaleUp> fromLabel(String s) {
        for (ScaleUp v : values()) if (v.label().equals(s)) return Optional.of(v);
        return Optional.empty();
    }
}
