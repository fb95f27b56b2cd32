package io.spottrain.protocol.spec;

/**
 * One problem in a job spec, named by its field path ({@code spec.workers.min}) so that a user can
 * find it in the file. {@code line} is the 1-based line in the YAML source where known, else 0.
 */
public record FieldError(String path, String message, int line) {

    public FieldError(String path, String message) {
        this(path, message, 0);
    }

    /** {@code spec.workers.min: must be >= 1 (line 6)} — the form every tool prints. */
    @Override
    public String toString() {
        if (path == null || path.isEmpty()) {
            return message; // document-level: a syntax error names its own line and column
        }
        return line > 0 ? path + ": " + message + " (line " + line + ")" : path + ": " + message;
    }
}
