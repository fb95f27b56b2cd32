package io.spottrain.protocol.contract;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spottrain.protocol.json.Json;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The agent's end of {@code SPOTTRAIN_CONTROL}: a loopback TCP endpoint for one rank. Only the
 * rank may use it: a connection's first line must be {@code hello} carrying the rank's own
 * {@code SPOTTRAIN_CONTROL_TOKEN} (random per rank), within {@link #HELLO_TIMEOUT}; other
 * connections are closed and reported as {@code {"type":"refused"}} without disturbing the rank.
 * Lines are at most {@link #MAX_LINE} bytes and at most {@link #RATE_PER_SECOND} a second
 * (bursts to {@link #BURST}); a rank that breaks either is disconnected and reported as
 * {@code {"type":"violation","reason":...}}. Every other JSON line goes to {@code onMessage};
 * lines that are not JSON objects as {@code {"type":"invalid","line":...}}.
 */
public final class ControlServer implements AutoCloseable {
    /** Longest line a rank may send (bytes, without the newline). */
    public static final int MAX_LINE = 64 * 1024;
    /** Lines per second a rank may send on average ... */
    public static final int RATE_PER_SECOND = 2000;
    /** ... and in a burst. */
    public static final int BURST = 5000;
    /** How long a new connection has to say hello. */
    public static final Duration HELLO_TIMEOUT = Duration.ofSeconds(5);

    public static final String REFUSED = "refused";
    public static final String VIOLATION = "violation";
    public static final String INVALID = "invalid";

    private static final SecureRandom RANDOM = new SecureRandom();

    private final ServerSocket server;
    private final Consumer<JsonNode> onMessage;
    private final String token;
    private final Thread acceptor;
    private volatile Socket current;
    private volatile boolean closed;
    private final CountDownLatch firstSessionOver = new CountDownLatch(1);

    public ControlServer(Consumer<JsonNode> onMessage) throws IOException {
        this.onMessage = onMessage;
        byte[] t = new byte[32];
        RANDOM.nextBytes(t);
        this.token = Base64.getUrlEncoder().withoutPadding().encodeToString(t);
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

    /** The rank's SPOTTRAIN_CONTROL_TOKEN (its environment only: never logged, never on a command line). */
    public String token() {
        return token;
    }

    /** What the rank's environment needs to reach this endpoint: SPOTTRAIN_CONTROL and SPOTTRAIN_CONTROL_TOKEN. */
    public Map<String, String> env() {
        return Map.of(Contract.CONTROL, address(), Contract.CONTROL_TOKEN, token);
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
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                if (closed) return;
                continue;
            }
            try {
                session(s);
            } finally {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        }
    }

    /** One connection: hello with the token first, then messages until it closes or misbehaves. */
    private void session(Socket s) {
        boolean attached = false;
        try {
            s.setSoTimeout((int) HELLO_TIMEOUT.toMillis());
            InputStream in = new BufferedInputStream(s.getInputStream());
            String first = readLine(in);
            JsonNode hello = first == null ? null : parse(first);
            if (hello == null || !Contract.HELLO.equals(hello.path("type").asText()) || !tokenMatches(hello.path("token").asText(""))) {
                onMessage.accept(message(REFUSED).put("reason", first == null ? "a connection closed without saying hello"
                        : "a connection's first message was not hello with this rank's " + Contract.CONTROL_TOKEN));
                return;
            }
            s.setSoTimeout(0);
            attached = true;
            current = s;
            onMessage.accept(hello);
            var bucket = new RateBucket(RATE_PER_SECOND, BURST);
            String line;
            while ((line = readLine(in)) != null) {
                if (!bucket.take(System.nanoTime())) {
                    onMessage.accept(message(VIOLATION).put("reason", "sent more than " + RATE_PER_SECOND
                            + " control messages a second (burst " + BURST + "); disconnected"));
                    return;
                }
                if (line.isBlank()) continue;
                JsonNode n = parse(line);
                if (n == null || !n.isObject() || !n.path("type").isTextual()) {
                    n = message(INVALID).put("line", line.length() > 200 ? line.substring(0, 200) : line);
                }
                onMessage.accept(n);
            }
        } catch (LineTooLong e) {
            onMessage.accept(message(attached ? VIOLATION : REFUSED).put("reason", "sent a control line longer than " + MAX_LINE
                    + " bytes; disconnected"));
        } catch (SocketTimeoutException e) {
            onMessage.accept(message(REFUSED).put("reason", "a connection did not say hello within " + HELLO_TIMEOUT.toSeconds() + "s"));
        } catch (IOException e) {
            // the process closed or died; its exit is reported by the supervisor
        } finally {
            if (attached) firstSessionOver.countDown();
        }
    }

    private boolean tokenMatches(String offered) {
        return MessageDigest.isEqual(offered.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
    }

    private static JsonNode parse(String line) {
        try {
            return Json.MAPPER.readTree(line);
        } catch (IOException e) {
            return null;
        }
    }

    /** One line (UTF-8, without its newline), null at the end of the stream; never buffers more than {@link #MAX_LINE}. */
    static String readLine(InputStream in) throws IOException {
        var buf = new ByteArrayOutputStream(256);
        int b;
        while ((b = in.read()) != -1) {
            if (b == '\n') return buf.toString(StandardCharsets.UTF_8);
            if (buf.size() >= MAX_LINE) throw new LineTooLong();
            buf.write(b);
        }
        return buf.size() == 0 ? null : buf.toString(StandardCharsets.UTF_8);
    }

    private static final class LineTooLong extends IOException {
        LineTooLong() {
            super("control line too long", null);
        }
    }

    /** A token bucket: {@code rate} per second, up to {@code burst} at once. */
    static final class RateBucket {
        private final double rate;
        private final double burst;
        private double tokens;
        private long last = -1;

        RateBucket(double rate, double burst) {
            this.rate = rate;
            this.burst = burst;
            this.tokens = burst;
        }

        boolean take(long nowNanos) {
            if (last >= 0) tokens = Math.min(burst, tokens + (nowNanos - last) / 1e9 * rate);
            last = nowNanos;
            if (tokens < 1) return false;
            tokens -= 1;
            return true;
        }
    }

    /**
     * Waits (bounded) until the process's connection has been read to its end, so that every
     * message it sent before exiting is handled before its exit is. Returns at once if it never
     * connected.
     */
    public void awaitDrained(Duration timeout) {
        if (current == null) return;
        try {
            firstSessionOver.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
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
