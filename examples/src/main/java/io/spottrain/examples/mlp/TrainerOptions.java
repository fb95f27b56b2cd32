package io.spottrain.examples.mlp;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/** The trainer's settings: the contract's environment plus flags (every flag has a default). */
record TrainerOptions(
        int rank, int worldSize, String masterAddr, int masterPort, long generation, String job, Path checkpointDir,
        long resumeStep, long steps, int batch, int hidden, int features, int classes, int samples, double lr,
        double momentum, long seed, int checkpointEvery, int peerTimeoutMs, int stallWaitMs, int logEvery, int stepDelayMs,
        int batchDelayMs, long failAtStep, int failRank, Path failOnceMarker, boolean reform, boolean standby, int stateMb) {

    static TrainerOptions parse(String[] args, Map<String, String> env) {
        var f = new HashMap<String, String>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --flag value pairs, got \"" + a + "\"");
            }
            f.put(a.substring(2), args[++i]);
        }
        var known = Set.of("steps", "batch", "hidden", "features", "classes", "samples", "lr", "momentum", "seed",
                "checkpoint-every", "checkpoint-dir", "peer-timeout-s", "stall-wait-s", "log-every", "step-delay-ms", "batch-delay-ms",
                "fail-at-step", "fail-rank", "fail-once-marker", "contract", "state-mb");
        for (String k : f.keySet()) if (!known.contains(k)) throw new IllegalArgumentException("unknown flag --" + k
                + " (known: " + String.join(", ", new TreeSet<>(known)) + ")");
        int world = intEnv(env, "WORLD_SIZE", 1);
        int rank = intEnv(env, "RANK", 0);
        if (world < 1 || rank < 0 || rank >= world) throw new IllegalArgumentException("RANK " + rank + " is not in 0.." + (world - 1));
        TrainerOptions o = new TrainerOptions(rank, world, env.getOrDefault("MASTER_ADDR", "127.0.0.1"), intEnv(env, "MASTER_PORT", 29500),
                intEnv(env, "SPOTTRAIN_GENERATION", 1), env.getOrDefault("SPOTTRAIN_JOB", "mlp"),
                MlpTrainer.path(f.getOrDefault("checkpoint-dir", env.get("SPOTTRAIN_CHECKPOINT_DIR"))),
                intEnv(env, "SPOTTRAIN_RESUME_STEP", 0),
                num(f, "steps", 300), (int) num(f, "batch", 256), (int) num(f, "hidden", 64), (int) num(f, "features", 16),
                (int) num(f, "classes", 8), (int) num(f, "samples", 4096), dbl(f, "lr", 0.02), dbl(f, "momentum", 0.9),
                num(f, "seed", 42), (int) num(f, "checkpoint-every", intEnv(env, "SPOTTRAIN_CHECKPOINT_INTERVAL", 0)), (int) (1000 * dbl(f, "peer-timeout-s", 10)),
                (int) (1000 * dbl(f, "stall-wait-s", 60)), (int) num(f, "log-every", 10), (int) num(f, "step-delay-ms", 0),
                (int) num(f, "batch-delay-ms", 0),
                num(f, "fail-at-step", 0), (int) num(f, "fail-rank", 0), MlpTrainer.path(f.get("fail-once-marker")),
                contract(f.getOrDefault("contract", "v2")), false, (int) num(f, "state-mb", 0));
        if (o.reform && "1".equals(env.get("SPOTTRAIN_STANDBY"))) o = o.staged(); // contract v2: a staged newcomer
        if (o.batch < o.worldSize) throw new IllegalArgumentException("--batch " + o.batch + " is smaller than WORLD_SIZE " + world);
        if (o.samples % o.batch != 0) throw new IllegalArgumentException("--samples must be a multiple of --batch");
        if (o.stepDelayMs < 0 || o.batchDelayMs < 0) throw new IllegalArgumentException("--step-delay-ms and --batch-delay-ms must be >= 0");
        if (o.logEvery < 1 || o.steps < 1) throw new IllegalArgumentException("--steps and --log-every must be >= 1");
        if (o.stateMb < 0 || o.stateMb > 16 * 1024) throw new IllegalArgumentException("--state-mb must be 0..16384, got " + o.stateMb);
        if (o.resumeStep > 0 && o.checkpointDir == null) {
            throw new IllegalArgumentException("SPOTTRAIN_RESUME_STEP=" + o.resumeStep + " but no checkpoint directory");
        }
        return o;
    }

    /** {@code --contract v2} (default) declares the in-place re-form; {@code v1} restarts at every generation. */
    private static boolean contract(String v) {
        return switch (v) {
            case "v2" -> true;
            case "v1" -> false;
            default -> throw new IllegalArgumentException("--contract must be v1 or v2, got \"" + v + "\"");
        };
    }

    /** The same run in another generation's membership (an in-place re-form). */
    TrainerOptions reformed(long generation, int rank, int worldSize, String masterAddr, int masterPort) {
        if (worldSize < 1 || rank < 0 || rank >= worldSize) throw new IllegalArgumentException("rank " + rank + " is not in 0.." + (worldSize - 1));
        if (batch < worldSize) throw new IllegalArgumentException("--batch " + batch + " is smaller than the new world size " + worldSize);
        return new TrainerOptions(rank, worldSize, masterAddr, masterPort, generation, job, checkpointDir, resumeStep, steps, batch, hidden,
                features, classes, samples, lr, momentum, seed, checkpointEvery, peerTimeoutMs, stallWaitMs, logEvery, stepDelayMs,
                batchDelayMs, failAtStep, failRank, failOnceMarker, reform, false, stateMb);
    }

    /** Staged ahead of its generation (SPOTTRAIN_STANDBY=1): it waits parked until re-formed into one. */
    private TrainerOptions staged() {
        return new TrainerOptions(rank, worldSize, masterAddr, masterPort, generation, job, checkpointDir, resumeStep, steps, batch, hidden,
                features, classes, samples, lr, momentum, seed, checkpointEvery, peerTimeoutMs, stallWaitMs, logEvery, stepDelayMs,
                batchDelayMs, failAtStep, failRank, failOnceMarker, reform, true, stateMb);
    }

    /** What a checkpoint records about the run (trainer.json). */
    String describe(long step, double loss) {
        return String.format(Locale.ROOT,
                "{\"step\":%d,\"loss\":%s,\"seed\":%d,\"batch\":%d,\"hidden\":%d,\"features\":%d,\"classes\":%d,"
                        + "\"samples\":%d,\"lr\":%s,\"momentum\":%s,\"worldSizeAtSave\":%d}",
                step, Double.isNaN(loss) ? "null" : Double.toString(loss), seed, batch, hidden, features, classes, samples, lr,
                momentum, worldSize);
    }

    /**
     * Fault injection for tests and benchmarks: {@code --fail-at-step N --fail-rank R} makes rank R
     * exit 3 on reaching step N; with {@code --fail-once-marker FILE} only while FILE does not exist
     * (it is created first), so a restarted run goes past it.
     */
    void failIfDue(long step, Consumer<String> log) throws IOException {
        if (failAtStep() <= 0 || step != failAtStep() || rank() != failRank()) return;
        if (failOnceMarker() != null) {
            try {
                Files.createFile(failOnceMarker());
            } catch (FileAlreadyExistsException e) {
                return; // failed once already
            }
        }
        log.accept("injected failure at step " + step + " (--fail-at-step)");
        System.out.flush();
        System.exit(3);
    }

    private static int intEnv(Map<String, String> env, String name, int dflt) {
        String v = env.get(name);
        if (v == null || v.isBlank()) return dflt;
        try {
            return Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer, got \"" + v + "\"");
        }
    }

    private static long num(Map<String, String> f, String k, long dflt) {
        try {
            return f.containsKey(k) ? Long.parseLong(f.get(k)) : dflt;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + k + " must be an integer, got \"" + f.get(k) + "\"");
        }
    }

    private static double dbl(Map<String, String> f, String k, double dflt) {
        try {
            return f.containsKey(k) ? Double.parseDouble(f.get(k)) : dflt;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + k + " must be a number, got \"" + f.get(k) + "\"");
        }
    }
}
