package io.spottrain.coordinator.api;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.spottrain.coordinator.jobs.JobManager;
import io.spottrain.coordinator.metrics.ControlMetrics;
import io.spottrain.coordinator.metrics.ControlMetrics.RendezvousPort;
import io.spottrain.coordinator.jobs.Outcome;
import io.spottrain.coordinator.state.StateStore;
import io.spottrain.coordinator.launch.NodeLauncher;
import io.spottrain.coordinator.security.Access;
import io.spottrain.coordinator.security.OpenRoute;
import io.spottrain.coordinator.security.Principal;
import io.spottrain.coordinator.security.Role;
import io.spottrain.coordinator.security.Sessions;
import io.spottrain.coordinator.security.Tokens;
import io.spottrain.protocol.json.Json;
import io.spottrain.protocol.spec.JobSpec;
import io.spottrain.protocol.spec.JobSpecException;
import io.spottrain.protocol.spec.JobSpecParser;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's HTTP API (JSON), used by the CLI and, later, the console. Reads are served
 * from this control node's copy of the state store ({@link JobReads}); changes go to the job
 * manager and are answered once stored. Every error is a JSON {@link ApiError} with a one-line
 * message; nothing answers with a stack trace.
 *
 * <pre>
 * GET  /api/v1/health            POST /api/v1/jobs (YAML or JSON job spec)
 * GET  /api/v1/jobs              GET  /api/v1/jobs/{id}    GET /api/v1/jobs/{id}/events?after=&amp;limit=
 * POST /api/v1/jobs/{id}/cancel  POST /api/v1/jobs/{id}/checkpoint  GET /api/v1/jobs/{id}/checkpoints?before=&amp;limit=
 * GET  /api/v1/autoscaler  (its policy, metric, capacity in flight, last decisions)
 * GET  /api/v1/nodes[?all=true]  POST /api/v1/nodes  POST /api/v1/nodes/{id}/preempt
 * GET  /api/v1/control/stats     POST /api/v1/shutdown (local clusters: stops the coordinator and its nodes)
 * GET  /api/v1/tokens            POST /api/v1/tokens {name, role}   POST /api/v1/tokens/{id}/revoke
 * GET  /api/v1/jobs/{id}/scale   POST /api/v1/jobs/{id}/scale {workers, message?, expectedGeneration?}  (live resize)
 * POST /api/v1/session {token}   POST /api/v1/session/logout   GET /api/v1/session   (the console: cookie session + CSRF token)
 * GET  /metrics                  (Prometheus text format; a viewer token)
 * GET  /api/v1/jobs/{id}/explain  (why it waits or where it runs: pools, fleet, queue)
 * GET  /api/v1/jobs/{id}/series?after=EPOCH_SECONDS  (step, world size and loss over time: 10 s points for 4 h, 5 min for 48 h)
 * GET  /api/v1/jobs/{id}/ranks/{rank}/log?bytes=N[&from=OFFSET]  (the end of a rank's output, or what follows OFFSET, from its node's agent, secrets masked)
 * GET  /console                  (the operator console: a page and its script, no data; it logs in with a token)
 * </pre>
 *
 * <p>Every route but the health check needs a bearer token of a {@link Role} (viewer reads,
 * operator changes jobs, admin changes nodes, the cluster and tokens): 401 without or with a bad
 * token, 403 below the route's role. Changes must be sent as JSON or YAML, and a browser request
 * from another origin is refused (403), so no web page can drive the API.
 */
public final class HttpApi implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HttpApi.class);

    /** Largest request body (a job spec, a node request). */
    public static final int MAX_BODY = 256 * 1024;

    private final JobReads reads;
    private final ManagerAsks asks;
    private final Runnable shutdown;
    private final Javalin app;
    private final Tokens tokens;
    private final SessionRoutes sessionRoutes;
    private final ControlMetrics metrics;
    /** This JVM's JIT compilers (null where the JVM has none that it can time: the stats say -1): the time they spent compiling. */
    private final CompilationMXBean compilation = compilationBean();
    private final MetricsRoutes metricsRoutes;
    /** Where rank output outlives its node (set once the remote tier is known; null: none). */
    private final AtomicReference<LogArchive> logArchive = new AtomicReference<>();

    public HttpApi(ActorSystem<?> system, ActorRef<JobManager.Command> jobManager, JobReads reads, Tokens tokens, String host, int port,
            Duration askTimeout, Runnable shutdown, AtomicReference<NodeLauncher> launcher) {
        this(system, jobManager, reads, tokens, host, port, null, askTimeout, shutdown, launcher);
    }

    /** As above; with {@code tls} (not null) the API serves HTTPS only (TLS 1.2+), no plain HTTP port. */
    public HttpApi(ActorSystem<?> system, ActorRef<JobManager.Command> jobManager, JobReads reads, Tokens tokens, String host, int port,
            SSLContext tls, Duration askTimeout, Runnable shutdown, AtomicReference<NodeLauncher> launcher) {
        this.tokens = tokens;
        this.sessionRoutes = new SessionRoutes(tokens, new Sessions(Clock.systemUTC()));
        this.reads = reads;
        this.asks = new ManagerAsks(system, jobManager, askTimeout);
        this.shutdown = shutdown;
        this.metrics = ControlMetrics.get(system);
        this.metricsRoutes = new MetricsRoutes(reads, metrics);
        this.app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.jetty.host = host;
            config.jetty.port = port;
            config.http.maxRequestSize = MAX_BODY;
            if (tls != null) config.jetty.addConnector((server, http) -> httpsConnector(server, http, tls, host, port));
            config.routes.beforeMatched(this::guard);
            config.routes.get("/api/v1/health", ctx -> json(ctx, 200, Map.of("status", "ok")), OpenRoute.HEALTH);
            config.routes.post("/api/v1/session", sessionRoutes::login, OpenRoute.LOGIN);
            config.routes.post("/api/v1/session/logout", sessionRoutes::logout, OpenRoute.LOGIN);
            config.routes.get("/api/v1/session", sessionRoutes::whoami, Role.VIEWER);
            var console = new ConsoleRoutes();
            config.routes.get("/console", console::page, OpenRoute.CONSOLE);
            config.routes.get("/console/assets/{file}", console::asset, OpenRoute.CONSOLE);
            config.routes.post("/api/v1/jobs", this::submit, Role.OPERATOR);
            config.routes.get("/api/v1/jobs", this::listJobs, Role.VIEWER);
            config.routes.get("/api/v1/jobs/{id}", this::getJob, Role.VIEWER);
            config.routes.post("/api/v1/jobs/{id}/cancel", this::cancel, Role.OPERATOR);
            config.routes.post("/api/v1/jobs/{id}/checkpoint", this::checkpoint, Role.OPERATOR);
            config.routes.get("/api/v1/jobs/{id}/checkpoints", this::catalog, Role.VIEWER);
            config.routes.get("/api/v1/jobs/{id}/events", this::events, Role.VIEWER);
            config.routes.get("/api/v1/jobs/{id}/series", ctx -> json(ctx, 200, reads.series(ctx.pathParam("id"), longParam(ctx, "after", 0))
                    .orElseThrow(() -> noSuchJob(ctx.pathParam("id")))), Role.VIEWER);
            config.routes.get("/api/v1/jobs/{id}/explain", new ExplainRoutes(reads, launcher)::get, Role.VIEWER);
            config.routes.get("/api/v1/jobs/{id}/ranks/{rank}/log", new RankLogRoutes(reads, asks, logArchive::get)::get, Role.VIEWER);
            var scaleRoutes = new ScaleRoutes(reads, this::answer);
            config.routes.get("/api/v1/jobs/{id}/scale", scaleRoutes::get, Role.VIEWER);
            config.routes.post("/api/v1/jobs/{id}/scale", scaleRoutes::post, Role.OPERATOR);
            var nodeRoutes = new NodeRoutes(system, reads, launcher);
            config.routes.get("/api/v1/nodes", nodeRoutes::nodes, Role.VIEWER);
            var costRoutes = new CostRoutes(reads);
            config.routes.get("/api/v1/cost", costRoutes::report, Role.VIEWER);
            config.routes.get("/api/v1/cost/budgets", costRoutes::budgets, Role.VIEWER);
            config.routes.get("/api/v1/cost/daily", costRoutes::daily, Role.VIEWER);
            config.routes.get("/api/v1/control/stats", this::stats, Role.VIEWER);
            config.routes.get("/metrics", metricsRoutes::scrape, Role.VIEWER);
            config.routes.get("/api/v1/autoscaler", ctx -> {
                try {
                    json(ctx, 200, asks.autoscaler());
                } catch (ManagerAsks.Unanswered e) {
                    throw new ApiException(503, ApiError.of(e.getMessage()));
                }
            }, Role.VIEWER);
            config.routes.post("/api/v1/shutdown", this::shutdown, Role.ADMIN);
            config.routes.post("/api/v1/nodes", nodeRoutes::launchNode, Role.ADMIN);
            config.routes.post("/api/v1/nodes/{id}/preempt", nodeRoutes::preemptNode, Role.ADMIN);
            var tokenRoutes = new TokenRoutes(tokens);
            config.routes.get("/api/v1/tokens", tokenRoutes::list, Role.ADMIN);
            config.routes.post("/api/v1/tokens", tokenRoutes::create, Role.ADMIN);
            config.routes.post("/api/v1/tokens/{id}/revoke", tokenRoutes::revoke, Role.ADMIN);
            config.routes.exception(ApiException.class, (e, ctx) -> json(ctx, e.status, e.body));
            config.routes.exception(Exception.class, (e, ctx) -> {
                log.error("API {} {} failed", ctx.method(), ctx.path(), e);
                json(ctx, 500, ApiError.of("internal error: " + e.getClass().getSimpleName() + ": " + e.getMessage()));
            });
            config.routes.error(404, "*", ctx -> {
                String type = ctx.res().getContentType();
                if (type == null || !type.startsWith("application/json")) { // Javalin's own text 404
                    json(ctx, 404, ApiError.of("no such endpoint: " + ctx.method() + " " + ctx.path()));
                }
            });
            config.routes.error(405, "*", ctx -> json(ctx, 405, ApiError.of("method " + ctx.method() + " not allowed on " + ctx.path())));
        }).start();
    }

    /** Rank logs of nodes that cannot answer are read from here from now on. */
    public void useLogArchive(LogArchive archive) {
        var before = logArchive.getAndSet(archive);
        if (before != null && before != archive) before.close();
    }

    public int port() {
        return app.port();
    }

    /** The only connector when TLS is on: Javalin adds its plain one only when none is configured. */
    private static ServerConnector httpsConnector(Server server, HttpConfiguration http, SSLContext tls, String host, int port) {
        var ssl = new SslContextFactory.Server();
        ssl.setSslContext(tls);
        ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
        var https = new HttpConfiguration(http);
        https.addCustomizer(new SecureRequestCustomizer(false)); // clients connect by IP: no SNI host check
        var c = new ServerConnector(server, ssl, new HttpConnectionFactory(https));
        c.setHost(host);
        c.setPort(port);
        return c;
    }

    /** Before every matched route: origin, credential and role (open routes need none), then the content type of a change. */
    private void guard(Context ctx) {
        try {
            check(ctx);
        } catch (ApiException e) {
            // read what the client is still sending (bounded by MAX_BODY): answered unread, a large body (a job spec with a long
            // classpath) met a closed connection and the client saw a broken pipe instead of the 401/403/415 (SecurityIT, once)
            try {
                ctx.bodyAsBytes();
            } catch (RuntimeException tooLargeOrGone) {
                // the connection closes; nothing else to do
            }
            throw e;
        }
    }

    private void check(Context ctx) {
        var origin = Access.originProblem(ctx.header("Origin"), ctx.scheme(), ctx.host());
        if (origin.isPresent()) throw new ApiException(403, ApiError.of(origin.get()));
        if (ctx.routeRoles().stream().noneMatch(r -> r instanceof OpenRoute)) authorize(ctx);
        var type = Access.contentTypeProblem(ctx.method().name(), ctx.contentType());
        if (type.isPresent()) throw new ApiException(415, ApiError.of(type.get()));
    }

    /** The bearer token, else the console's session cookie (with its CSRF header for a change), against the route's role. */
    private void authorize(Context ctx) {
        Access.Credential credential = tokens.authenticate(ctx.header("Authorization"));
        if (credential instanceof Access.Missing) {
            var session = sessionRoutes.fromCookie(ctx);
            if (session.isPresent()) ctx.attribute(VIA_SESSION, Boolean.TRUE);
            credential = session.orElse(credential);
        }
        var verdict = Access.decide(ctx.routeRoles(), ctx.method() + " " + ctx.path(), credential);
        if (verdict instanceof Access.Denied d) {
            if (d.status() == 401) ctx.header("WWW-Authenticate", "Bearer realm=\"spottrain\"");
            throw new ApiException(d.status(), ApiError.of(d.reason()));
        }
        ctx.attribute(PRINCIPAL, ((Access.Allowed) verdict).principal());
    }

    static final String PRINCIPAL = "spottrain.principal";
    /** Set when the request was authorized by a console session cookie (not a bearer token). */
    static final String VIA_SESSION = "spottrain.via-session";

    /** Who made this request (set by {@link #guard} on every route but the open one). */
    static String actor(Context ctx) {
        Principal p = ctx.attribute(PRINCIPAL);
        return p == null ? null : p.actor();
    }

    private void submit(Context ctx) {
        String body = ctx.body();
        if (body.isBlank()) {
            throw new ApiException(400, ApiError.of("request body is empty: send a job spec as YAML or JSON"));
        }
        JobSpec spec;
        try {
            spec = JobSpecParser.parse(body);
        } catch (JobSpecException e) {
            throw new ApiException(400, new ApiError("invalid job spec: " + e.getMessage(), e.errors()));
        }
        var ack = ask(r -> new JobManager.SubmitJob(spec, actor(ctx), r));
        json(ctx, 201, view(ack.jobId()));
    }

    private void listJobs(Context ctx) {
        ctx.status(HttpStatus.OK).contentType("application/json").result(reads.jobsJson());
    }

    private void getJob(Context ctx) {
        json(ctx, 200, view(ctx.pathParam("id")));
    }

    private JobView view(String id) {
        return reads.job(id).orElseThrow(() -> noSuchJob(id));
    }

    private void cancel(Context ctx) {
        String id = ctx.pathParam("id");
        requireInProgress(id);
        ask(r -> new JobManager.CancelJob(id, null, actor(ctx), r));
        json(ctx, 200, view(id));
    }

    private void checkpoint(Context ctx) {
        String id = ctx.pathParam("id");
        requireInProgress(id);
        ask(r -> new JobManager.CheckpointJob(id, actor(ctx), r));
        json(ctx, 202, view(id));
    }

    private void requireInProgress(String id) {
        var doc = reads.document(id).orElseThrow(() -> noSuchJob(id));
        if (doc.state().terminal()) throw new ApiException(409, ApiError.of("job " + id + " already ended " + doc.state()));
    }

    private void events(Context ctx) {
        String id = ctx.pathParam("id");
        long after = longParam(ctx, "after", -1);
        int limit = (int) longParam(ctx, "limit", 100);
        json(ctx, 200, reads.events(id, after, limit).orElseThrow(() -> noSuchJob(id)));
    }

    private void catalog(Context ctx) {
        String id = ctx.pathParam("id");
        Long before = ctx.queryParam("before") == null ? null : longParam(ctx, "before", 0);
        int limit = (int) longParam(ctx, "limit", 100);
        json(ctx, 200, reads.catalog(id, before, limit).orElseThrow(() -> noSuchJob(id)));
    }

    private static long longParam(Context ctx, String name, long dflt) {
        String v = ctx.queryParam(name);
        if (v == null) return dflt;
        try {
            long n = Long.parseLong(v);
            if (n < -1 || (name.equals("limit") && n < 1)) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new ApiException(400, ApiError.of("query parameter " + name + " must be a " + (name.equals("limit") ? "positive " : "")
                    + "whole number, got \"" + v + "\""));
        }
    }

    private static ApiException noSuchJob(String id) {
        return new ApiException(404, ApiError.of("no job named " + id));
    }

    private static CompilationMXBean compilationBean() {
        var bean = ManagementFactory.getCompilationMXBean();
        return bean != null && bean.isCompilationTimeMonitoringSupported() ? bean : null;
    }

    private void stats(Context ctx) {
        var rt = Runtime.getRuntime();
        var s = reads.storeStats();
        json(ctx, 200, Map.of("store", Map.of("writes", s.writes(), "documents", s.documents(), "bytes", s.bytes(), "writeMillis",
                s.writeNanos() / 1_000_000, "writesByMillis", s.writesByMillis(), "writeBucketsMillis", StateStore.Stats.WRITE_BUCKETS_MILLIS),
                "rendezvous", Map.of("offered", metrics.rendezvousCount(RendezvousPort.OFFERED), "asked",
                        metrics.rendezvousCount(RendezvousPort.ASKED)), "scheduled", metrics.scheduledCount(),
                "jitMillis", compilation == null ? -1 : compilation.getTotalCompilationTime(),
                "jobManagerEpoch", reads.jobManagerEpoch(), "heapUsedBytes", rt.totalMemory() - rt.freeMemory(), "heapMaxBytes",
                rt.maxMemory()));
    }

    private void shutdown(Context ctx) {
        json(ctx, 202, Map.of("status", "shutting down"));
        Thread t = new Thread(shutdown, "api-shutdown");
        t.setDaemon(false);
        t.start();
    }

    private Outcome.JobAck ask(Function<ActorRef<Outcome>, JobManager.Command> message) {
        return (Outcome.JobAck) answer(message);
    }

    /** Asks the job manager; a refusal becomes its HTTP status, no answer a 503. */
    private Outcome answer(Function<ActorRef<Outcome>, JobManager.Command> message) {
        Outcome outcome;
        try {
            outcome = asks.ask(message);
        } catch (ManagerAsks.Unanswered e) {
            throw new ApiException(503, ApiError.of(e.getMessage()));
        }
        if (outcome instanceof Outcome.Refused r) throw new ApiException(r.refusal().status, ApiError.of(r.message()));
        return outcome;
    }

    static void json(Context ctx, int status, Object body) {
        ctx.status(HttpStatus.forStatus(status)).contentType("application/json").result(Json.write(body));
    }

    @Override
    public void close() {
        app.stop();
        metricsRoutes.close();
        var archive = logArchive.getAndSet(null);
        if (archive != null) archive.close(); // its S3 clients
    }

    /** An expected failure with its HTTP status and JSON body. */
    static final class ApiException extends RuntimeException {
        final int status;
        final ApiError body;

        ApiException(int status, ApiError body) {
            super(body.error(), null, false, false);
            this.status = status;
            this.body = body;
        }
    }
}
