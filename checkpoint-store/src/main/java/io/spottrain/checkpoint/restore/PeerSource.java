package io.spottrain.checkpoint.restore;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.checkpoint.Progress;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import io.spottrain.protocol.checkpoint.CheckpointException;
import io.spottrain.protocol.checkpoint.CheckpointManifest;
import io.spottrain.protocol.checkpoint.ManifestFile;
import io.spottrain.protocol.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;

/** A surviving peer's local tier, served by its {@link PeerTierServer}, as a restore source. */
public final class PeerSource implements CheckpointSource {
    private final String node;
    private final String baseUrl;
    private final HttpClient http;
    private final String expectedDigest;

    /** Plain HTTP (tests in one JVM). */
    public PeerSource(String node, String baseUrl) {
        this(node, baseUrl, null);
    }

    /** Over HTTPS with this node's certificate when {@code tls} is given (the peer requires it). */
    public PeerSource(String node, String baseUrl, SSLContext tls) {
        this(node, baseUrl, tls, null);
    }

    /**
     * As above; with {@code expectedDigest} (what the coordinator recorded for the step on that
     * node) the peer's manifest is taken only if its digest matches, so the files it serves are
     * checked against hashes the peer did not choose. Null: trust the peer's own manifest (tests).
     */
    public PeerSource(String node, String baseUrl, SSLContext tls, String expectedDigest) {
        this(node, baseUrl, client(tls), expectedDigest);
    }

    /**
     * As above, through {@code http} ({@link #client}): an agent shares one for all its peer
     * fetches, so connections and TLS sessions are reused, and one warmed ahead of a re-form
     * (a staged newcomer's) fetches without a cold start.
     */
    public PeerSource(String node, String baseUrl, HttpClient http, String expectedDigest) {
        this.expectedDigest = expectedDigest;
        this.http = http;
        this.node = node;
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    }

    /** A client for peers' tier servers, presenting this node's certificate when {@code tls} is given (null: plain HTTP, tests). */
    public static HttpClient client(SSLContext tls) {
        var b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2));
        if (tls != null) b.sslContext(tls);
        return b.build();
    }

    @Override
    public String name() {
        return "peer " + node;
    }

    @Override
    public List<Long> steps(String job) {
        try {
            HttpResponse<String> r = http.send(get("/checkpoints/" + job + "/steps"), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) return List.of();
            var out = new ArrayList<Long>();
            for (JsonNode n : Json.MAPPER.readTree(r.body())) out.add(n.asLong());
            return out;
        } catch (IOException e) {
            return List.of(); // a dead peer has nothing to offer
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    @Override
    public void fetchInto(String job, long step, CheckpointDir local, Progress progress) throws IOException, CheckpointException {
        String base = "/checkpoints/" + job + "/step-" + step + "/";
        CheckpointManifest m;
        try {
            m = Json.MAPPER.readValue(bytes(base + CheckpointManifest.FILE_NAME), CheckpointManifest.class);
        } catch (IOException e) {
            throw new CheckpointException("step " + step + ": no readable manifest from " + name() + ": " + e.getMessage(), e);
        }
        if (m.step() != step) {
            throw new CheckpointException("step " + step + ": " + name() + " served the manifest of step " + m.step());
        }
        if (expectedDigest != null && !expectedDigest.equals(m.digest())) {
            throw new CheckpointException("step " + step + ": the manifest from " + name() + " is not the one the coordinator recorded "
                    + "(digest " + m.digest().substring(0, 12) + "..., recorded " + expectedDigest.substring(0, Math.min(12, expectedDigest.length()))
                    + "...): not used");
        }
        long total = m.totalBytes();
        var done = new AtomicLong();
        local.importStep(m, name(), (f, dest) -> {
            try (InputStream in = stream(base + f.name())) {
                Files.copy(in, dest);
            }
            progress.update(done.addAndGet(f.size()), total);
        });
    }

    private HttpRequest get(String path) {
        return HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30)).GET().build();
    }

    private byte[] bytes(String path) throws IOException {
        try (InputStream in = stream(path)) {
            return in.readAllBytes();
        }
    }

    private InputStream stream(String path) throws IOException {
        try {
            HttpResponse<InputStream> r = http.send(get(path), HttpResponse.BodyHandlers.ofInputStream());
            if (r.statusCode() != 200) {
                r.body().close();
                throw new IOException(name() + " answered HTTP " + r.statusCode() + " for " + path);
            }
            return r.body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
