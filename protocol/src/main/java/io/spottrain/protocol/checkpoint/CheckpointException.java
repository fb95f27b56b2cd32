package io.spottrain.protocol.checkpoint;

/** A checkpoint that is missing, incomplete or corrupt; the message names the step and the file. */
public final class CheckpointException extends Exception {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
