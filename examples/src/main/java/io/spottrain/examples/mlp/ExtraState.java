package io.spottrain.examples.mlp;

import io.spottrain.protocol.checkpoint.CheckpointException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code --state-mb N}: N MiB of optimizer-like state carried in every checkpoint
 * ({@value #FILE}), so snapshots, writes, uploads and restores cost what they cost for a model of
 * that size. Pseudo-random bytes from the seed, the first 8 of them the step (checked on restore).
 */
final class ExtraState {
    static final String FILE = "state.bin";

    private final int bytesLong;
    private byte[] bytes;

    ExtraState(int mb, long seed) {
        if (mb < 0 || mb > 16 * 1024) throw new IllegalArgumentException("--state-mb must be 0..16384, got " + mb);
        this.bytesLong = mb << 20;
        if (mb > 0) {
            bytes = new byte[bytesLong];
            new SplittableRandom(seed).nextBytes(bytes);
        }
    }

    /** Adds this step's snapshot (a copy: training goes on while it is written) to a checkpoint's files. */
    void addTo(Map<String, byte[]> files, long step) {
        if (bytes == null) return;
        byte[] copy = bytes.clone();
        ByteBuffer.wrap(copy).putLong(0, step);
        files.put(FILE, copy);
    }

    /** Takes the state of {@code step} from a restored checkpoint's files. */
    void restore(Map<String, byte[]> files, long step) throws CheckpointException {
        if (bytes == null) return;
        byte[] got = files.get(FILE);
        if (got == null) throw new CheckpointException("step " + step + ": no " + FILE + " (written without --state-mb?)");
        if (got.length != bytesLong) {
            throw new CheckpointException("step " + step + ": " + FILE + " has " + got.length + " bytes, --state-mb asks for " + bytesLong);
        }
        long stamped = ByteBuffer.wrap(got).getLong(0);
        if (stamped != step) throw new CheckpointException("step " + step + ": " + FILE + " holds the state of step " + stamped);
        bytes = got;
    }
}
