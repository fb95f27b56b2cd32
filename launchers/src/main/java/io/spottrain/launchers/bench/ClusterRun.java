package io.spottrain.launchers.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.client.ApiClient;
import io.spottrain.launchers.bench.CapacityTrace.Kind;
import io.spottrain.launchers.bench.CapacityTrace.Step;
import io.spottrain.launchers.bench.Goodput.Phase;
import io.spottrain.launchers.bench.Goodput.Sample;
import io.spottrain.launchers.local.ClusterState;
import io.spottrain.launchers.local.JavaCommand;
import io.spottrain.launchers.local.LocalCluster;
import io.spottrain.launchers.local.LocalFleet;
import io.spottrain.protocol.json.Json;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One spottrain run of the goodput benchmark: a local cluster with no worker of its own and no
 * replacements (capacity is what the schedule grants), one job, the schedule played against it
 * through the API (a ready node is an agent started then; a notice is the node's IMDS notice with
 * the node taken when the trace terminates it), the job sampled through the API until the window
 * ends. The cluster is stopped (every process it started) also on failure.
 */
final class ClusterRun {
    private ClusterRun() {}

    /** What the run observed; {@code checkpointStallMs} is checkpoints x their median stall, {@code lostSteps} the preemptions' sum. */
    record Result(List<Sample> samples, double checkpointStallMs, long lostSteps, int preemptions, String finalState) {}

    /** How the job trains: the example trainer's flags the benchmark varies. */
    record Training(int batchDelayMs, int checkpointEvery, int stateMb, int logEvery) {
        List<String> args() {
            return List.of("--steps", "1000000000", "--log-every", Integer.toString(logEvery), "--batch-delay-ms", Integer.toString(batchDelayMs),
                    "--state-mb", Integer.toString(stateMb));
        }
    }

    /**
     * {@code bootLeadMs}: the emulated boot (trace boot / compress); a node granted inside the window
     * starts its agent that long before it is due ready, so the agent's real start stands in for the
     * machine's boot. Nodes ready at the window's start are up (registered) before the clock starts.
     * The coordinator's scale-up cooldown is compressed like the trace.
     */
    static Result run(Path dir, Path home, List<Step> schedule, long runMs, boolean spot, int maxWorkers, Training training, long bootLeadMs,
            double compress, Consumer<String> say) throws InterruptedException {
        ClusterState cluster = LocalCluster.start(dir, new LocalCluster.Shape(0, 0), home, Duration.ofSeconds(120),
                JavaCommand.current(JavaCommand.COORDINATOR_FLAGS), List.of("--no-replacements", "--scale-up-cooldown",
                        Math.round(60_000 / compress) + "ms"));
        try {
            ApiClient api = LocalCluster.client(dir, cluster.apiUrl());
            var initial = new ArrayList<String>();
            var later = new ArrayList<Step>(); // the schedule with each later READY moved a boot earlier: when its agent starts
            for (Step s : schedule) {
                if (s.kind() == Kind.READY && s.atMs() == 0) initial.add(s.node());
                else later.add(s.kind() == Kind.READY ? new Step(Math.max(0, s.atMs() - bootLeadMs), Kind.READY, s.node()) : s);
            }
            later.sort(Comparator.comparingLong(Step::atMs));
            for (String n : initial) api.post("/api/v1/nodes", Json.write(node(n, spot)), "application/json");
            awaitRegistered(api, initial);
            String id = api.post("/api/v1/jobs", Json.write(job(spot, maxWorkers, training)), "application/json").path("id").asText();
            var samples = new ArrayList<Sample>();
            var terminateAt = new HashMap<String, Long>();
            for (Step s : schedule) if (s.kind() == Kind.TERMINATE) terminateAt.put(s.node(), s.atMs());
            long t0 = System.nanoTime();
            int next = 0;
            long nextSample = 0;
            while (true) {
                long now = (System.nanoTime() - t0) / 1_000_000;
                for (; next < later.size() && later.get(next).atMs() <= now; next++) {
                    act(api, later.get(next), terminateAt, spot, now, say);
                }
                if (now >= nextSample || now >= runMs) {
                    samples.add(sample(api.get("/api/v1/jobs/" + id), Math.min(now, runMs)));
                    nextSample = now + 200;
                }
                if (now >= runMs) break;
                long wake = Math.min(nextSample, runMs);
                if (next < later.size()) wake = Math.min(wake, later.get(next).atMs());
                Thread.sleep(Math.max(1, wake - now));
            }
            JsonNode end = api.get("/api/v1/jobs/" + id);
            try {
                api.post("/api/v1/jobs/" + id + "/cancel", "{}", "application/json");
            } catch (ApiClient.ApiError e) {
                say.accept("cancel at the window's end: " + e.getMessage());
            }
            JsonNode c = end.path("checkpoints");
            long lost = 0;
            for (JsonNode p : end.path("preemptions")) lost += p.path("lostSteps").asLong();
            return new Result(samples, c.path("count").asLong() * c.path("stallMsP50").asDouble(0), lost, end.path("preemptions").size(),
                    end.path("state").asText());
        } finally {
            LocalCluster.stop(dir, Duration.ofSeconds(30));
        }
    }

    /** Waits (bounded) until every initial node's agent has registered with the coordinator. */
    private static void awaitRegistered(ApiClient api, List<String> nodes) throws InterruptedException {
        long deadline = System.nanoTime() + 180_000_000_000L;
        var missing = new ArrayList<>(nodes);
        while (System.nanoTime() < deadline) {
            missing = new ArrayList<>(nodes);
            for (JsonNode n : api.get("/api/v1/nodes")) if (n.path("state").asText().equals("READY")) missing.remove(n.path("id").asText());
            if (missing.isEmpty()) return;
            Thread.sleep(200);
        }
        throw new IllegalStateException("nodes " + missing + " did not register within 180 s");
    }

    private static void act(ApiClient api, Step s, Map<String, Long> terminateAt, boolean spot, long now, Consumer<String> say) {
        try {
            switch (s.kind()) {
                case READY -> api.post("/api/v1/nodes", Json.write(node(s.node(), spot)), "application/json");
                case NOTICE -> {
                    // the API's lead is whole seconds: the notice comes up to a second late, the node goes when the trace says
                    long lead = (terminateAt.get(s.node()) - now) / 1000;
                    api.post("/api/v1/nodes/" + s.node() + "/preempt", lead >= 1 ? "{\"kind\":\"notice\",\"leadSeconds\":" + lead + "}"
                            : "{\"kind\":\"kill\"}", "application/json");
                }
                case TERMINATE -> {
                    // taken by its notice's lead; a node whose lead rounded to none was killed at its notice
                }
            }
        } catch (ApiClient.ApiError e) {
            say.accept(String.format(Locale.ROOT, "t=%.1fs %s %s: %s", now / 1000.0, s.kind(), s.node(), e.getMessage()));
        }
    }

    /** A node of the local fleet named as the trace names it (the coordinator's own cost view; the benchmark prices it itself). */
    private static Map<String, Object> node(String name, boolean spot) {
        return Map.of("nodeId", name, "market", spot ? "spot" : "on-demand", "instanceType", LocalFleet.INSTANCE_TYPE, "gpus", 1,
                "pricePerHour", spot ? LocalFleet.SPOT_PRICE : LocalFleet.ON_DEMAND_PRICE, "onDemandPricePerHour", LocalFleet.ON_DEMAND_PRICE,
                "zone", "local-a");
    }

    private static Sample sample(JsonNode job, long atMs) {
        boolean running = job.path("state").asText().equals("RUNNING");
        return new Sample(atMs, job.path("steps").asLong(), running ? job.path("worldSize").asInt() : 0, running ? Phase.RUNNING : Phase.STOPPED);
    }

    private static Map<String, Object> job(boolean spot, int maxWorkers, Training t) {
        var spec = new HashMap<String, Object>();
        spec.put("workers", Map.of("min", 1, "max", maxWorkers, "gpusPerWorker", 0));
        spec.put("command", List.of("examples/bin/run-java", "io.spottrain.examples.mlp.MlpTrainer"));
        spec.put("args", t.args());
        spec.put("placement", Map.of("market", spot ? "spot" : "on-demand"));
        spec.put("checkpoint", Map.of("interval", t.checkpointEvery(), "keep", 2));
        spec.put("maxRestarts", 1000);
        return Map.of("apiVersion", "spottrain/v1", "kind", "TrainingJob",
                "metadata", Map.of("name", spot ? "goodput-elastic" : "goodput-on-demand", "labels", Map.of("bench", "goodput")), "spec", spec);
    }
}
