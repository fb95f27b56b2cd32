package io.spottrain.examples.mlp;

/**
 * A two-layer perceptron (features -> hidden, ReLU -> classes, softmax cross-entropy) over one
 * flat parameter vector. Gradients are computed per sample and quantized to 64-bit fixed point,
 * so that summing them is exact: integer addition is associative, floating-point addition is not.
 * The reduced gradient is then the same bits whatever the world size or the order the ranks'
 * contributions arrive in, and so are the parameters after every step.
 */
final class Mlp {
    /** Fixed-point scale of quantized gradients: 2^32 (resolution 2.3e-10; |g| up to 2^31 / batch). */
    static final double SCALE = 0x1.0p32;

    final int in;
    final int hidden;
    final int out;
    final int size;

    Mlp(int in, int hidden, int out) {
        this.in = in;
        this.hidden = hidden;
        this.out = out;
        this.size = hidden * in + hidden + out * hidden + out;
    }

    /** Glorot-uniform weights and zero biases, from the seed. */
    double[] init(long seed) {
        double[] p = new double[size];
        var rng = new SplitMix64(seed ^ 0x1217L);
        double a1 = StrictMath.sqrt(6.0 / (in + hidden));
        double a2 = StrictMath.sqrt(6.0 / (hidden + out));
        for (int i = 0; i < hidden * in; i++) p[i] = (2 * rng.nextDouble() - 1) * a1;
        int w2 = hidden * in + hidden;
        for (int i = 0; i < out * hidden; i++) p[w2 + i] = (2 * rng.nextDouble() - 1) * a2;
        return p;
    }

    /**
     * Adds the quantized gradient of one sample's loss to {@code acc} (length {@code size}) and
     * returns the sample's loss. {@code h}, {@code z} are scratch buffers (hidden, out).
     */
    double accumulate(double[] p, double[] x, int label, long[] acc, double[] h, double[] z, double[] dh) {
        int b1 = hidden * in;
        int w2 = b1 + hidden;
        int b2 = w2 + out * hidden;
        for (int k = 0; k < hidden; k++) {
            double s = p[b1 + k];
            int row = k * in;
            for (int j = 0; j < in; j++) s += p[row + j] * x[j];
            h[k] = s > 0 ? s : 0;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < out; c++) {
            double s = p[b2 + c];
            int row = w2 + c * hidden;
            for (int k = 0; k < hidden; k++) s += p[row + k] * h[k];
            z[c] = s;
            if (s > max) max = s;
        }
        double sum = 0;
        for (int c = 0; c < out; c++) {
            z[c] = StrictMath.exp(z[c] - max);
            sum += z[c];
        }
        double loss = -StrictMath.log(z[label] / sum);
        for (int k = 0; k < hidden; k++) dh[k] = 0;
        for (int c = 0; c < out; c++) {
            double g = z[c] / sum - (c == label ? 1 : 0); // dL/dz_c
            acc[b2 + c] += q(g);
            int row = w2 + c * hidden;
            for (int k = 0; k < hidden; k++) {
                acc[row + k] += q(g * h[k]);
                dh[k] += g * p[row + k];
            }
        }
        for (int k = 0; k < hidden; k++) {
            if (h[k] <= 0) continue;
            double g = dh[k];
            acc[b1 + k] += q(g);
            int row = k * in;
            for (int j = 0; j < in; j++) acc[row + j] += q(g * x[j]);
        }
        return loss;
    }

    static long q(double v) {
        return Math.round(v * SCALE);
    }
}
