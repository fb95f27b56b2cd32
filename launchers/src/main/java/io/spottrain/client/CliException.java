package io.spottrain.client;

/** An expected failure: printed as one line, exit code 1, never a stack trace. */
public final class CliException extends RuntimeException {
    public CliException(String message) {
        super(message, null, false, false);
    }
}
