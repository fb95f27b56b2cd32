package io.spottrain.protocol.spec;

import java.util.List;
import java.util.stream.Collectors;

/** A job spec that could not be parsed or is not valid; carries every error found, not just the first. */
public final class JobSpecException extends Exception {
    private final List<FieldError> errors;

    public JobSpecException(List<FieldError> errors) {
        super(errors.size() == 1
                ? errors.get(0).toString()
                : errors.size() + " errors: " + errors.stream().map(FieldError::toString).collect(Collectors.joining("; ")));
        this.errors = List.copyOf(errors);
    }

    public List<FieldError> errors() {
        return errors;
    }
}
