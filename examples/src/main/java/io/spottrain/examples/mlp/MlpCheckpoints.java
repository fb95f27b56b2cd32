package io.spottrain.examples.mlp;

import io.spottrain.protocol.checkpoint.CheckpointDir;
import io.spottrain.protocol.checkpoint.CheckpointException;
import io.spottrain.protocol.contract.ControlClient;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * The MLP trainer's checkpoints: a step's state is snapshotted on the training thread (the stall),
 * persisted on a writer thread and committed by its manifest, one write at a time in step order;
 * and read back, checked against the model's shape.
 */
final class MlpCheckpoints implements AutoCloseable {
    /** A step's parameters and optimizer state. */
    record State(double[] params, double[] velocity) {}

    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "checkpoint-writer");
        t.setDaemon(true);
        return t;
    });
    private Future<?> pending;

    /** Snapshots {@code step} now and persists it in the background; reports it to the agent once committed. */
    void write(TrainerOptions o, ControlClient control, String reason, long step, double[] params, double[] velocity, double loss,
            ExtraState extra, Consumer<String> log) throws Exception {
        if (o.checkpointDir() == null) {
            log.accept("no checkpoint directory (SPOTTRAIN_CHECKPOINT_DIR or --checkpoint-dir): checkpoint at step " + step + " skipped");
            return;
        }
        long t0 = System.nanoTime(); // the stall includes waiting for the previous write
        await(); // one write at a time, in step order
        var files = new LinkedHashMap<String, byte[]>();
        files.put("params.bin", Doubles.bytes(params));
        files.put("optimizer.bin", Doubles.bytes(velocity));
        files.put("trainer.json", o.describe(step, loss).getBytes(StandardCharsets.UTF_8));
        extra.addTo(files, step);
        double stallMs = (System.nanoTime() - t0) / 1e6;
        var dir = new CheckpointDir(o.checkpointDir());
        if (dir.isCommitted(step)) { // e.g. a stop or stall right after the interval checkpoint of this step
            var m = dir.manifest(step);
            control.checkpointWritten(step, dir.stepDir(step).toString(), m.files().size(), m.totalBytes(), 0, 0, reason);
            return;
        }
        pending = writer.submit(() -> {
            var m = dir.write(step, o.worldSize(), o.generation(), o.job(), files, Map.of(),
                    Map.of("loss", Double.toString(loss), "seed", Long.toString(o.seed()), "trainer", "mlp"));
            double persistMs = (System.nanoTime() - t0) / 1e6;
            control.checkpointWritten(step, dir.stepDir(step).toString(), m.files().size(), m.totalBytes(), stallMs, persistMs, reason);
            log.accept(String.format("checkpoint step %d (%s): %d bytes, stall %.2f ms, persist %.1f ms", step, reason, m.totalBytes(),
                    stallMs, persistMs));
            return null;
        });
    }

    /** Waits for the write in progress, if any (its failure is thrown here). */
    void await() throws Exception {
        if (pending != null) {
            pending.get();
            pending = null;
        }
    }

    /** Reads {@code step} from the local tier, checked against a model of {@code size} values. */
    static State read(TrainerOptions o, long step, int size, ExtraState extra) throws CheckpointException {
        var files = new CheckpointDir(o.checkpointDir()).read(step);
        double[] p = Doubles.read(files.get("params.bin"), "params.bin", step);
        double[] v = Doubles.read(files.get("optimizer.bin"), "optimizer.bin", step);
        if (p.length != size || v.length != size) {
            throw new CheckpointException("step " + step + ": params.bin has " + p.length + " values, the model has " + size
                    + " (different --hidden/--features/--classes?)");
        }
        extra.restore(files, step);
        return new State(p, v);
    }

    @Override
    public void close() throws Exception {
        try {
            await();
        } finally {
            writer.shutdown();
        }
    }
}
