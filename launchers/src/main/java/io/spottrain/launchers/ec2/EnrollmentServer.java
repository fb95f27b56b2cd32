package io.spottrain.launchers.ec2;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.spottrain.coordinator.launch.NodeLauncher.LaunchException;
import io.spottrain.launchers.local.ClusterPki;
import io.spottrain.protocol.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.spottrain.protocol.tls.NodeTls;
import java.nio.file.Path;

/**
 * A control node's enrollment endpoint ({@code POST /v1/enroll}, HTTPS with the control node's own
 * certificate, which carries {@code spottrain-control}): an EC2 agent that boots without a
 * certificate sends its instance identity document, AWS's signature over it and a public key it
 * made (its private key never leaves the machine), and gets a certificate of its own, named by its
 * instance id, from the cluster CA. Nothing else authenticates the caller: the signed document is
 * the credential ({@link EnrollmentPolicy} decides; an instance enrolls once ever, claimed in the
 * replicated store with the hash of its key, so the same key asking again — its reply was lost —
 * gets its certificate again, and any other key is refused). Each agent has its own identity, so no
 * key is shared by the fleet. Bounded: 32 KiB per request, 4 workers, a queue of 64 (beyond it the
 * accepting thread serves, so callers wait), and a request or reply that takes over 10 s is cut
 * (the JDK server's {@code sun.net.httpserver.maxReqTime}/{@code maxRspTime}, set unless given).
 */
public final class EnrollmentServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EnrollmentServer.class);
    public static final String PATH = "/v1/enroll";
    static final int MAX_BODY = 32 * 1024;
    /** How long after its start an instance may enroll. */
    public static final Duration MAX_AGE = Duration.ofMinutes(30);

    /** What EC2 says of an instance of this account (empty: it knows none by that id). */
    public interface Instances {
        Optional<EnrollmentPolicy.Seen> describe(String instanceId) throws LaunchException;
    }

    /** The once-ever claims of instances' enrollments, shared by the control nodes. */
    public interface Claims {
        /** Claims {@code instanceId} with {@code record}; null where this call claimed it, else the record it was claimed with. */
        String claim(String instanceId, String record);

        /** The record of an instance's claim, if it was claimed. */
        Optional<String> claimed(String instanceId);

        static Claims of(BiFunction<String, String, String> claim, Function<String, Optional<String>> claimed) {
            return new Claims() {
                @Override
                public String claim(String instanceId, String record) {
                    return claim.apply(instanceId, record);
                }

                @Override
                public Optional<String> claimed(String instanceId) {
                    return claimed.apply(instanceId);
                }
            };
        }
    }

    /** Who may enroll and what it gets. */
    public record Trust(ClusterPki ca, List<X509Certificate> awsCertificates, EnrollmentPolicy.Fleet fleet) {}

    private final HttpsServer server;
    private final ThreadPoolExecutor pool;
    private final Trust trust;
    private final Instances instances;
    private final Claims claims;
    private final Clock clock;

    private EnrollmentServer(HttpsServer server, ThreadPoolExecutor pool, Trust trust, Instances instances, Claims claims, Clock clock) {
        this.server = server;
        this.pool = pool;
        this.trust = trust;
        this.instances = instances;
        this.claims = claims;
        this.clock = clock;
    }

    /** Listens on {@code host:port} (0: any free port) with {@code tls} (the control node's certificate and key). */
    public static EnrollmentServer start(String host, int port, SSLContext tls, Trust trust, Instances instances, Claims claims, Clock clock)
            throws IOException {
        // a caller that sends or reads slowly is cut after 10 s (the JDK server reads these once, at its first use)
        if (System.getProperty("sun.net.httpserver.maxReqTime") == null) System.setProperty("sun.net.httpserver.maxReqTime", "10");
        if (System.getProperty("sun.net.httpserver.maxRspTime") == null) System.setProperty("sun.net.httpserver.maxRspTime", "10");
        var server = HttpsServer.create(new InetSocketAddress(host, port), 64);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        var pool = new ThreadPoolExecutor(4, 4, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(64), r -> {
            var t = new Thread(r, "spottrain-enroll");
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.CallerRunsPolicy()); // more than the queue holds waits: the accepting thread runs it
        server.setExecutor(pool);
        var s = new EnrollmentServer(server, pool, trust, instances, claims, clock);
        server.createContext(PATH, s::handle);
        server.start();
        log.info("enrollment of cluster {} agents on https://{}:{}{}", trust.fleet().cluster(), host, server.getAddress().getPort(), PATH);
        return s;
    }

    /**
     * A control node's endpoint for its cluster's agents, when the fleet config asks for it ({@code agent.enrollPort}):
     * served with the node's own certificate ({@code tls}), certifying with {@code ca}, trusting {@code awsCertificate}
     * (AWS's for the region, PEM), asking EC2 through {@code launcher}; empty when the config does not enroll agents.
     */
    public static Optional<EnrollmentServer> forControlNode(String host, Ec2Config c, Ec2Launcher launcher, ClusterPki ca, NodeTls tls,
            Path awsCertificate, Claims claims) throws IOException {
        if (c.agent().enrollPort() == null) return Optional.empty();
        if (awsCertificate == null) {
            throw new IOException("the fleet config's agent.enrollPort needs --aws-identity-cert FILE: AWS's public certificate for region "
                    + c.region() + " that signs instance identity documents (docs/security.md)");
        }
        var trust = new Trust(ca, InstanceIdentity.certificates(awsCertificate), EnrollmentPolicy.Fleet.of(c));
        return Optional.of(start(host, c.agent().enrollPort(), NodeTls.server(tls.cert(), tls.key()), trust, launcher::describe, claims,
                Clock.systemUTC()));
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            if (!x.getRequestMethod().equals("POST")) {
                reply(x, 405, Map.of("error", "POST " + PATH));
                return;
            }
            byte[] body = read(x.getRequestBody());
            if (body == null) {
                reply(x, 413, Map.of("error", "a request is at most " + MAX_BODY + " bytes"));
                return;
            }
            var out = enroll(body);
            reply(x, out.status(), out.body());
        } catch (RuntimeException e) {
            log.error("enrollment failed: {}", e.toString());
            try {
                reply(x, 500, Map.of("error", "the enrollment failed on the control node: " + e.getClass().getSimpleName()));
            } catch (IOException ignored) {
                // the caller went away
            }
        }
    }

    record Reply(int status, Map<String, Object> body) {}

    /** The enrollment of one request body (exposed for tests of the decision without HTTP). */
    Reply enroll(byte[] body) {
        JsonNode req;
        try {
            req = Json.MAPPER.readTree(body);
        } catch (IOException e) {
            return refuse(400, "the request is not JSON", null);
        }
        if (req == null || !req.path("document").isTextual() || !req.path("pkcs7").isTextual() || !req.path("publicKey").isTextual()) {
            return refuse(400, "the request needs document, pkcs7 and publicKey (text)", null);
        }
        String document = req.get("document").asText();
        byte[] signature;
        PublicKey key;
        try {
            signature = Base64.getMimeDecoder().decode(req.get("pkcs7").asText());
            key = rsa(Base64.getMimeDecoder().decode(req.get("publicKey").asText()));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            return refuse(400, "pkcs7 and publicKey must be base64 (the signature; an RSA public key of 2048 bits or more): "
                    + e.getMessage(), null);
        }
        boolean signed = InstanceIdentity.signedBy(document.getBytes(StandardCharsets.UTF_8), signature, trust.awsCertificates());
        if (!signed) return refuse(403, EnrollmentPolicy.UNSIGNED, null);
        InstanceIdentity id;
        try {
            id = InstanceIdentity.parse(document);
        } catch (IllegalArgumentException e) {
            return refuse(400, e.getMessage(), null);
        }
        // what the signed document alone says, and an earlier claim by another key, before any call to EC2
        var early = EnrollmentPolicy.early(true, id, trust.fleet(), clock.instant(), MAX_AGE);
        if (early != null) return refuse(early.status(), early.reason(), id);
        String keyHash = sha256(key.getEncoded());
        var before = claims.claimed(id.instanceId());
        if (before.isPresent() && !keyHash.equals(keyOf(before.get()))) return enrolledAlready(id);
        EnrollmentPolicy.Seen seen;
        try {
            seen = instances.describe(id.instanceId()).orElse(null);
        } catch (LaunchException e) {
            return refuse(503, "EC2 could not be asked about " + id.instanceId() + ": " + e.getMessage(), id);
        }
        var outcome = EnrollmentPolicy.decide(true, id, seen, trust.fleet(), clock.instant(), MAX_AGE);
        if (outcome instanceof EnrollmentPolicy.Refuse r) return refuse(r.status(), r.reason(), id);
        var accept = (EnrollmentPolicy.Accept) outcome;
        var record = Json.write(Map.of("at", clock.instant().toString(), "privateIp", id.privateIp(), "zone", id.availabilityZone(),
                "keySha256", keyHash));
        String existing = claims.claim(id.instanceId(), record);
        // the same key again (its reply was lost, or a control node failed after claiming): the same certificate, again
        if (existing != null && !keyHash.equals(keyOf(existing))) return enrolledAlready(id);
        String cert = trust.ca().certify(accept.name(), key, accept.ips(), ClusterPki.NODE_VALIDITY);
        log.info("enrolled {} ({} {}, {}){}", id.instanceId(), id.instanceType(), id.availabilityZone(), id.privateIp(),
                existing == null ? "" : ": again, for the key it enrolled with");
        var out = new LinkedHashMap<String, Object>();
        out.put("name", accept.name());
        out.put("certificate", cert);
        out.put("ca", trust.ca().caPem());
        return new Reply(201, out);
    }

    private static Reply enrolledAlready(InstanceIdentity id) {
        return refuse(409, "instance " + id.instanceId() + " has enrolled already with another key: an instance enrolls once (its "
                + "certificate is on its disk)", id);
    }

    private static String keyOf(String record) {
        try {
            return Json.MAPPER.readTree(record).path("keySha256").asText("");
        } catch (IOException e) {
            return "";
        }
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Reply refuse(int status, String reason, InstanceIdentity id) {
        log.warn("refused an enrollment{}: {}", id == null ? "" : " of " + id.instanceId(), reason);
        return new Reply(status, Map.of("error", reason));
    }

    private static PublicKey rsa(byte[] spki) throws GeneralSecurityException {
        var k = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(spki));
        if (((RSAPublicKey) k).getModulus().bitLength() < 2048) throw new GeneralSecurityException("the key has fewer than 2048 bits");
        return k;
    }

    private static byte[] read(InputStream in) throws IOException {
        byte[] b = in.readNBytes(MAX_BODY + 1);
        return b.length > MAX_BODY ? null : b;
    }

    private static void reply(HttpExchange x, int status, Map<String, Object> body) throws IOException {
        byte[] out = Json.write(body).getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", "application/json");
        x.sendResponseHeaders(status, out.length);
        x.getResponseBody().write(out);
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
