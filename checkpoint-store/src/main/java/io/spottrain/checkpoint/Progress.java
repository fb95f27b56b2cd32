package io.spottrain.checkpoint;

/** Bytes moved so far out of a total, reported as a transfer goes (any thread). */
@FunctionalInterface
public interface Progress {
    Progress NONE = (done, total) -> { };

    void update(long bytesDone, long bytesTotal);
}
