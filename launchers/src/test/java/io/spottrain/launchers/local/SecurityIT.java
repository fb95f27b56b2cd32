package io.spottrain.launchers.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.cli.Main;
import io.spottrain.protocol.json.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real local cluster as an attacker meets it. The API: every route but the health check refuses
 * anonymous callers (401) and roles below its own (403), tokens are shown once and stored as
 * hashes, changes name who made them, browsers from other origins and form posts are refused, bad
 * bodies get one-line JSON errors. Jobs: a job cannot get the agent's S3 secret through argv, its
 * environment or its reason; a rank that floods its control channel is stopped and the agent goes on.
 */
@Timeout(240)
class SecurityIT {
    @TempDir
    static Path dir;

    static TestCluster cluster;
    /**
     * A client per request: a shared one reuses pooled connections, and a connection the server had
     * just closed after a refused request failed the next test's first GET with "header parser
     * received no bytes" (a fresh-clone suite run, 2026-12-02).
     */
    static HttpClient http() {
        return HttpClient.newHttpClient();
    }

    /** Every route and the role it needs (paths name no real job, so an allowed call changes nothing). */
    static final List<String[]> ROUTES = List.of(
            new String[] {"GET", "/api/v1/jobs", "viewer"},
            new String[] {"GET", "/api/v1/jobs/nope-1", "viewer"},
            new String[] {"GET", "/api/v1/jobs/nope-1/events", "viewer"},
            new String[] {"GET", "/api/v1/jobs/nope-1/checkpoints", "viewer"},
            new String[] {"GET", "/api/v1/nodes", "viewer"},
            new String[] {"GET", "/api/v1/control/stats", "viewer"},
            new String[] {"GET", "/api/v1/jobs/nope-1/scale", "viewer"},
            new String[] {"GET", "/metrics", "viewer"},
            new String[] {"GET", "/api/v1/session", "viewer"},
            new String[] {"POST", "/api/v1/jobs/nope-1/scale", "operator"},
            new String[] {"POST", "/api/v1/jobs", "operator"},
            new String[] {"POST", "/api/v1/jobs/nope-1/cancel", "operator"},
            new String[] {"POST", "/api/v1/jobs/nope-1/checkpoint", "operator"},
            new String[] {"POST", "/api/v1/nodes", "admin"},
            new String[] {"POST", "/api/v1/nodes/node1/preempt", "admin"},
            new String[] {"POST", "/api/v1/shutdown", "admin"},
            new String[] {"GET", "/api/v1/tokens", "admin"},
            new String[] {"POST", "/api/v1/tokens", "admin"},
            new String[] {"POST", "/api/v1/tokens/abcdefghij/revoke", "admin"});

    static String admin;
    static String operator;
    static String viewer;

    record Reply(int status, String body) {
        JsonNode json() {
            try {
                return Json.MAPPER.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }

        String error() {
            return json().path("error").asText();
        }
    }

    @BeforeAll
    static void up() {
        cluster = TestCluster.start(dir.resolve("state"), 1);
        admin = AdminToken.read(AdminToken.file(cluster.stateDir)).orElseThrow();
        operator = cluster.api.post("/api/v1/tokens", "{\"name\":\"alice\",\"role\":\"operator\"}", "application/json").path("token").asText();
        viewer = cluster.api.post("/api/v1/tokens", "{\"name\":\"vic\",\"role\":\"viewer\"}", "application/json").path("token").asText();
    }

    @AfterAll
    static void down() {
        if (cluster != null) cluster.close();
    }

    static Reply send(String method, String path, String token, String contentType, String body, Map<String, String> headers)
            throws IOException, InterruptedException {
        var b = HttpRequest.newBuilder(URI.create(cluster.state.apiUrl() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) b.header("Authorization", "Bearer " + token);
        if (contentType != null) b.header("Content-Type", contentType);
        headers.forEach(b::header);
        HttpResponse<String> r = http().send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body());
    }

    static Reply send(String method, String path, String token) throws IOException, InterruptedException {
        return send(method, path, token, method.equals("POST") ? "application/json" : null, method.equals("POST") ? "{}" : null, Map.of());
    }

    @Test
    void theAdminTokenIsPrivateAndOnOneLine() throws IOException {
        Path f = AdminToken.file(cluster.stateDir);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        assertEquals(1, Files.readString(f).lines().count());
        assertTrue(Files.readString(f).startsWith("st."));
    }

    @Test
    void theConsolePageIsOpenHoldsNoDataAndAllowsNoForeignScriptOrFraming() throws Exception {
        Reply page = send("GET", "/console", null);
        assertEquals(200, page.status(), page.body());
        assertTrue(page.body().contains("<script src=\"/console/assets/console.js\" defer></script>"), page.body());
        assertFalse(page.body().contains("<script>"), "no inline script");
        var headers = http().send(HttpRequest.newBuilder(URI.create(cluster.state.apiUrl() + "/console/assets/console.js"))
                .build(), HttpResponse.BodyHandlers.ofString()).headers();
        assertTrue(headers.firstValue("Content-Security-Policy").orElse("").contains("script-src 'self'"), headers::toString);
        assertTrue(headers.firstValue("Content-Security-Policy").orElse("").contains("frame-ancestors 'none'"), headers::toString);
        assertEquals("nosniff", headers.firstValue("X-Content-Type-Options").orElse(""));
        int escape = send("GET", "/console/assets/..%2Ftoken", null).status();
        assertTrue(escape == 400 || escape == 404, "only the console's own files: " + escape);
        assertEquals(404, send("GET", "/console/assets/token", null).status());
    }

    @Test
    void healthIsOpenAndSaysNothingButOk() throws Exception {
        Reply r = send("GET", "/api/v1/health", null);
        assertEquals(200, r.status());
        assertEquals("{\"status\":\"ok\"}", r.body());
    }

    @Test
    void everyRouteRefusesAnonymousAndBadTokens() throws Exception {
        String unknown = "st.abcdefghij." + "A".repeat(43);
        for (String[] route : ROUTES) {
            String what = route[0] + " " + route[1];
            Reply anon = send(route[0], route[1], null);
            assertEquals(401, anon.status(), what + ": " + anon.body());
            assertTrue(anon.error().contains("needs an API token"), what + ": " + anon.body());
            Reply bad = send(route[0], route[1], unknown);
            assertEquals(401, bad.status(), what + ": " + bad.body());
            assertEquals("unknown API token abcdefghij", bad.error(), what);
            Reply garbage = send(route[0], route[1], "hunter2");
            assertEquals(401, garbage.status(), what);
            assertFalse(garbage.body().contains("hunter2"), "a refusal never echoes what was sent as a token");
        }
    }

    @Test
    void rolesBelowARoutesRoleGet403() throws Exception {
        var refused = new ArrayList<String>();
        for (String[] route : ROUTES) {
            String what = route[0] + " " + route[1];
            if (!route[2].equals("viewer")) {
                Reply r = send(route[0], route[1], viewer);
                assertEquals(403, r.status(), what + " as viewer: " + r.body());
                assertTrue(r.error().contains("needs role " + route[2]) && r.error().contains("(vic) is viewer"), r.body());
                refused.add(what);
            }
            if (route[2].equals("admin")) {
                Reply r = send(route[0], route[1], operator);
                assertEquals(403, r.status(), what + " as operator: " + r.body());
                assertTrue(r.error().contains("needs role admin"), r.body());
            } else {
                Reply r = send(route[0], route[1], operator);
                assertTrue(r.status() != 401 && r.status() != 403, what + " is open to an operator: " + r.body());
            }
        }
        assertTrue(refused.contains("POST /api/v1/shutdown") && refused.contains("POST /api/v1/nodes/node1/preempt"));
        assertEquals("ok", cluster.api.get("/api/v1/health").path("status").asText(), "the cluster is still up");
        assertEquals(2, cluster.nodes(false).size(), "and node1 was not preempted");
    }

    @Test
    void aViewerReadsButCannotSubmit() throws Exception {
        assertEquals(200, send("GET", "/api/v1/jobs", viewer).status());
        String spec = TestCluster.javaJob("viewers-job", 1, 1, "io.spottrain.examples.ExchangeRanks", "--timeout-s", "30");
        Reply r = send("POST", "/api/v1/jobs", viewer, "application/yaml", spec, Map.of());
        assertEquals(403, r.status(), r.body());
        assertTrue(cluster.api.get("/api/v1/jobs").findValuesAsText("name").stream().noneMatch(n -> n.equals("viewers-job")));
    }

    @Test
    void changesRecordWhoMadeThem() throws Exception {
        // needs two workers, the cluster has one: it stays PENDING until cancelled
        String spec = TestCluster.javaJob("alices-job", 2, 2, "io.spottrain.examples.ExchangeRanks", "--timeout-s", "30");
        Reply submitted = send("POST", "/api/v1/jobs", operator, "application/yaml", spec, Map.of());
        assertEquals(201, submitted.status(), submitted.body());
        String id = submitted.json().path("id").asText();
        Reply cancelled = send("POST", "/api/v1/jobs/" + id + "/cancel", operator);
        assertEquals(200, cancelled.status(), cancelled.body());
        JsonNode events = cluster.api.get("/api/v1/jobs/" + id + "/events").path("items");
        var by = new ArrayList<String>();
        for (JsonNode e : events) if (!e.path("by").isNull() && !e.path("by").isMissingNode()) by.add(e.path("type").asText() + " " + e.path("by").asText());
        String tokenId = operator.split("\\.")[1];
        assertEquals(List.of("SUBMITTED alice (operator token " + tokenId + ")", "CANCEL_REQUESTED alice (operator token " + tokenId + ")"), by,
                events::toString);
        assertTrue(cluster.api.get("/api/v1/jobs/" + id).path("reason").asText().contains("cancelled by alice"));
    }

    @Test
    void foreignOriginsAndFormPostsAreRefused() throws Exception {
        String spec = TestCluster.javaJob("csrf", 1, 1, "io.spottrain.examples.ExchangeRanks");
        Reply foreign = send("POST", "/api/v1/jobs", admin, "application/yaml", spec, Map.of("Origin", "http://evil.example:8080"));
        assertEquals(403, foreign.status(), foreign.body());
        assertTrue(foreign.error().contains("requests from http://evil.example:8080 are not allowed"), foreign.body());
        Reply form = send("POST", "/api/v1/jobs", admin, "text/plain", spec, Map.of());
        assertEquals(415, form.status(), form.body());
        assertTrue(form.error().contains("application/json or application/yaml"), form.body());
        Reply none = send("POST", "/api/v1/shutdown", admin, null, null, Map.of());
        assertEquals(415, none.status(), "a body-less POST needs a JSON content type too: " + none.body());
        Reply own = send("GET", "/api/v1/jobs", viewer, null, null, Map.of("Origin", cluster.state.apiUrl()));
        assertEquals(200, own.status(), "the API's own origin is fine: " + own.body());
        assertTrue(cluster.api.get("/api/v1/jobs").findValuesAsText("name").stream().noneMatch(n -> n.equals("csrf")));
    }

    @Test
    void tokensAreShownOnceListedWithoutSecretsAndRevocable() throws Exception {
        Reply created = send("POST", "/api/v1/tokens", admin, "application/json", "{\"name\":\"ci-bot\",\"role\":\"viewer\"}", Map.of());
        assertEquals(201, created.status(), created.body());
        String token = created.json().path("token").asText();
        String id = created.json().path("id").asText();
        assertEquals(200, send("GET", "/api/v1/nodes", token).status());

        Reply list = send("GET", "/api/v1/tokens", admin);
        assertEquals(200, list.status());
        assertFalse(list.body().contains(token.substring(14)) || list.body().contains(admin.substring(14)), "no secret in the listing");
        assertFalse(list.body().contains("hash"), list.body());
        assertTrue(list.json().findValuesAsText("name").containsAll(List.of("local-admin", "alice", "vic", "ci-bot")), list.body());

        Reply revoked = send("POST", "/api/v1/tokens/" + id + "/revoke", admin);
        assertEquals(200, revoked.status(), revoked.body());
        Reply after = send("GET", "/api/v1/nodes", token);
        assertEquals(401, after.status());
        assertTrue(after.error().startsWith("API token " + id + " was revoked at "), after.body());

        String adminId = admin.split("\\.")[1];
        Reply last = send("POST", "/api/v1/tokens/" + adminId + "/revoke", admin);
        assertEquals(409, last.status(), last.body());
        assertTrue(last.error().contains("last admin token"), last.body());

        Reply badRole = send("POST", "/api/v1/tokens", admin, "application/json", "{\"name\":\"x\",\"role\":\"root\"}", Map.of());
        assertEquals(400, badRole.status());
        assertTrue(badRole.error().contains("role must be one of viewer, operator, admin"), badRole.body());
    }

    @Test
    void theCliUsesTheStateDirsTokenOrTheOneItIsGiven() throws Exception {
        assertEquals(0, Main.run("token", "ls", "--state-dir", cluster.stateDir.toString()));
        Path viewerFile = dir.resolve("viewer.token");
        Files.writeString(viewerFile, viewer + "\n");
        assertEquals(0, Main.run("nodes", "--state-dir", cluster.stateDir.toString(), "--token-file", viewerFile.toString()));
        assertEquals(1, Main.run("token", "create", "--role", "admin", "--state-dir", cluster.stateDir.toString(), "--token-file",
                viewerFile.toString()), "a viewer cannot make tokens");
    }

    static String secretKey() throws IOException {
        var p = new Properties();
        try (var in = Files.newInputStream(cluster.stateDir.resolve("s3.credentials"))) {
            p.load(in);
        }
        String secret = p.getProperty("secret");
        assertTrue(secret != null && secret.length() >= 8, "the embedded S3 server has a secret key");
        return secret;
    }

    static String job(String name, List<String> argv) {
        return """
                apiVersion: spottrain/v1
                kind: TrainingJob
                metadata: {name: %s}
                spec:
                  workers: {min: 1, max: 1, gpusPerWorker: 0}
                  maxRestarts: 0
                  command: %s
                """.formatted(name, Json.write(argv));
    }

    @Test
    void aJobCannotReadTheAgentsS3SecretThroughArgvEnvOrItsReason() throws Exception {
        String secret = secretKey();
        String viaArgv = cluster.submit(job("argv-secret", List.of("${SPOTTRAIN_S3_SECRET_KEY}"))).path("id").asText();
        JsonNode a = cluster.awaitEnd(viaArgv);
        assertEquals("FAILED", a.path("state").asText());
        assertTrue(a.path("reason").asText().contains("cannot run ${SPOTTRAIN_S3_SECRET_KEY}"), a.path("reason").asText());

        // what the rank inherits, then what it could still read of its agent through /proc (same user): masked on the way out
        String viaEnv = cluster.submit(job("env-secret", List.of("/bin/sh", "-c",
                "env | sort; echo ---; tr '\\0' '\\n' < /proc/$PPID/environ | grep S3_SECRET; exit 3"))).path("id").asText();
        JsonNode b = cluster.awaitEnd(viaEnv);
        assertEquals("FAILED", b.path("state").asText());
        assertTrue(b.path("reason").asText().endsWith("SPOTTRAIN_S3_SECRET_KEY=[redacted]"), b.path("reason").asText());
        String log = Files.readString(Path.of(b.path("members").get(0).path("logFile").asText()));
        String inherited = log.substring(0, log.indexOf("---"));
        assertFalse(inherited.contains("SPOTTRAIN_S3") || inherited.contains(secret), "the rank's own environment has no S3 keys:\n" + inherited);
        assertTrue(inherited.contains("SPOTTRAIN_CONTROL_TOKEN="), "but its own control token");
        for (String id : List.of(viaArgv, viaEnv)) {
            String everything = cluster.api.get("/api/v1/jobs/" + id).toString() + cluster.api.get("/api/v1/jobs/" + id + "/events");
            assertFalse(everything.contains(secret), "the API shows no secret for " + id);
        }
        assertFalse(cluster.api.get("/api/v1/jobs").toString().contains(secret));
    }

    @Test
    void aRankThatFloodsItsControlChannelIsStoppedAndTheAgentGoesOn() throws Exception {
        String flood = cluster.submit(TestCluster.javaJob("flood", 1, 1, "io.spottrain.launchers.local.FloodingRank")
                .replace("spec:\n", "spec:\n  maxRestarts: 0\n")).path("id").asText();
        JsonNode f = cluster.awaitEnd(flood);
        assertEquals("FAILED", f.path("state").asText());
        assertTrue(f.path("reason").asText().contains("sent a control line longer than 65536 bytes; disconnected; stopped"),
                f.path("reason").asText());
        String ok = cluster.submit(TestCluster.javaJob("after-flood", 1, 1, "io.spottrain.examples.ExchangeRanks", "--timeout-s", "30"))
                .path("id").asText();
        JsonNode end = cluster.awaitEnd(ok);
        assertEquals("SUCCEEDED", end.path("state").asText(), "the same agent runs the next job: " + end);
        assertEquals(f.path("members").get(0).path("nodeId").asText(), end.path("members").get(0).path("nodeId").asText());
    }

    /** Waits (bounded) until {@code node}'s log has {@code text}; fails naming what was missing. */
    static String awaitLog(String node, String text, Duration timeout) throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            String log = cluster.log(node);
            if (log.contains(text)) return log;
            Thread.sleep(200);
        }
        throw new AssertionError(node + "'s log has no \"" + text + "\" after " + timeout.toSeconds() + "s");
    }

    @Test
    void anAgentWithASelfMadeCertificateCannotJoinAndTheCoordinatorSaysWhy() throws Exception {
        // the attacker trusts the cluster's CA (it is public) but can only sign its own certificate
        Path tls = dir.resolve("intruder-tls");
        ClusterPki.ensure(dir.resolve("foreign")).issue("intruder", tls);
        Files.copy(ClusterPki.dir(cluster.stateDir).resolve("ca.crt"), tls.resolve("ca.crt"), StandardCopyOption.REPLACE_EXISTING);
        Path log = dir.resolve("intruder.log");
        Process p = new ProcessBuilder(JavaCommand.current(JavaCommand.AGENT_FLAGS).argv(List.of("agent", "--seed",
                cluster.state.clusterEndpoint(), "--node-id", "intruder", "--work-dir", dir.resolve("intruder").toString(), "--tls-dir",
                tls.toString()))).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            // its TLS client offers no certificate the cluster CA did not issue; either way the coordinator refuses and says so
            String control = awaitLog("control1", "refused a cluster connection from", Duration.ofSeconds(60));
            assertTrue(control.contains("it presented no certificate") || control.contains("CN=intruder is not signed by this cluster's CA"),
                    control);
            assertTrue(cluster.nodes(true).stream().noneMatch(n -> n.path("id").asText().equals("intruder")), "the intruder never joined");
        } finally {
            ProcessTree.kill(p.pid());
        }
    }

    @Test
    void aSecondAgentClaimingALiveNodesIdIsRefused() throws Exception {
        JsonNode before = cluster.node("node1");
        // a holder of a genuine cluster certificate (a compromised member) claims node1
        Path tls = dir.resolve("twin-tls");
        ClusterPki.ensure(cluster.stateDir).issue("twin", tls, List.of("127.0.0.1"));
        Process p = new ProcessBuilder(JavaCommand.current(JavaCommand.AGENT_FLAGS).argv(List.of("agent", "--seed",
                cluster.state.clusterEndpoint(), "--node-id", "node1", "--work-dir", dir.resolve("twin").toString(), "--tls-dir",
                tls.toString()))).redirectErrorStream(true).redirectOutput(dir.resolve("twin.log").toFile()).start();
        try {
            String control = awaitLog("control1", "refused to register node node1 from", Duration.ofSeconds(60));
            assertTrue(control.contains("that node id is live at"), control);
            assertEquals(before.path("pid").asLong(), cluster.node("node1").path("pid").asLong(), "node1 is still the first agent");
        } finally {
            ProcessTree.kill(p.pid());
        }
    }

    @Test
    void theConsoleLogsInWithATokenAndChangesOnlyWithItsCsrfToken() throws Exception {
        Reply bad = send("POST", "/api/v1/session", null, "application/json", "{\"token\":\"st.abcdefghij." + "B".repeat(43) + "\"}",
                Map.of());
        assertEquals(401, bad.status(), bad.body());
        Reply foreign = send("POST", "/api/v1/session", null, "application/json", "{\"token\":\"" + operator + "\"}",
                Map.of("Origin", "http://evil.example"));
        assertEquals(403, foreign.status(), "no login from another site");

        var b = HttpRequest.newBuilder(URI.create(cluster.state.apiUrl() + "/api/v1/session")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"token\":\"" + operator + "\"}"));
        HttpResponse<String> login = http().send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, login.statusCode(), login.body());
        String setCookie = login.headers().firstValue("Set-Cookie").orElseThrow();
        assertTrue(setCookie.startsWith("spottrain_session=") && setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"),
                setCookie);
        assertFalse(login.body().contains(setCookie.substring(18, setCookie.indexOf(';'))), "the session id is only in the cookie");
        String cookie = setCookie.substring(0, setCookie.indexOf(';'));
        String csrf = Json.MAPPER.readTree(login.body()).path("csrfToken").asText();

        assertEquals(200, send("GET", "/api/v1/jobs", null, null, null, Map.of("Cookie", cookie)).status(), "reads with the cookie");
        Reply noCsrf = send("POST", "/api/v1/jobs/nope-1/cancel", null, "application/json", "{}", Map.of("Cookie", cookie));
        assertEquals(403, noCsrf.status(), noCsrf.body());
        assertTrue(noCsrf.error().contains("X-CSRF-Token"), noCsrf.body());
        Reply withCsrf = send("POST", "/api/v1/jobs/nope-1/cancel", null, "application/json", "{}",
                Map.of("Cookie", cookie, "X-CSRF-Token", csrf));
        assertEquals(404, withCsrf.status(), "authorized (the job does not exist): " + withCsrf.body());
        Reply admin = send("POST", "/api/v1/shutdown", null, "application/json", "{}", Map.of("Cookie", cookie, "X-CSRF-Token", csrf));
        assertEquals(403, admin.status(), "the session has the token's role, operator: " + admin.body());

        Reply out = send("POST", "/api/v1/session/logout", null, "application/json", "{}", Map.of("Cookie", cookie));
        assertEquals(200, out.status(), out.body());
        Reply after = send("GET", "/api/v1/jobs", null, null, null, Map.of("Cookie", cookie));
        assertEquals(401, after.status(), after.body());
    }

    @Test
    void badBodiesGetOneLineJsonErrors() throws Exception {
        Reply empty = send("POST", "/api/v1/jobs", operator, "application/yaml", "", Map.of());
        assertEquals(400, empty.status());
        assertEquals("{\"error\":\"request body is empty: send a job spec as YAML or JSON\",\"errors\":[]}", empty.body());

        Reply garbage = send("POST", "/api/v1/jobs", operator, "application/json", "{\"spec\": {\"workers\": 3}", Map.of());
        assertEquals(400, garbage.status());
        assertTrue(garbage.error().startsWith("invalid job spec: YAML syntax error at line 1"), garbage.body());
        assertFalse(garbage.error().contains("\n"));

        Reply missing = send("GET", "/api/v1/jobs/nope-9", viewer);
        assertEquals(404, missing.status());
        assertEquals("no job named nope-9", missing.error());

        Reply noRoute = send("GET", "/api/v1/nothing", viewer);
        assertEquals(404, noRoute.status());
        assertTrue(noRoute.body().contains("no such endpoint: GET /api/v1/nothing"), noRoute.body());
    }
}
