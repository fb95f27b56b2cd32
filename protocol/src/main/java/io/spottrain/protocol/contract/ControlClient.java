package io.spottrain.protocol.contract;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spottrain.protocol.json.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The training process's end of {@code SPOTTRAIN_CONTROL} (Java helper; the Python one is
 * {@code examples/python/spottrain_contract.py}). Without {@code SPOTTRAIN_CONTROL} it is a no-op,
 * so a trainer runs the same standalone. Requests from the agent queue up; the training loop
 * polls them at step boundaries ({@link #poll}).
 */
public final class ControlClient implements AutoCloseable {
    private final Socket socket;
    private final String token;
    private final OutputStream out;
    private final LinkedBlockingQueue<JsonNode> requests = new LinkedBlockingQueue<>();

    private ControlClient(Socket socket, String token) throws IOException {
        this.socket = socket;
        this.token = token;
        this.out = socket == null ? null : socket.getOutputStream();
        if (socket != null) {
            Thread reader = new Thread(this::readLoop, "spottrain-control-client");
            reader.setDaemon(true);
            reader.start();
        }
    }

    /** Connects to {@code SPOTTRAIN_CONTROL} when set; otherwise a client that sends nothing. */
    public static ControlClient fromEnv(Map<String, String> env) throws IOException {
        String addr = env.get(Contract.CONTROL);
        if (addr == null || addr.isBlank()) return new ControlClient(null, null);
        int colon = addr.lastIndexOf(':');
        if (colon < 0) throw new IOException(Contract.CONTROL + " must be host:port, got \"" + addr + "\"");
        var s = new Socket();
        s.connect(new InetSocketAddress(addr.substring(0, colon), Integer.parseInt(addr.substring(colon + 1))), 5000);
        s.setTcpNoDelay(true);
        return new ControlClient(s, env.getOrDefault(Contract.CONTROL_TOKEN, ""));
    }

    public boolean attached() {
        return socket != null;
    }

    /** The first message: it carries the rank's {@code SPOTTRAIN_CONTROL_TOKEN}; the agent ignores everything before it. */
    public void hello(int rank, int worldSize, long resumeStep) {
        hello(rank, worldSize, resumeStep, List.of());
    }

    /** As above, declaring what the rank can do beyond contract v1 (e.g. {@link Contract#CAPABILITY_REFORM}). */
    public void hello(int rank, int worldSize, long resumeStep, List<String> capabilities) {
        var m = msg(Contract.HELLO).put("token", token).put("rank", rank).put("worldSize", worldSize).put("resumeStep", resumeStep)
                .put("pid", ProcessHandle.current().pid());
        var caps = m.putArray("capabilities");
        capabilities.forEach(caps::add);
        send(m);
    }

    /** Contract v2: parked after {@code park}, holding {@code step}. */
    public void parked(long step) {
        send(msg(Contract.PARKED).put("step", step));
    }

    /** Contract v2: re-formed for {@code generation}, training on from {@code step}. */
    public void reformed(long generation, long step) {
        send(msg(Contract.REFORMED).put("generation", generation).put("step", step));
    }

    public void progress(long step, double loss, double samplesPerSecond) {
        progress(step, loss, samplesPerSecond, 0);
    }

    /**
     * Progress with the step the run ends at ({@code totalSteps}; 0: not known): the coordinator
     * derives the job's ETA from it and weighs a growth against the steps left.
     */
    public void progress(long step, double loss, double samplesPerSecond, long totalSteps) {
        progress(step, loss, samplesPerSecond, totalSteps, 0);
    }

    /**
     * As above, with the samples the job has trained up to {@code step} ({@code samples}; 0: not said; for a fixed global
     * batch, {@code step x batch}): the cost ledger reports the job's cost per million samples from it.
     */
    public void progress(long step, double loss, double samplesPerSecond, long totalSteps, long samples) {
        var m = msg(Contract.PROGRESS).put("step", step).put("loss", loss).put("samplesPerSec", samplesPerSecond);
        if (totalSteps > 0) m.put("totalSteps", totalSteps);
        if (samples > 0) m.put("samples", samples);
        send(m);
    }

    /**
     * A checkpoint was committed: where, how big, how long training was blocked ({@code stallMs})
     * and how long until it was durable ({@code persistMs}).
     */
    public void checkpointWritten(long step, String dir, int files, long bytes, double stallMs, double persistMs, String reason) {
        send(msg(Contract.CHECKPOINT_WRITTEN).put("step", step).put("dir", dir).put("files", files).put("bytes", bytes)
                .put("stallMs", stallMs).put("persistMs", persistMs).put("reason", reason));
    }

    /** A collective failed: training holds the state of {@code lastCompletedStep}. */
    public void stalled(long lastCompletedStep, String reason) {
        send(msg(Contract.STALLED).put("step", lastCompletedStep).put("reason", reason));
    }

    public void done(long step, double finalLoss, String paramsSha256) {
        send(msg(Contract.DONE).put("step", step).put("loss", finalLoss).put("paramsSha256", paramsSha256));
    }

    /** The next request from the agent, or null. */
    public JsonNode poll() {
        return requests.poll();
    }

    /** Waits up to {@code millis} for a request. */
    public JsonNode poll(long millis) throws InterruptedException {
        return requests.poll(millis, TimeUnit.MILLISECONDS);
    }

    private static ObjectNode msg(String type) {
        return Json.MAPPER.createObjectNode().put("type", type);
    }

    private synchronized void send(ObjectNode m) {
        if (out == null) return;
        try {
            out.write((Json.write(m) + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            // the agent is gone: training goes on; its own exit is what the cluster sees
        }
    }

    private void readLoop() {
        try (var in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                try {
                    JsonNode n = Json.MAPPER.readTree(line);
                    if (n != null && n.isObject()) requests.add(n);
                } catch (IOException ignored) {
                    // not JSON: ignore the line
                }
            }
        } catch (IOException ignored) {
            // agent closed
        }
    }

    @Override
    public void close() {
        if (socket == null) return;
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
