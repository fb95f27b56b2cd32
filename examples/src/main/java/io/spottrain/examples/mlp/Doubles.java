package io.spottrain.examples.mlp;

import io.spottrain.protocol.checkpoint.CheckpointException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Parameter arrays as checkpoint files: little-endian IEEE doubles. */
final class Doubles {
    private Doubles() {}

    static byte[] bytes(double[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (double d : v) b.putDouble(d);
        return b.array();
    }

    static double[] read(byte[] bytes, String name, long step) throws CheckpointException {
        if (bytes == null) throw new CheckpointException("step " + step + ": file " + name + " is missing");
        if (bytes.length % 8 != 0) throw new CheckpointException("step " + step + ": file " + name + " is not a double array");
        double[] v = new double[bytes.length / 8];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(v);
        return v;
    }
}
