package io.spottrain.coordinator.api;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.spottrain.coordinator.jobs.Job;
import io.spottrain.coordinator.jobs.JobManager;
import io.spottrain.protocol.json.Json;
import io.spottrain.protocol.spec.JobSpec;
import io.spottrain.protocol.spec.JobSpecException;
import io.spottrain.protocol.spec.JobSpecParser;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.pattern.StatusReply;
import io.spottrain.protocol.wire.ClusterConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's HTTP API (JSON), used by the CLI and, later, the console. Every error is a
 * JSON {@link ApiError} with a one-line message; nothing answers with a stack trace.
 *
 * <pre>
 * GET  /api/v1/health            POST /api/v1/jobs (YAML or JSON job spec)
 * GET  /api/v1/jobs              GET  /api/v1/jobs/{id}
 * POST /api/v1/jobs/{id}/cancel  POST /api/v1/jobs/{id}/checkpoint  GET /api/v1/jobs/{id}/checkpoints
 * GET  /api/v1/nodes
 * POST /api/v1/shutdown          (local clusters: stops the coordinator and its nodes)
 * </pre>
 */
public final class HttpApi implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HttpApi.class);

    private final ActorSystem<?> system;
    private final ActorRef<JobManager.Command> jobManager;
    private final Duration askTimeout;
    private final Runnable shutdown;
    private final String controlNodeId;
    private final Clock clock = Clock.systemUTC();
    private final Javalin app;

    private final java.util.concurrent.atomic.AtomicReference<io.spottrain.coordinator.launch.NodeLauncher> launcher;

    public HttpApi(ActorSystem<?> system, ActorRef<JobManager.Command> jobManager, String controlNodeId, String host,
            int port, Duration askTimeout, Runnable shutdown,
            java.util.concurrent.atomic.AtomicReference<io.spottrain.coordinator.launch.NodeLauncher> launcher) {
        this.launcher = launcher;
        this.system = system;
        this.controlNodeId = controlNodeId;
        this.jobManager = jobManager;
        this.askTimeout = askTimeout;
        this.shutdown = shutdown;
        this.app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.jetty.host = host;
            config.jetty.port = port;
            config.routes.get("/api/v1/health", ctx -> json(ctx, 200, Map.of("status", "ok")));
            config.routes.post("/api/v1/jobs", this::submit);
            config.routes.get("/api/v1/jobs", this::listJobs);
            config.routes.get("/api/v1/jobs/{id}", this::getJob);
            config.routes.post("/api/v1/jobs/{id}/cancel", this::cancel);
            config.routes.post("/api/v1/jobs/{id}/checkpoint", this::checkpoint);
            config.routes.get("/api/v1/jobs/{id}/checkpoints", this::catalog);
            config.routes.get("/api/v1/nodes", this::nodes);
            config.routes.post("/api/v1/shutdown", this::shutdown);
            config.routes.post("/api/v1/nodes", this::launchNode);
            config.routes.post("/api/v1/nodes/{id}/preempt", this::preemptNode);
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

    public int port() {
        return app.port();
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
        Job job = askStatus(r -> new JobManager.SubmitJob(spec, r));
        json(ctx, 201, JobView.of(job, clock.instant()));
    }

    private void listJobs(Context ctx) {
        JobManager.JobList list = ask(JobManager.ListJobs::new);
        json(ctx, 200, list.jobs().stream().sorted(Comparator.comparing(Job::submittedAt))
                .map(j -> JobView.of(j, clock.instant())).toList());
    }

    private void getJob(Context ctx) {
        String id = ctx.pathParam("id");
        json(ctx, 200, JobView.of(askStatus(r -> new JobManager.GetJob(id, r)), clock.instant()));
    }

    private void cancel(Context ctx) {
        String id = ctx.pathParam("id");
        json(ctx, 200, JobView.of(askStatus(r -> new JobManager.CancelJob(id, null, r)), clock.instant()));
    }

    private void checkpoint(Context ctx) {
        String id = ctx.pathParam("id");
        json(ctx, 202, JobView.of(askStatus(r -> new JobManager.CheckpointJob(id, r)), clock.instant()));
    }

    private void catalog(Context ctx) {
        String id = ctx.pathParam("id");
        json(ctx, 200, CheckpointCatalog.of(askStatus(r -> new JobManager.GetJob(id, r))));
    }

    private void nodes(Context ctx) {
        JobManager.NodeList list = ask(JobManager.ListNodes::new);
        var views = new java.util.ArrayList<NodeView>();
        Cluster cluster = Cluster.get(system);
        for (Member m : cluster.state().getMembers()) {
            if (m.hasRole(ClusterConfig.ROLE_CONTROL)) {
                boolean self = m.equals(cluster.selfMember());
                views.add(NodeView.control(self ? controlNodeId : m.address().toString(), m.address().toString(),
                        m.status().toString().toUpperCase(), self ? ProcessHandle.current().pid() : 0));
            }
        }
        list.nodes().stream()
                .sorted(Comparator.comparingInt((io.spottrain.coordinator.membership.NodeRecord n) -> n.nodeId().length())
                        .thenComparing(n -> n.nodeId()))
                .forEach(n -> views.add(NodeView.worker(n)));
        json(ctx, 200, views);
    }

    /** Launches a node through this cluster's launcher (local clusters, preemption replay). */
    private void launchNode(Context ctx) {
        var l = requireLauncher();
        io.spottrain.coordinator.launch.NodeLauncher.NodeRequest r;
        try {
            r = io.spottrain.protocol.json.Json.MAPPER.readValue(ctx.body(), io.spottrain.coordinator.launch.NodeLauncher.NodeRequest.class);
        } catch (java.io.IOException e) {
            throw new ApiException(400, ApiError.of("bad node request: " + e.getMessage().lines().findFirst().orElse("unreadable JSON")));
        }
        if (r.nodeId() == null || !r.nodeId().matches("[a-z0-9][-a-z0-9]{0,62}") || !java.util.List.of("spot", "on-demand").contains(r.market())) {
            throw new ApiException(400, ApiError.of("bad node request: nodeId must be a DNS label and market spot or on-demand"));
        }
        try {
            json(ctx, 202, l.launch(r));
        } catch (io.spottrain.coordinator.launch.NodeLauncher.LaunchException e) {
            throw new ApiException(409, ApiError.of(e.getMessage()));
        }
    }

    /**
     * Preempts a launched node: {@code notice} publishes a Spot interruption notice in the node's
     * IMDS and takes the node {@code leadSeconds} later (default 20; AWS gives 120); {@code kill}
     * is SIGKILL at once, with no notice.
     */
    private void preemptNode(Context ctx) {
        var l = requireLauncher();
        String id = ctx.pathParam("id");
        String kind;
        long leadSeconds;
        try {
            var body = ctx.body().isBlank() ? io.spottrain.protocol.json.Json.MAPPER.createObjectNode()
                    : io.spottrain.protocol.json.Json.MAPPER.readTree(ctx.body());
            kind = body.path("kind").asText("notice");
            leadSeconds = body.path("leadSeconds").asLong(20);
        } catch (java.io.IOException e) {
            throw new ApiException(400, ApiError.of("bad preempt request: expected {\"kind\": \"notice\"|\"kill\", \"leadSeconds\": n}"));
        }
        if (leadSeconds < 1 || leadSeconds > 600) throw new ApiException(400, ApiError.of("leadSeconds must be between 1 and 600"));
        if (l.nodes().stream().noneMatch(n -> n.nodeId().equals(id))) {
            throw new ApiException(404, ApiError.of("no running node " + id + " launched by this cluster"));
        }
        switch (kind) {
            case "kill" -> l.kill(id);
            case "notice" -> l.notice(id, Duration.ofSeconds(leadSeconds));
            default -> throw new ApiException(400, ApiError.of("kind must be notice or kill, got \"" + kind + "\""));
        }
        json(ctx, 202, Map.of("node", id, "kind", kind, "leadSeconds", kind.equals("notice") ? leadSeconds : 0));
    }

    private io.spottrain.coordinator.launch.NodeLauncher requireLauncher() {
        var l = launcher.get();
        if (l == null) throw new ApiException(409, ApiError.of("this cluster has no node launcher (only local clusters launch nodes)"));
        return l;
    }

    private void shutdown(Context ctx) {
        json(ctx, 202, Map.of("status", "shutting down"));
        Thread t = new Thread(shutdown, "api-shutdown");
        t.setDaemon(false);
        t.start();
    }

    private <T> T ask(Function<ActorRef<T>, JobManager.Command> message) {
        CompletionStage<T> reply = AskPattern.ask(jobManager, message::apply, askTimeout, system.scheduler());
        try {
            return reply.toCompletableFuture().get(askTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof StatusReply.ErrorMessage em) {
                throw new ApiException(em.getMessage().startsWith("no job named") ? 404 : 409, ApiError.of(em.getMessage()));
            }
            if (cause instanceof TimeoutException || cause instanceof java.util.concurrent.TimeoutException) {
                throw unavailable();
            }
            throw new ApiException(503, ApiError.of("job manager error: " + cause.getMessage()));
        } catch (TimeoutException e) {
            throw unavailable();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable();
        }
    }

    private <T> T askStatus(Function<ActorRef<StatusReply<T>>, JobManager.Command> message) {
        StatusReply<T> reply = ask(message);
        if (reply.isError()) {
            String msg = reply.getError().getMessage();
            throw new ApiException(msg.startsWith("no job named") ? 404 : 409, ApiError.of(msg));
        }
        return reply.getValue();
    }

    private ApiException unavailable() {
        return new ApiException(503, ApiError.of("the job manager did not answer within " + askTimeout.toSeconds()
                + "s (is a control node up and the cluster formed?)"));
    }

    private static void json(Context ctx, int status, Object body) {
        ctx.status(HttpStatus.forStatus(status)).contentType("application/json").result(Json.write(body));
    }

    @Override
    public void close() {
        app.stop();
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
