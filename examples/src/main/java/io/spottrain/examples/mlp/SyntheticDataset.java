package io.spottrain.examples.mlp;

/**
 * A classification data set generated from a seed: {@code classes} Gaussian clusters in
 * {@code features} dimensions with overlapping noise, so the loss falls but not to zero. The
 * sample order of epoch e is a Fisher-Yates shuffle seeded by (seed, e): the data position of any
 * step follows from the step number, so it needs no state of its own in a checkpoint.
 */
final class SyntheticDataset {
    final int samples;
    final int features;
    final int classes;
    final double[][] x;
    final int[] y;
    private final long seed;
    private int cachedEpoch = -1;
    private int[] cachedOrder;

    SyntheticDataset(long seed, int samples, int features, int classes) {
        this.seed = seed;
        this.samples = samples;
        this.features = features;
        this.classes = classes;
        var rng = new SplitMix64(seed ^ 0x5EED_DA7AL);
        double[][] centers = new double[classes][features];
        for (double[] c : centers) for (int j = 0; j < features; j++) c[j] = rng.nextGaussian();
        x = new double[samples][features];
        y = new int[samples];
        for (int i = 0; i < samples; i++) {
            y[i] = rng.nextInt(classes);
            for (int j = 0; j < features; j++) x[i][j] = centers[y[i]][j] + 2.5 * rng.nextGaussian();
        }
    }

    /** The sample indices of epoch {@code e}, in training order. */
    int[] order(int epoch) {
        if (epoch != cachedEpoch) {
            int[] p = new int[samples];
            for (int i = 0; i < samples; i++) p[i] = i;
            var rng = new SplitMix64(seed * 31 + epoch);
            for (int i = samples - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = p[i];
                p[i] = p[j];
                p[j] = t;
            }
            cachedOrder = p;
            cachedEpoch = epoch;
        }
        return cachedOrder;
    }
}
