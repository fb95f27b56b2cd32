package io.spottrain.coordinator.security;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.javalin.security.RouteRole;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What an API token may do. Each role includes the ones below it: a {@code viewer} reads; an
 * {@code operator} also submits, cancels, checkpoints and resizes jobs; an {@code admin} also
 * launches and preempts nodes, shuts the cluster down and manages tokens.
 */
public enum Role implements RouteRole {
    VIEWER,
    OPERATOR,
    ADMIN;

    /** Whether a token of this role may use a route that needs {@code required}. */
    public boolean allows(Role required) {
        return compareTo(required) >= 0;
    }

    @JsonValue
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code viewer|operator|admin}; the error names the allowed values. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static Role parse(String s) {
        for (Role r : values()) {
            if (r.label().equals(s == null ? "" : s.trim().toLowerCase(Locale.ROOT))) return r;
        }
        throw new IllegalArgumentException("role must be one of " + Arrays.stream(values()).map(Role::label)
                .collect(Collectors.joining(", ")) + ", got \"" + s + "\"");
    }
}
