package io.spottrain.protocol.contract;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spottrain.protocol.json.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * The agent's end of {@code SPOTTRAIN_CONTROL}: a loopback TCP endpoint for one rank. It accepts
 * the process's connection (and a reconnect), hands every JSON line to {@code onMessage}, and
 * sends requests ({@link #send}). Lines that are not JSON objects are reported as
 * {@code {"type":"invalid","line":...}} rather than dropped silently.
 */
public final class ControlServer implements AutoCloseable {
    private final ServerSocket server;
    private final Consumer<JsonNode> onMessage;
    private final Thread acceptor;
    private volatile Socket current;
    private volatile boolean closed;
    private final java.util.concurrent.CountDownLatch firstSessionOver = new java.util.concurrent.CountDownLatch(1);

    public ControlServer(Consumer<JsonNode> onMessage) throws IOException {
        this.onMessage = onMessage;
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
        this.acceptor = new Thread(this::acceptLoop, "spottrain-control-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The value of SPOTTRAIN_CONTROL: {@code 127.0.0.1:<port>}. */
    public String address() {
        return server.getInetAddress().getHostAddress() + ":" + server.getLocalPort();
    }

    public boolean connected() {
        Socket s = current;
        return s != null && !s.isClosed();
    }

    /** Sends one request line; false when no process is connected. */
    public synchronized boolean send(ObjectNode message) {
        Socket s = current;
        if (s == null || s.isClosed()) return false;
        try {
            OutputStream out = s.getOutputStream();
            out.write((Json.write(message) + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public static ObjectNode message(String type) {
        return Json.MAPPER.createObjectNode().put("type", type);
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket s = server.accept();
                Socket old = current;
                current = s;
                if (old != null) old.close();
                readLoop(s);
                firstSessionOver.countDown();
            } catch (IOException e) {
                if (closed) return;
            }
        }
    }

    private void readLoop(Socket s) {
        try (var in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isBlank()) continue;
                JsonNode n;
                try {
                    n = Json.MAPPER.readTree(line);
                } catch (IOException e) {
                    n = null;
                }
                if (n == null || !n.isObject() || !n.path("type").isTextual()) {
                    n = message("invalid").put("line", line.length() > 200 ? line.substring(0, 200) : line);
                }
                onMessage.accept(n);
            }
        } catch (IOException e) {
            // the process closed or died; its exit is reported by the supervisor
        }
    }

    /**
     * Waits (bounded) until the process's connection has been read to its end, so that every
     * message it sent before exiting is handled before its exit is. Returns at once if it never
     * connected.
     */
    public void awaitDrained(java.time.Duration timeout) {
        if (current == null) return;
        try {
            firstSessionOver.await(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
            Socket s = current;
            if (s != null) s.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
