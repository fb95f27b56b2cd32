package io.spottrain.coordinator.jobs;

import java.time.Duration;
import java.util.Locale;

/**
 * {@code checkpoint.interval: auto} as a pure decision (Young/Daly): checkpoint every
 * {@code sqrt(2 x C x MTBF)}, where C is what one checkpoint costs the training loop (the ranks'
 * measured stall, p50) and MTBF the job's mean time between preemptions: its world size times a
 * per-node rate estimated from the preemptions it saw over its node-hours, with a prior (one
 * preemption per {@code 1/prior} node-hours) so that a young job is not trusted to be lucky. The
 * interval is never shorter than an upload takes (the remote tier would fall behind), nor than the
 * floor, nor longer than the ceiling. Until a first checkpoint is measured, the floor's safe default.
 */
public final class CheckpointInterval {
    private CheckpointInterval() {}

    /** How the reason starts while nothing is measured yet. */
    static final String UNMEASURED = "no checkpoint measured yet";

    /** The chosen interval and, in words, why. */
    public record Choice(Duration interval, String why) {
        public long seconds() {
            return interval.toSeconds();
        }
    }

    /** What the choice is made from. */
    public record Inputs(Double stallMsP50, Double uploadMsP50, int worldSize, int preemptions, double nodeHours,
            double priorPerNodeHour, Duration floor, Duration ceiling) {}

    public static Choice choose(Inputs in) {
        double lambda = (in.preemptions() + 1.0) / (in.nodeHours() + 1.0 / in.priorPerNodeHour()); // per node-hour
        double mtbfSeconds = 3600.0 / (Math.max(1, in.worldSize()) * lambda);
        String mtbf = String.format(Locale.ROOT, "MTBF %.1f h (%d preemption(s) in %.1f node-hours, prior 1 per %.0f node-hours, world size %d)",
                mtbfSeconds / 3600, in.preemptions(), in.nodeHours(), 1 / in.priorPerNodeHour(), in.worldSize());
        if (in.stallMsP50() == null) {
            return new Choice(in.floor(), UNMEASURED + ": " + in.floor().toSeconds() + " s until one is; " + mtbf);
        }
        double cost = in.stallMsP50() / 1000.0;
        double young = Math.sqrt(2 * cost * mtbfSeconds);
        String base = String.format(Locale.ROOT, "sqrt(2 x C %.3f s x %s) = %.1f s", cost, mtbf, young);
        double upload = in.uploadMsP50() == null ? 0 : in.uploadMsP50() / 1000.0;
        double chosen = young;
        String why = base;
        if (chosen < upload) {
            chosen = upload;
            why += String.format(Locale.ROOT, ", raised to the upload time %.1f s", upload);
        }
        if (chosen < in.floor().toSeconds()) {
            chosen = in.floor().toSeconds();
            why += ", raised to the " + in.floor().toSeconds() + " s floor";
        }
        if (chosen > in.ceiling().toSeconds()) {
            chosen = in.ceiling().toSeconds();
            why += ", capped at " + in.ceiling().toSeconds() + " s";
        }
        return new Choice(Duration.ofMillis(Math.round(chosen * 1000)), why);
    }
}
