package io.spottrain.coordinator.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import io.spottrain.coordinator.jobs.JobDocument;
import io.spottrain.coordinator.jobs.JobManager;
import io.spottrain.coordinator.jobs.JobState;
import io.spottrain.coordinator.jobs.Outcome;
import io.spottrain.coordinator.jobs.ScalingEvent;
import io.spottrain.coordinator.jobs.ScalingOutcome;
import io.spottrain.coordinator.jobs.ScalingSource;
import io.spottrain.protocol.json.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Live resize (Nomad's scale API): {@code GET /api/v1/jobs/{id}/scale} shows the desired, running,
 * min and max worker counts, whether a generation change is in flight, and the recent scaling
 * events; {@code POST} with {@code {"workers": N, "message": "...", "expectedGeneration": G}}
 * (operator) sets the desired count: 202 accepted (it happens at the next safe point), 200
 * unchanged, both with the request's own scaling event and the scale view; 422 out of bounds
 * (naming the bound), 409 stale, while a generation change is in flight, or for an ended job.
 * Every request the job manager answers, refused or not, is a scaling event with the actor.
 */
final class ScaleRoutes {
    static final int MAX_MESSAGE = 500;
    private static final Set<String> FIELDS = Set.of("workers", "message", "expectedGeneration", "source");

    /** {@code changing}: a generation change is in flight (a resize is refused meanwhile); {@code target}: what it grows to. */
    record ScaleView(String job, String state, long generation, Integer desired, int target, int running, int min, int max,
            boolean changing, List<ScalingEvent> events) {}

    private final JobReads reads;
    private final Function<Function<ActorRef<Outcome>, JobManager.Command>, Outcome> ask;

    ScaleRoutes(JobReads reads, Function<Function<ActorRef<Outcome>, JobManager.Command>, Outcome> ask) {
        this.reads = reads;
        this.ask = ask;
    }

    void get(Context ctx) {
        HttpApi.json(ctx, 200, view(document(ctx.pathParam("id"))));
    }

    void post(Context ctx) {
        String id = ctx.pathParam("id");
        var doc = document(id); // 404 before anything else
        if (doc.state().terminal()) throw new HttpApi.ApiException(409, ApiError.of("job " + id + " already ended " + doc.state()));
        JsonNode body;
        try {
            body = ctx.body().isBlank() ? null : Json.MAPPER.readTree(ctx.body());
        } catch (IOException e) {
            throw bad("the body is not JSON: " + e.getMessage().lines().findFirst().orElse("unreadable"));
        }
        if (body == null || !body.isObject()) throw bad("send {\"workers\": N, \"message\": \"why\", \"expectedGeneration\": G}");
        var unknown = new ArrayList<String>();
        body.fieldNames().forEachRemaining(f -> {
            if (!FIELDS.contains(f)) unknown.add(f);
        });
        if (!unknown.isEmpty()) throw bad("unknown field(s) " + unknown + ": expected workers, message, expectedGeneration");
        JsonNode w = body.path("workers");
        if (!w.isIntegralNumber() || !w.canConvertToInt()) throw bad("workers is required: a whole number of workers, got " + w);
        JsonNode m = body.path("message");
        if (!m.isMissingNode() && !m.isNull() && !m.isTextual()) throw bad("message must be a string");
        String message = m.isTextual() && !m.asText().isBlank() ? m.asText().strip() : null;
        if (message != null && message.length() > MAX_MESSAGE) throw bad("message is longer than " + MAX_MESSAGE + " characters");
        JsonNode g = body.path("expectedGeneration");
        if (!g.isMissingNode() && !g.isNull() && !(g.isIntegralNumber() && g.asLong() >= 0)) {
            throw bad("expectedGeneration must be a generation number (0 or more), got " + g);
        }
        Long expected = g.isIntegralNumber() ? g.asLong() : null;
        ScalingSource source = source(ctx, body.path("source"));
        String by = HttpApi.actor(ctx);
        var outcome = ask.apply(r -> new JobManager.ScaleJob(id, w.asInt(), message, expected, by, source, r));
        var view = view(document(id));
        // an older job manager (a rolling upgrade) answers JobAck: its newest scaling event is the nearest
        var event = outcome instanceof Outcome.Scaled s ? s.event()
                : view.events().isEmpty() ? null : view.events().get(view.events().size() - 1);
        HttpApi.json(ctx, event == null || event.outcome() == ScalingOutcome.ACCEPTED ? 202 : 200, new Answer(event, view));
    }

    /** A resize's answer: the request's own scaling event, and the job's scale view after it. */
    record Answer(ScalingEvent request, ScaleView scale) {}

    /** A console session is the console; a token says cli when the CLI sends it, else api. */
    private static ScalingSource source(Context ctx, JsonNode s) {
        if (Boolean.TRUE.equals(ctx.attribute(HttpApi.VIA_SESSION))) return ScalingSource.CONSOLE;
        if (s.isMissingNode() || s.isNull()) return ScalingSource.API;
        var parsed = ScalingSource.parse(s.asText()).filter(v -> v != ScalingSource.CONSOLE);
        return parsed.orElseThrow(() -> bad("source must be cli or api, got " + s));
    }

    private JobDocument document(String id) {
        return reads.document(id).orElseThrow(() -> new HttpApi.ApiException(404, ApiError.of("no job named " + id)));
    }

    static ScaleView view(JobDocument d) {
        var s = d.scaling();
        boolean changing = d.state() == JobState.STARTING || d.state() == JobState.RECOVERING;
        return new ScaleView(d.id(), d.state().name(), d.generation(), s.desired(), s.desired() != null ? s.desired() : d.maxWorkers(),
                d.members().size(), d.minWorkers(), d.maxWorkers(), changing, s.events());
    }

    private static HttpApi.ApiException bad(String why) {
        return new HttpApi.ApiException(400, ApiError.of("bad scale request: " + why));
    }
}
