package io.spottrain.checkpoint.restore;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import io.spottrain.protocol.json.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An agent serves its local tier to peers over HTTP (read-only):
 * {@code GET /checkpoints/<job>/steps} lists committed steps (newest first) and
 * {@code GET /checkpoints/<job>/step-<n>/<file>} returns a file of a committed step. Only plain
 * names are served; anything else is 404.
 */
public final class PeerTierServer implements AutoCloseable {
    private static final Pattern STEPS = Pattern.compile("/checkpoints/([A-Za-z0-9._-]+)/steps");
    private static final Pattern FILE = Pattern.compile("/checkpoints/([A-Za-z0-9._-]+)/step-(\\d+)/([A-Za-z0-9._-]+)");

    private final HttpServer server;
    private final Function<String, CheckpointDir> tierOfJob;

    /** {@code tierOfJob} maps a job id to its local tier on this node. */
    public PeerTierServer(String host, int port, Function<String, CheckpointDir> tierOfJob) throws IOException {
        this.tierOfJob = tierOfJob;
        this.server = HttpServer.create(new InetSocketAddress(host, port), 16);
        server.setExecutor(Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "peer-tier");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/checkpoints/", this::handle);
        server.start();
    }

    public String url() {
        return "http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            Matcher s = STEPS.matcher(path);
            Matcher f = FILE.matcher(path);
            if (!ex.getRequestMethod().equals("GET")) {
                send(ex, 405, new byte[0]);
            } else if (s.matches()) {
                send(ex, 200, Json.write(tierOfJob.apply(s.group(1)).committedSteps()).getBytes());
            } else if (f.matches()) {
                CheckpointDir tier = tierOfJob.apply(f.group(1));
                long step = Long.parseLong(f.group(2));
                Path file = tier.stepDir(step).resolve(f.group(3));
                if (!tier.isCommitted(step) || !Files.isRegularFile(file)) {
                    send(ex, 404, new byte[0]);
                    return;
                }
                ex.sendResponseHeaders(200, Files.size(file));
                try (OutputStream out = ex.getResponseBody()) {
                    Files.copy(file, out);
                }
            } else {
                send(ex, 404, new byte[0]);
            }
        }
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) ex.getResponseBody().write(body);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
