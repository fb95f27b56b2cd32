package io.spottrain.examples.mlp;

/**
 * A tiny, portable, seedable generator (SplitMix64): the same seed gives the same numbers in Java,
 * Python or C, so data and initial weights are reproducible anywhere. Gaussians use Box-Muller
 * with {@link StrictMath}, which is bit-identical on every JVM.
 */
final class SplitMix64 {
    private long state;

    SplitMix64(long seed) {
        this.state = seed;
    }

    long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, 1) with 53 random bits. */
    double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    int nextInt(int bound) {
        return (int) Long.remainderUnsigned(nextLong(), bound);
    }

    double nextGaussian() {
        double u1 = 1.0 - nextDouble(); // (0, 1]
        double u2 = nextDouble();
        return StrictMath.sqrt(-2.0 * StrictMath.log(u1)) * StrictMath.cos(2.0 * StrictMath.PI * u2);
    }
}
