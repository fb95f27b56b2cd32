package io.spottrain.launchers.bench;

import io.spottrain.checkpoint.Progress;
import io.spottrain.checkpoint.remote.RemoteTier;
import io.spottrain.launchers.bench.CapacityTrace.Kind;
import io.spottrain.launchers.bench.CapacityTrace.Step;
import io.spottrain.launchers.bench.Goodput.Phase;
import io.spottrain.launchers.bench.Goodput.Sample;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The baseline users have today (torchrun, SkyPilot managed jobs): a job of a fixed N nodes. It
 * waits until N nodes are ready, starts one trainer process per node restoring the newest
 * checkpoint in S3, uploads each checkpoint to S3 as it is written (asynchronously, as our agent
 * does), and when any of its nodes is terminated every process is gone: the steps since the newest
 * S3 checkpoint are lost, and it waits for N nodes again. Notices are not acted on (torchrun has no
 * notice handling). Same trainer, same flags, same S3 server as spottrain's run; no coordinator.
 */
final class RestartRun {
    record Result(List<Sample> samples, double checkpointStallMs, long lostSteps, int restarts) {}

    private static final Pattern STEP = Pattern.compile("\\bstep (\\d+) loss ");
    private static final Pattern CHECKPOINT = Pattern.compile("checkpoint step (\\d+) \\(.*stall ([0-9.]+) ms");

    private final Path dir;
    private final Path home;
    private final int n;
    private final ClusterRun.Training training;
    private final RemoteTier remote;
    private final String job;
    private final Consumer<String> say;
    private final AtomicInteger generation = new AtomicInteger();
    private final AtomicLong step = new AtomicLong();
    private final AtomicLong remoteStep = new AtomicLong();
    private final DoubleAdder stallMs = new DoubleAdder();
    private final ExecutorService uploader = Executors.newSingleThreadExecutor(r -> daemon(r, "restart-upload"));
    private final ExecutorService starter = Executors.newSingleThreadExecutor(r -> daemon(r, "restart-start"));
    private final List<Process> processes = new ArrayList<>();
    private volatile boolean running;

    private RestartRun(Path dir, Path home, int n, ClusterRun.Training training, RemoteTier remote, String job, Consumer<String> say) {
        this.dir = dir;
        this.home = home;
        this.n = n;
        this.training = training;
        this.remote = remote;
        this.job = job;
        this.say = say;
    }

    static Result run(Path dir, Path home, List<Step> schedule, long runMs, int n, ClusterRun.Training training, RemoteTier remote, String job,
            Consumer<String> say) throws InterruptedException {
        var r = new RestartRun(dir, home, n, training, remote, job, say);
        try {
            return r.drive(schedule, runMs);
        } finally {
            r.killAll();
            r.starter.shutdownNow();
            r.uploader.shutdownNow();
            r.starter.awaitTermination(10, TimeUnit.SECONDS);
            r.uploader.awaitTermination(10, TimeUnit.SECONDS);
            r.killAll(); // a start that raced the shutdown
        }
    }

    private Result drive(List<Step> schedule, long runMs) throws InterruptedException {
        var ready = new LinkedHashSet<String>();
        var held = new LinkedHashSet<String>();
        var samples = new ArrayList<Sample>();
        long lost = 0;
        int restarts = 0;
        long t0 = System.nanoTime();
        int next = 0;
        long nextSample = 0;
        while (true) {
            long now = (System.nanoTime() - t0) / 1_000_000;
            for (; next < schedule.size() && schedule.get(next).atMs() <= now; next++) {
                Step s = schedule.get(next);
                if (s.kind() == Kind.READY) ready.add(s.node());
                if (s.kind() != Kind.TERMINATE) continue;
                ready.remove(s.node());
                if (held.remove(s.node())) { // every process of the job is gone with it
                    long at = step.get();
                    lost += Math.max(0, at - remoteStep.get());
                    say.accept(String.format(Locale.ROOT, "t=%.1fs %s terminated: all %d processes gone at step %d, newest in S3 %d", now / 1000.0,
                            s.node(), n, at, remoteStep.get()));
                    killAll();
                    held.clear();
                }
            }
            if (held.isEmpty() && ready.size() >= n) {
                ready.stream().limit(n).forEach(held::add);
                restarts++;
                start(restarts);
            }
            if (now >= nextSample || now >= runMs) {
                boolean r = running && !held.isEmpty();
                samples.add(new Sample(Math.min(now, runMs), step.get(), r ? n : 0, r ? Phase.RUNNING : Phase.STOPPED));
                nextSample = now + 200;
            }
            if (now >= runMs) break;
            Thread.sleep(20);
        }
        return new Result(samples, stallMs.sum(), lost, Math.max(0, restarts - 1));
    }

    /** Restores the newest S3 step into empty directories and starts N processes, off the driving loop. */
    private void start(int attempt) {
        int gen = generation.incrementAndGet();
        running = false;
        starter.execute(() -> {
            try {
                long from = remote.latest(job).orElse(0L);
                step.set(from);
                int port;
                try (var s = new ServerSocket(0)) {
                    port = s.getLocalPort();
                }
                var roots = new ArrayList<Path>();
                var downloads = new ArrayList<CompletableFuture<?>>();
                for (int rank = 0; rank < n; rank++) {
                    Path root = dir.resolve("start-" + attempt).resolve("rank-" + rank);
                    roots.add(root);
                    if (from > 0) downloads.add(CompletableFuture.runAsync(() -> download(from, root)));
                }
                CompletableFuture.allOf(downloads.toArray(CompletableFuture[]::new)).join();
                for (int rank = 0; rank < n; rank++) {
                    Process p = process(rank, port, roots.get(rank), from, gen);
                    synchronized (processes) {
                        if (generation.get() != gen) {
                            p.destroyForcibly();
                            return;
                        }
                        processes.add(p);
                    }
                }
            } catch (IOException | RuntimeException e) {
                if (generation.get() == gen) say.accept("restart " + attempt + " failed: " + e.getMessage());
            }
        });
    }

    private void download(long from, Path root) {
        try {
            remote.download(job, from, new CheckpointDir(root), Progress.NONE);
        } catch (Exception e) {
            throw new IllegalStateException("download of step " + from + " failed: " + e.getMessage(), e);
        }
    }

    private Process process(int rank, int port, Path root, long from, int gen) throws IOException {
        var argv = new ArrayList<>(List.of(home.resolve("examples/bin/run-java").toString(), "io.spottrain.examples.mlp.MlpTrainer"));
        argv.addAll(training.args());
        argv.addAll(List.of("--checkpoint-every", Integer.toString(training.checkpointEvery())));
        var pb = new ProcessBuilder(argv).redirectErrorStream(true);
        var env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("SPOTTRAIN_"));
        env.put("RANK", Integer.toString(rank));
        env.put("WORLD_SIZE", Integer.toString(n));
        env.put("MASTER_ADDR", "127.0.0.1");
        env.put("MASTER_PORT", Integer.toString(port));
        env.put("SPOTTRAIN_JOB", job);
        env.put("SPOTTRAIN_CHECKPOINT_DIR", root.toString());
        if (from > 0) env.put("SPOTTRAIN_RESUME_STEP", Long.toString(from));
        if (rank != 0) {
            pb.redirectOutput(dir.resolve("rank-" + rank + ".log").toFile());
            return pb.start();
        }
        Process p = pb.start();
        var reader = new Thread(() -> follow(p, root, gen), "restart-rank0");
        reader.setDaemon(true);
        reader.start();
        return p;
    }

    /** Rank 0's log: its steps, and each checkpoint it commits, uploaded to S3 in step order. */
    private void follow(Process p, Path root, int gen) {
        try (var in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (generation.get() != gen) continue;
                var m = STEP.matcher(line);
                if (m.find()) {
                    step.set(Long.parseLong(m.group(1)));
                    running = true;
                    continue;
                }
                var c = CHECKPOINT.matcher(line);
                if (c.find()) {
                    long s = Long.parseLong(c.group(1));
                    stallMs.add(Double.parseDouble(c.group(2)));
                    uploader.execute(() -> upload(root, s));
                }
            }
        } catch (IOException | RuntimeException e) {
            // the process was killed
        }
    }

    private void upload(Path root, long s) {
        try {
            remote.upload(job, new CheckpointDir(root), s, Progress.NONE);
            remoteStep.accumulateAndGet(s, Math::max);
            remote.retain(job, 2, Set.of());
        } catch (Exception e) {
            // the node went with the upload in flight (its directory is being left behind): what reached S3 is what counts
        }
    }

    private void killAll() {
        generation.incrementAndGet();
        running = false;
        synchronized (processes) {
            for (Process p : processes) p.destroyForcibly();
            for (Process p : processes) {
                try {
                    p.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            processes.clear();
        }
    }

    private static Thread daemon(Runnable r, String name) {
        var t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
