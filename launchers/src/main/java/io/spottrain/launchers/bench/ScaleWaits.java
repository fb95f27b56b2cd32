package io.spottrain.launchers.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.client.ApiClient;
import io.spottrain.client.CliException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;

/** {@link ScaleBench}'s waits on the coordinator, through its API: jobs in a state, the store and the JIT quiet. */
final class ScaleWaits {
    private final ApiClient api;
    private final Consumer<String> say;

    ScaleWaits(ApiClient api, Consumer<String> say) {
        this.api = api;
        this.say = say;
    }

    /**
     * Waits until {@code ok} holds for each of {@code ids}' summaries, from the job list every 500 ms (one request: polling each
     * job was the bench itself loading the API it measures; the latencies come from the jobs' own times, not from this poll).
     */
    void awaitAll(List<String> ids, Predicate<JsonNode> ok, Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        var left = new HashSet<>(ids);
        while (!left.isEmpty() && Instant.now().isBefore(deadline)) {
            for (JsonNode j : api.get("/api/v1/jobs")) if (ok.test(j)) left.remove(j.path("id").asText());
            if (!left.isEmpty()) Thread.sleep(500);
        }
        if (!left.isEmpty()) throw new CliException(left.size() + " job(s) did not get there within " + timeout.toSeconds() + "s: " + left);
    }

    /**
     * Waits until every job of the burst started (or ended without): the coordinator's count of scheduled jobs, read often (an
     * in-memory counter), and the job list only now and then (for one that ended before it started), so that the wait does not
     * load the API it measures.
     */
    void awaitStarted(List<String> ids, long scheduledBefore, Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        long lastList = System.nanoTime();
        while (Instant.now().isBefore(deadline)) {
            if (stats().path("scheduled").asLong() - scheduledBefore >= ids.size()) return;
            if (System.nanoTime() - lastList > 5_000_000_000L) {
                lastList = System.nanoTime();
                var left = new HashSet<>(ids);
                for (JsonNode j : api.get("/api/v1/jobs")) if (!j.path("startedAt").isNull() || terminal(j)) left.remove(j.path("id").asText());
                if (left.isEmpty()) return;
            }
            Thread.sleep(50);
        }
        awaitAll(ids, j -> !j.path("startedAt").isNull() || terminal(j), Duration.ofSeconds(1)); // says which did not start
    }

    /** Waits until a whole second passes with no more than a few store writes (the flushes of idle jobs and nodes). */
    void awaitStoreQuiet(Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        long last = stats().path("store").path("writes").asLong();
        while (Instant.now().isBefore(deadline)) {
            Thread.sleep(1000);
            long now = stats().path("store").path("writes").asLong();
            if (now - last <= 5) return;
            last = now;
        }
        say.accept("the store was still writing after the warm-up; measuring anyway");
    }

    /**
     * Waits until the coordinator's JIT compilers spent under a tenth of the last 5 s compiling. After the warm-up waves its C2
     * compiler went on for a minute or more at half a core or more (the code of Ignite, Pekko, Jetty and ours is large), which
     * on 2 cores starved the simulated fleet (at its niceness) and measured the coordinator's first minutes, not its steady state.
     */
    void awaitJitQuiet(Duration timeout) throws InterruptedException {
        long start = System.nanoTime();
        Instant deadline = Instant.now().plus(timeout);
        long last = stats().path("jitMillis").asLong(-1);
        if (last < 0) {
            say.accept("the coordinator's JVM does not time its JIT compilers; not waiting for them");
            return;
        }
        while (Instant.now().isBefore(deadline)) {
            Thread.sleep(5000);
            long now = stats().path("jitMillis").asLong();
            if (now - last < 500) {
                say.accept(String.format("the coordinator's JIT went quiet %.0f s after the warm-up", (System.nanoTime() - start) / 1e9));
                return;
            }
            last = now;
        }
        say.accept("the coordinator's JIT was still compiling after " + timeout.toSeconds() + " s; measuring anyway");
    }

    boolean allEnded(List<String> ids) {
        for (JsonNode j : api.get("/api/v1/jobs")) if (ids.contains(j.path("id").asText()) && !terminal(j)) return false;
        return true;
    }

    static boolean terminal(JsonNode j) {
        return List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(j.path("state").asText());
    }

    JsonNode stats() {
        return api.get("/api/v1/control/stats");
    }
}
