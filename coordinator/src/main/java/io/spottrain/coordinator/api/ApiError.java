package io.spottrain.coordinator.api;

import io.spottrain.protocol.spec.FieldError;
import java.util.List;

/** Every error the API returns: a one-line {@code error} and, for a bad spec, every field error. */
public record ApiError(String error, List<FieldError> errors) {
    public static ApiError of(String message) {
        return new ApiError(message, List.of());
    }
}
