package io.spottrain.agent.gpu;

import io.spottrain.protocol.wire.AgentProtocol.GpuSample;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's GPUs as {@code nvidia-smi} sees them: utilisation and memory per GPU, sampled every
 * {@code every} on a daemon thread of its own (a sample runs a process: never on an actor), the
 * newest kept for the agent's heartbeats. A machine without the command (no NVIDIA driver: local
 * nodes, CPU machines) has no samples and is probed once; a sample that fails, or hangs past
 * {@link #TIMEOUT} (killed, its children too), leaves no sample (an empty list: nothing is
 * reported as known, never a frozen reading), and no new one starts while a hung one lives.
 * Failures are logged when they start and when they end, not every interval.
 */
public final class GpuProbe implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GpuProbe.class);
    /** The query: one CSV line per GPU, no header, no units. */
    static final List<String> QUERY = List.of("--query-gpu=index,utilization.gpu,memory.used,memory.total", "--format=csv,noheader,nounits");
    static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final String command;
    private final AtomicReference<List<GpuSample>> latest = new AtomicReference<>(List.of());
    /** Null when turned off (no command): no thread at all. */
    private final ScheduledExecutorService thread;
    /** The sample still running (a hung driver can leave one that cannot be killed): no second one starts beside it. */
    private Process running;
    /** A sample has worked at least once: a later failure is passing, not "no driver here". */
    private boolean everWorked;
    /** The last sample failed (logged once when it starts failing and once when it works again). */
    private boolean failing;

    private GpuProbe(String command, Duration every) {
        this.command = command;
        if (command.isBlank()) {
            this.thread = null;
            return;
        }
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            var t = new Thread(r, "gpu-probe");
            t.setDaemon(true);
            return t;
        });
        long ms = Math.max(1000, every.toMillis());
        thread.scheduleWithFixedDelay(this::sampleNow, 0, ms, TimeUnit.MILLISECONDS);
    }

    /** Starts sampling with {@code command} (a path or a name on PATH) every {@code every} (at least 1 s); "" turns it off. */
    public static GpuProbe start(String command, Duration every) {
        return new GpuProbe(command, every);
    }

    /** The newest sample (empty: no GPU seen, or the last sample failed). */
    public List<GpuSample> latest() {
        return latest.get();
    }

    /** One sample now (the probe's thread; tests). Never throws: a failure leaves no sample. */
    synchronized void sampleNow() {
        if (thread == null) return;
        if (running != null && running.isAlive()) {
            failed("the previous " + command + " is still running (a hung driver?)");
            return;
        }
        Process p = null;
        try {
            var cmd = new ArrayList<String>();
            cmd.add(command);
            cmd.addAll(QUERY);
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            running = p;
            p.getOutputStream().close();
            if (!p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                failed(command + " did not answer within " + TIMEOUT.toSeconds() + " s");
                return;
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                failed(command + " exited with " + p.exitValue() + ": " + out.lines().findFirst().orElse("").trim());
                return;
            }
            latest.set(parse(out));
            everWorked = true;
            if (failing) LOG.info("GPU metrics: {} answers again", command);
            failing = false;
        } catch (IOException e) {
            if (!everWorked) {
                // no such command: a machine without an NVIDIA driver; stop asking
                LOG.info("no GPU metrics: {} cannot run ({})", command, e.getMessage());
                latest.set(List.of());
                thread.shutdown();
                return;
            }
            failed(command + " cannot run now (" + e.getMessage() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            failed(command + ": " + e);
        } finally {
            if (p != null && p.isAlive()) {
                // a wrapper's children first (the process itself would leave them running)
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        }
    }

    private void failed(String why) {
        latest.set(List.of()); // nothing is reported as known: no frozen reading
        if (!failing) LOG.warn("no GPU sample: {} (said once until it works again)", why);
        failing = true;
    }

    /**
     * The samples in {@code nvidia-smi}'s CSV ({@code index, utilization %, memory used MiB, memory
     * total MiB} per line); a line that does not read as that ({@code [N/A]}, an error message) is
     * left out.
     */
    public static List<GpuSample> parse(String csv) {
        var out = new ArrayList<GpuSample>();
        for (String line : csv.split("\\R")) {
            String[] f = line.split(",");
            if (f.length != 4) continue;
            try {
                out.add(new GpuSample(Integer.parseInt(f[0].trim()), Double.parseDouble(f[1].trim()), Long.parseLong(f[2].trim()),
                        Long.parseLong(f[3].trim())));
            } catch (NumberFormatException e) {
                // [N/A] or not a sample line
            }
        }
        return List.copyOf(out);
    }

    @Override
    public void close() {
        if (thread != null) thread.shutdownNow();
    }
}
