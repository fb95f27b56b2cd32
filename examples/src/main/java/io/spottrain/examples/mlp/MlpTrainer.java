package io.spottrain.examples.mlp;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import io.spottrain.protocol.checkpoint.CheckpointException;
import io.spottrain.protocol.contract.Contract;
import io.spottrain.protocol.contract.ControlClient;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

/**
 * Deterministic data-parallel training of a small MLP classifier, following the spottrain
 * training-process contract (docs/training-contract.md).
 *
 * <ul>
 *   <li>Constant global batch: step s always covers the same samples in the same order; rank r of W
 *       takes the slice [r*B/W, (r+1)*B/W) of it.</li>
 *   <li>Exact reduction: per-sample gradients in 64-bit fixed point, summed with a ring all-reduce
 *       over TCP. Parameters after step s are bit-identical on every rank and at every world size;
 *       the run ends printing {@code params-sha256=<hex>}.</li>
 *   <li>Checkpoints (parameters, momentum, step; the data position and RNG follow from the step and
 *       the seed) every K steps and when the agent asks; snapshot in memory, written in the
 *       background, committed by manifest. Resumes from {@code SPOTTRAIN_RESUME_STEP}.</li>
 *   <li>A dead or hung peer makes the all-reduce fail within {@code --peer-timeout-s}: the rank keeps
 *       the state of the last completed step, reports "stalled at step s", writes that state if
 *       asked (or after {@code --stall-wait-s}) and exits 75.</li>
 * </ul>
 *
 * Exit codes: 0 done, 75 stopped before the end (stall or stop request; resumable), 2 bad input.
 */
public final class MlpTrainer {
    static final int EXIT_STOPPED = 75;
    static final int EXIT_BAD_INPUT = 2;

    public static void main(String[] args) throws Exception {
        TrainerOptions o;
        try {
            o = TrainerOptions.parse(args, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("mlp-trainer: " + e.getMessage());
            System.exit(EXIT_BAD_INPUT);
            return;
        }
        System.exit(new MlpTrainer(o).run());
    }

    /** The run's settings; an in-place re-form changes its membership (rank, world size, generation, rendezvous). */
    private TrainerOptions o;
    private final SyntheticDataset data;
    private final Mlp model;
    private final ExtraState extra;
    private final MlpCheckpoints checkpoints = new MlpCheckpoints();
    private double[] params;
    private double[] velocity;
    private long step;
    /** The state of step - 1, so survivors that stalled one step apart can agree on a common step. */
    private double[] prevParams;
    private double[] prevVelocity;
    private double lastLoss = Double.NaN;
    /** False while re-formed without the resume step's state (ring-state): it comes over the ring, nothing is written meanwhile. */
    private boolean holdsState = true;

    MlpTrainer(TrainerOptions o) {
        this.o = o;
        this.data = new SyntheticDataset(o.seed(), o.samples(), o.features(), o.classes());
        this.model = new Mlp(o.features(), o.hidden(), o.classes());
        this.extra = new ExtraState(o.stateMb(), o.seed());
    }

    int run() throws Exception {
        try (ControlClient control = ControlClient.fromEnv(System.getenv())) {
            control.hello(o.rank(), o.worldSize(), o.resumeStep(),
                    o.reform() ? List.of(Contract.CAPABILITY_REFORM, Contract.CAPABILITY_RING_STATE) : List.of());
            if (o.resumeStep() > 0) {
                try {
                    restore(o.resumeStep());
                } catch (CheckpointException e) {
                    System.err.println("mlp-trainer: cannot resume: " + e.getMessage());
                    return EXIT_BAD_INPUT;
                }
                log("resumed from step " + step + " in " + o.checkpointDir() + " at world size " + o.worldSize());
            } else {
                params = model.init(o.seed());
                velocity = new double[model.size];
                step = 0;
            }
            long t0 = System.nanoTime();
            try {
                if (o.standby()) { // staged ahead of its generation (contract v2): ready at this step, joins when re-formed
                    log("staged at step " + step + ": waiting to be re-formed into a generation");
                    control.parked(step);
                    Integer code = await(control, true);
                    if (code != null) return code;
                }
                while (true) { // once per generation this process serves (more than one after in-place re-forms)
                    Integer code;
                    RingAllReduce ring;
                    try {
                        ring = RingAllReduce.connect(o.rank(), o.worldSize(), o.generation(), o.masterAddr(), o.masterPort(),
                                o.peerTimeoutMs());
                    } catch (IOException e) {
                        // a newcomer without its state has nothing to keep: exit before 'reformed' (its agent starts it afresh)
                        code = holdsState ? stall(control, "rendezvous failed: " + e.getMessage()) : EXIT_STOPPED;
                        if (code != null) return code;
                        continue;
                    }
                    try (ring) {
                        code = o.reform() ? shareState(control, ring) : null;
                        if (code == null) code = train(control, ring);
                    }
                    if (code != null) {
                        System.out.printf(Locale.ROOT, "train-seconds=%.4f%n", (System.nanoTime() - t0) / 1e9);
                        return code;
                    }
                }
            } finally {
                checkpoints.close();
            }
        }
    }

    /**
     * Contract v2 ring-state: a rank re-formed without the resume step's state takes it from one
     * that holds it, over the new ring ({@link RingState}). Null to train on; else the exit code.
     */
    private Integer shareState(ControlClient control, RingAllReduce ring) throws Exception {
        try {
            var shared = RingState.share(ring, o.rank(), o.worldSize(), holdsState, step, params, velocity);
            if (!holdsState) {
                log("took the state of step " + shared.step() + " from rank " + shared.sentBy() + " over the ring");
                control.reformed(o.generation(), shared.step()); // only now: until then a failure falls back to a fresh process
            }
            step = shared.step();
            holdsState = true;
            return null;
        } catch (RingAllReduce.PeerLostException e) {
            if (!holdsState) { // nothing to keep or checkpoint: exit before 'reformed', and the agent starts it afresh
                log("lost a peer before taking the state over the ring: " + e.getMessage());
                return EXIT_STOPPED;
            }
            return stall(control, e.getMessage());
        } catch (CheckpointException e) {
            log("cannot take the state over the ring: " + e.getMessage());
            return EXIT_STOPPED;
        }
    }

    /** Trains this generation; returns the exit code, or null once re-formed in place for the next generation. */
    private Integer train(ControlClient control, RingAllReduce ring) throws Exception {
        int b = o.batch();
        int lo = (int) ((long) b * o.rank() / o.worldSize());
        int hi = (int) ((long) b * (o.rank() + 1) / o.worldSize());
        // gradients, then the loss, then two flags that make requests collective: a request that
        // reaches any rank is seen by all after this step's all-reduce, so all act at the same step
        long[] acc = new long[model.size + 4];
        int lossSlot = model.size;
        int checkpointFlag = model.size + 1;
        int stopFlag = model.size + 2;
        int parkFlag = model.size + 3; // contract v2: stop, but keep the process for an in-place re-form
        double[] h = new double[model.hidden];
        double[] z = new double[model.out];
        double[] dh = new double[model.hidden];
        long checkpointAt = -1;
        boolean checkpointAsked = false;
        boolean stopAsked = false;
        boolean parkAsked = false;
        prevParams = params.clone();
        prevVelocity = velocity.clone();
        long windowStart = System.nanoTime();
        long windowSteps = 0;
        while (step < o.steps()) {
            o.failIfDue(step, this::log); // fault injection (--fail-at-step)
            for (JsonNode r; (r = control.poll()) != null; ) { // requests are taken at step boundaries
                String type = r.path("type").asText();
                if (type.equals(Contract.CHECKPOINT_NOW)) {
                    if (r.has("step") && r.path("step").asLong() > step) checkpointAt = r.path("step").asLong();
                    else checkpointAsked = true;
                } else if (type.equals(Contract.STOP)) {
                    stopAsked = true;
                } else if (type.equals(Contract.PARK)) {
                    parkAsked = true;
                }
            }
            Arrays.fill(acc, 0);
            acc[checkpointFlag] = checkpointAsked ? 1 : 0;
            acc[stopFlag] = stopAsked || parkAsked ? 1 : 0;
            acc[parkFlag] = parkAsked ? 1 : 0;
            checkpointAsked = false;
            int epoch = (int) (step * b / data.samples);
            int offset = (int) ((step * b) % data.samples);
            int[] order = data.order(epoch);
            for (int i = lo; i < hi; i++) {
                int idx = order[(offset + i) % data.samples];
                double loss = model.accumulate(params, data.x[idx], data.y[idx], acc, h, z, dh);
                acc[lossSlot] += Mlp.q(loss);
            }
            try {
                ring.allReduce(acc);
            } catch (RingAllReduce.PeerLostException e) {
                return stall(control, e.getMessage());
            }
            double scale = 1.0 / (Mlp.SCALE * b);
            System.arraycopy(params, 0, prevParams, 0, model.size);
            System.arraycopy(velocity, 0, prevVelocity, 0, model.size);
            for (int i = 0; i < model.size; i++) {
                velocity[i] = o.momentum() * velocity[i] + acc[i] * scale;
                params[i] -= o.lr() * velocity[i];
            }
            lastLoss = acc[lossSlot] * scale;
            step++;
            windowSteps++;
            if (step % o.logEvery() == 0 || step == o.steps()) {
                double secs = (System.nanoTime() - windowStart) / 1e9;
                double sps = windowSteps * b / Math.max(secs, 1e-9);
                if (o.stepDelayMs() > 0) sps = windowSteps * b / Math.max(secs - windowSteps * o.stepDelayMs() / 1000.0, 1e-9);
                log(String.format("step %d loss %.6f samples/s %.0f", step, lastLoss, sps));
                control.progress(step, lastLoss, sps, o.steps(), step * (long) b); // constant global batch: b samples a step
                windowStart = System.nanoTime();
                windowSteps = 0;
            }
            boolean stopNow = acc[stopFlag] > 0;
            if (acc[checkpointFlag] > 0 || step == checkpointAt) {
                checkpoint(control, "requested");
            } else if ((o.checkpointEvery() > 0 && step % o.checkpointEvery() == 0) || (stopNow && step < o.steps())) {
                checkpoint(control, stopNow ? "stop" : "interval");
            }
            if (stopNow && step < o.steps()) {
                awaitWrite();
                // a v2 rank not itself asked to stop parks: the generation ends, its own park (or stop) may come a step later,
                // since each rank's agent hears the coordinator at its own moment; one asked to stop (departing) exits
                if (o.reform() && !stopAsked) return park(control);
                log("stopping at step " + step + " as asked");
                return EXIT_STOPPED;
            }
            if (o.stepDelayMs() > 0) Thread.sleep(o.stepDelayMs());
            // emulated compute for this rank's slice of the global batch: a step at world size W takes batchDelay/W
            for (long end = System.nanoTime() + o.batchDelayMs() * 1_000_000L * (hi - lo) / b; System.nanoTime() < end; ) {
                LockSupport.parkNanos(end - System.nanoTime());
            }
        }
        awaitWrite();
        String sha = CheckpointDir.sha256(Doubles.bytes(params));
        System.out.println("params-sha256=" + sha);
        System.out.println(String.format("final-loss=%.6f", lastLoss));
        control.done(step, lastLoss, sha);
        return 0;
    }

    /**
     * A collective failed: report it, keep the last completed step's state (and the one before),
     * write it if asked, then exit 75, or park and re-form in place (contract v2). Returns the exit
     * code, or null once re-formed.
     */
    private Integer stall(ControlClient control, String reason) throws Exception {
        log("stalled at step " + step + ": " + reason);
        control.stalled(step, reason);
        return await(control, false);
    }

    /** Parked (contract v2): the step is committed; wait for the next generation's re-form. */
    private Integer park(ControlClient control) throws Exception {
        log("parked at step " + step + ": waiting to re-form in place");
        control.parked(step);
        return await(control, true);
    }

    /**
     * Waits (bounded by {@code --stall-wait-s}) for the agent: {@code checkpoint-now} of this step or
     * the one before, {@code park}, {@code reform} (v2) or {@code stop}. With no answer in time the
     * step is written anyway and the rank exits 75.
     */
    private Integer await(ControlClient control, boolean parked) throws Exception {
        long deadline = System.currentTimeMillis() + o.stallWaitMs();
        boolean written = parked;
        while (System.currentTimeMillis() < deadline) {
            JsonNode r = control.attached() ? control.poll(200) : null;
            if (r == null) {
                if (!control.attached()) break;
                continue;
            }
            String type = r.path("type").asText();
            // once written, only an explicit other step is written too: the one before, when the others stalled a step behind
            if (type.equals(Contract.CHECKPOINT_NOW) && (!written || r.has("step") && r.path("step").asLong() != step)) {
                long want = r.path("step").asLong(step);
                if (!holdStep(want)) {
                    log("cannot checkpoint step " + want + ": this rank holds steps " + (step - 1) + " and " + step);
                    continue;
                }
                checkpoint(control, "stall");
                awaitWrite();
                written = true;
            } else if (type.equals(Contract.PARK) && o.reform() && parked) {
                control.parked(step); // parked through the collective before its own park came: say so again
            } else if (type.equals(Contract.PARK) && o.reform()) {
                if (!written && step > 0) { // the step survives whatever happens to this process
                    checkpoint(control, "stall");
                    awaitWrite();
                }
                parked = true;
                written = true;
                log("parked at step " + step + ": waiting to re-form in place");
                control.parked(step);
                deadline = System.currentTimeMillis() + o.stallWaitMs();
            } else if (type.equals(Contract.REFORM) && o.reform()) {
                if (reform(control, r)) return null;
                awaitWrite();
                return EXIT_STOPPED; // the agent starts a fresh process for the new generation
            } else if (type.equals(Contract.STOP)) {
                awaitWrite();
                return EXIT_STOPPED;
            }
        }
        if (!written && step > 0) { // nobody asked in time: keep the work anyway
            checkpoint(control, "stall");
            awaitWrite();
        }
        return EXIT_STOPPED;
    }

    /** Holds the state of {@code want}: the current step, or the one before (survivors can stall one step apart). */
    private boolean holdStep(long want) {
        if (want == step) return true;
        if (want != step - 1 || prevParams == null) return false;
        params = prevParams;
        velocity = prevVelocity;
        prevParams = null;
        prevVelocity = null;
        step = want;
        return true;
    }

    /**
     * Contract v2: joins the next generation with this process's state: rolls back to
     * {@code resumeStep} if it is one behind, or reads it from the local tier, then takes the new
     * membership; the caller connects the new ring. False when the step is not at hand.
     */
    private boolean reform(ControlClient control, JsonNode r) {
        long resume = r.path("resumeStep").asLong();
        boolean held = holdStep(resume);
        if (!held && r.path("stateOverRing").asBoolean(false)) {
            holdsState = false; // a staged newcomer: a member that holds the step sends it once the ring is up (shareState)
        } else {
            if (!held) {
                try {
                    restore(resume);
                } catch (CheckpointException e) {
                    log("cannot re-form at step " + resume + " (holds " + step + "): " + e.getMessage());
                    return false;
                }
            }
            holdsState = true;
        }
        try {
            o = o.reformed(r.path("generation").asLong(), r.path("rank").asInt(), r.path("worldSize").asInt(), r.path("masterAddr").asText(),
                    r.path("masterPort").asInt());
        } catch (IllegalArgumentException e) {
            log("cannot re-form: " + e.getMessage());
            return false;
        }
        log("re-formed in place for generation " + o.generation() + " at step " + resume);
        if (holdsState) control.reformed(o.generation(), resume); // a newcomer says so once it has the state (shareState)
        return true;
    }

    /** Snapshot now (the stall training sees), persist in the background, commit by manifest ({@link MlpCheckpoints}). */
    private void checkpoint(ControlClient control, String reason) throws Exception {
        if (!holdsState) return; // re-formed, the step's state not taken over the ring yet: there is nothing to write
        checkpoints.write(o, control, reason, step, params, velocity, lastLoss, extra, this::log);
    }

    private void awaitWrite() throws Exception {
        checkpoints.await();
    }

    private void restore(long resumeStep) throws CheckpointException {
        var state = MlpCheckpoints.read(o, resumeStep, model.size, extra);
        params = state.params();
        velocity = state.velocity();
        step = resumeStep;
    }

    private void log(String s) {
        System.out.println("[rank " + o.rank() + "/" + o.worldSize() + "] " + s);
        System.out.flush();
    }

    static Path path(String s) {
        return s == null || s.isBlank() ? null : Path.of(s);
    }
}
