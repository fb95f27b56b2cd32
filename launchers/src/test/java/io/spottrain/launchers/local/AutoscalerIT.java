package io.spottrain.launchers.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A local cluster with no workers and the autoscaler on: it launches the fleet's minimum at once,
 * grows (never past maxNodes) when jobs wait, every job succeeds, and once nothing waits the fleet
 * shrinks back to minNodes after the scale-down cooldown; {@code autoscaler status} shows the
 * decisions with their numbers and the measured provisioning time.
 */
@Timeout(240)
class AutoscalerIT {
    static final String POLICY = """
                autoscaling:
                  metric: waiting_jobs_in_queue
                  targetThreshold: 0
                  scaleUpCooldown: 100s
                  scaleDownCooldown: 400s
                  limits: {minNodes: 1, maxNodes: 3}
                """;

    /**
     * The same fleet in two named pools: one reserved node (a commitment: paid whether used or not) kept always, Spot for the
     * rest. Reserved capacity is placed first and released last.
     */
    static final String POOLED = POLICY + """
                  pools:
                    - {name: spot-g5, market: spot, instanceTypes: [g5.xlarge], maxNodes: 2}
                    - {name: standby, market: reserved, minNodes: 1, maxNodes: 1}
                """;

    @TempDir
    Path dir;

    @Test
    void theFleetGrowsForWaitingJobsWithinItsLimitsAndShrinksBackWhenIdle() throws Exception {
        Path policy = dir.resolve("autoscale.yaml");
        Files.writeString(policy, POOLED);
        // time scale 0.02: scale-up cooldown 2 s, scale-down cooldown 8 s, a tick every 250 ms
        try (var cluster = TestCluster.start(dir.resolve("state"), 0, "--no-s3", "--autoscale", policy.toString(),
                "--autoscale-time-scale", "0.02")) {
            await("the fleet's minimum (1 node) up", () -> workers(cluster) == 1, cluster);
            assertEquals(List.of("reserved"), markets(cluster), "the standby pool's minimum is the fleet's minimum");
            var ids = new ArrayList<String>();
            for (int i = 1; i <= 8; i++) { // the 8 jobs
                ids.add(cluster.submit(TestCluster.javaJob("auto" + i, 1, 1, "io.spottrain.examples.mlp.MlpTrainer", "--steps", "60",
                        "--batch-delay-ms", "50")).path("id").asText());
            }
            int most = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
            while (!allEnded(cluster, ids)) {
                most = Math.max(most, workers(cluster));
                if (System.nanoTime() > deadline) throw new AssertionError("jobs not ended within 180 s: " + states(cluster, ids) + "\n" + status(cluster));
                Thread.sleep(200);
            }
            assertEquals(Collections.nCopies(8, "SUCCEEDED"), states(cluster, ids), status(cluster));
            assertEquals(3, most, "the fleet grew to limits.maxNodes and not past it\n" + status(cluster));
            // back at limits.minNodes once idle for the cooldown, and never below it on the way (a released node still leaving
            // is not capacity: counting it would release one too many)
            int least = Integer.MAX_VALUE;
            long settled = 0;
            long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (settled < 15) {
                int n = workers(cluster);
                least = Math.min(least, n);
                settled = n == 1 ? settled + 1 : 0;
                if (System.nanoTime() > until) throw new AssertionError("the fleet did not settle at 1 node within 60 s: " + n + "\n" + status(cluster));
                Thread.sleep(200);
            }
            assertEquals(1, least, "never below limits.minNodes\n" + status(cluster));
            assertEquals(List.of("reserved"), markets(cluster), "the Spot nodes went, the standby pool kept its minimum\n" + status(cluster));
            // the reserved node is metered at its commitment's rate, its savings against on-demand counted like Spot's
            JsonNode reserved = null;
            JsonNode byMarket = cluster.api.get("/api/v1/cost?by=market&window=1d");
            for (JsonNode r : byMarket.path("rows")) if (r.path("key").asText().equals("reserved")) reserved = r;
            assertTrue(reserved != null && reserved.path("costUsd").asDouble() > 0
                    && reserved.path("onDemandUsd").asDouble() > reserved.path("costUsd").asDouble(), byMarket.toString());
            JsonNode s = cluster.api.get("/api/v1/autoscaler");
            assertTrue(s.path("enabled").asBoolean());
            assertTrue(s.path("provisioningMsP50").asLong() > 0, "provisioning measured: " + s);
            var actions = new ArrayList<String>();
            s.path("decisions").forEach(d -> actions.add(d.path("action").asText()));
            assertTrue(actions.contains("SCALE_UP") && actions.contains("SCALE_DOWN"), s.toString());
            String down = "";
            for (JsonNode d : s.path("decisions")) if (d.path("action").asText().equals("SCALE_DOWN")) down = d.path("reason").asText();
            assertTrue(down.matches("waiting_jobs_in_queue 0, nothing waits: releasing [12] node\\(s\\) free for at least 8 s \\(Spot first\\), "
                    + "keeping limits.minNodes 1 and each pool's minNodes"), down);
            var pools = new ArrayList<String>();
            s.path("pools").forEach(p -> pools.add(p.path("pool").asText() + " " + p.path("nodes").asInt() + " " + p.path("inFlight").asInt()));
            assertEquals(List.of("spot-g5 0 0", "standby 1 0"), pools, s.toString());
        }
    }

    /**
     * A {@code block-scale-up} budget with a tiny limit: once the ledger shows the team spent it (checked every 15 s), a waiting
     * job of that team gets no node from the autoscaler (its decisions say so), and it still runs once a node is free.
     */
    @Test
    void anExceededBudgetHoldsBackScaleUpForTheJobsItSelects() throws Exception {
        Path config = dir.resolve("cluster.yaml");
        Files.writeString(config, POLICY + """
                budgets:
                  - name: capped
                    selector: {label: team=capped}
                    limit: 0.000001
                    period: daily
                    action: block-scale-up
                quotas:
                  - {team: small, maxGpus: 1}
                """);
        try (var cluster = TestCluster.start(dir.resolve("budget"), 0, "--no-s3", "--autoscale", config.toString(),
                "--autoscale-time-scale", "0.02", "--budgets", config.toString(), "--quotas", config.toString())) {
            await("the fleet's minimum (1 node) up", () -> workers(cluster) == 1, cluster);
            String capped = TestCluster.javaJob("capped", 1, 1, "io.spottrain.examples.mlp.MlpTrainer", "--steps", "100000",
                    "--step-delay-ms", "50").replace("metadata: {name: capped}", "metadata: {name: capped, labels: {team: capped}}");
            String first = cluster.submit(capped).path("id").asText();
            cluster.awaitJob(first, j -> j.path("state").asText().equals("RUNNING"), Duration.ofSeconds(60));
            long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
            JsonNode budgets = cluster.api.get("/api/v1/cost/budgets");
            while (budgets.isEmpty() || !budgets.get(0).path("exceeded").asBoolean()) {
                if (System.nanoTime() > deadline) throw new AssertionError("the budget was not exceeded within 40 s: " + budgets);
                Thread.sleep(250);
                budgets = cluster.api.get("/api/v1/cost/budgets");
            }
            assertTrue(budgets.get(0).path("spentUsd").asDouble() > 0.000001, budgets::toString);
            // the firing is an event, with its numbers, in the history of the job it selects
            JsonNode fired = cluster.awaitJob(first, j -> j.path("events").toString().contains("\"type\":\"BUDGET_EXCEEDED\""),
                    Duration.ofSeconds(10));
            assertTrue(fired.path("events").toString().contains("budget capped exceeded: "), fired.path("events")::toString);
            assertTrue(fired.path("events").toString().contains("; action block-scale-up"), fired.path("events")::toString);
            String metrics = cluster.metrics();
            assertTrue(metrics.contains("spottrain_budget_exceeded{budget=\"capped\"} 1.0"), metrics);
            String second = cluster.submit(capped.replace("name: capped,", "name: capped2,")).path("id").asText();
            await("the autoscaler says it holds back " + second, () -> status(cluster).contains("not counted: 1 waiting job(s) an exceeded "
                    + "block-scale-up budget selects [" + second + "]"), cluster);
            Thread.sleep(1500); // several ticks past its 2 s cooldown: it would have launched by now
            assertEquals(1, workers(cluster), "no node added for the capped team\n" + status(cluster));
            assertEquals("PENDING", cluster.api.get("/api/v1/jobs/" + second).path("state").asText());
            // the same cluster config's quotas: a gang of 2 is more than team small's 1 GPU: held at once, with the numbers, and the
            // autoscaler counts it apart (it launches nothing for it)
            String gang = cluster.submit(TestCluster.javaJob("gang", 2, 2, "io.spottrain.examples.mlp.MlpTrainer", "--steps", "10")
                    .replace("metadata: {name: gang}", "metadata: {name: gang, labels: {team: small}}")).path("id").asText();
            JsonNode held = cluster.awaitJob(gang, j -> j.path("pendingReason").asText().startsWith("held: team small"), Duration.ofSeconds(20));
            assertEquals("held: team small holds 0 of its quota of 1 GPUs (quotas, maxGpus) and this job needs 2 to start",
                    held.path("pendingReason").asText());
            await("the autoscaler counts " + gang + " apart", () -> status(cluster).contains("their team's quota holds 1 waiting job(s) ["
                    + gang + "]"), cluster);
            // the operator edits the file while the cluster runs: team small's quota raised to 2 GPUs, the budget removed (an
            // empty list: a file without `budgets:` is refused and the budgets in force stay); both apply at the next ledger tick
            // (15 s; 3 s in the tests: the failsafe configuration), no restart
            Files.writeString(config, POLICY + """
                    budgets: []
                    quotas:
                      - {team: small, maxGpus: 2}
                    """);
            cluster.awaitJob(gang, j -> !j.path("pendingReason").asText().startsWith("held: "), Duration.ofSeconds(40));
            await("the removed budget's status gone", () -> cluster.api.get("/api/v1/cost/budgets").isEmpty(), cluster);
            String log = cluster.log("control1");
            assertTrue(log.indexOf("1 team quota(s) from " + config) != log.lastIndexOf("1 team quota(s) from " + config),
                    "the quotas read again are logged");
            cluster.api.post("/api/v1/jobs/" + gang + "/cancel", "{}", "application/json");
            cluster.api.post("/api/v1/jobs/" + first + "/cancel", "{}", "application/json");
            cluster.awaitJob(second, j -> j.path("state").asText().equals("RUNNING"), Duration.ofSeconds(60)); // a free node still serves it
        }
    }

    /**
     * A {@code stop-low-priority} budget with a tiny limit: once exceeded, the running low-priority job it selects is
     * requeued (every rank checkpoints, its node goes back; nothing is lost) and held out of placement with the budget
     * named, though a node is free; the team's normal-priority job runs on.
     */
    @Test
    void anExceededStopLowPriorityBudgetRequeuesTheLowJobsItSelectsAndHoldsThem() throws Exception {
        Path config = dir.resolve("budgets.yaml");
        Files.writeString(config, """
                budgets:
                  - name: frugal
                    selector: {label: team=frugal}
                    limit: 0.000001
                    period: daily
                    action: stop-low-priority
                """);
        try (var cluster = TestCluster.start(dir.resolve("stop"), 2, "--budgets", config.toString())) {
            String spec = TestCluster.javaJob("frugal", 1, 1, "io.spottrain.examples.mlp.MlpTrainer", "--steps", "100000",
                    "--step-delay-ms", "20").replace("metadata: {name: frugal}", "metadata: {name: frugal, labels: {team: frugal}}");
            String low = cluster.submit(spec.replace("  command:", "  priority: low\n  command:")).path("id").asText();
            String normal = cluster.submit(spec.replace("name: frugal,", "name: frugal-normal,")).path("id").asText();
            // checked every 15 s: exceeded at the first check after the jobs ran
            JsonNode held = cluster.awaitJob(low, j -> j.path("state").asText().equals("RECOVERING") && j.path("pendingReason").asText()
                    .startsWith("held: budget frugal"), Duration.ofSeconds(90));
            String events = held.path("events").toString();
            assertTrue(events.contains("requeued: budget frugal (label team=frugal"), events);
            var p = held.path("preemptions");
            assertEquals(1, p.size(), p::toString);
            assertEquals("requeue", p.get(0).path("kind").asText(), p::toString);
            assertEquals(0, p.get(0).path("lostSteps").asLong(), p::toString);
            assertTrue(p.get(0).path("atStep").asLong() > 0, "it stepped aside at a checkpointed step: " + p);
            long generation = held.path("generation").asLong();
            Thread.sleep(2000); // its node is free: a held job must still not be placed
            JsonNode still = cluster.api.get("/api/v1/jobs/" + low);
            assertEquals("RECOVERING", still.path("state").asText(), still::toString);
            assertEquals(generation, still.path("generation").asLong(), "not placed again while the budget holds it");
            JsonNode other = cluster.api.get("/api/v1/jobs/" + normal);
            assertEquals("RUNNING", other.path("state").asText(), "a normal-priority job of the team runs on: " + other);
            assertTrue(other.path("events").toString().contains("action stop-low-priority"), other.path("events")::toString);
        }
    }

    private static int workers(TestCluster cluster) {
        int n = 0;
        for (JsonNode node : cluster.api.get("/api/v1/nodes")) if (node.path("role").asText().equals("worker")) n++;
        return n;
    }

    private static List<String> markets(TestCluster cluster) {
        var out = new ArrayList<String>();
        for (JsonNode node : cluster.api.get("/api/v1/nodes")) if (node.path("role").asText().equals("worker")) out.add(node.path("market").asText());
        return out;
    }

    private static boolean allEnded(TestCluster cluster, List<String> ids) {
        return states(cluster, ids).stream().allMatch(s -> List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(s));
    }

    private static List<String> states(TestCluster cluster, List<String> ids) {
        return ids.stream().map(id -> cluster.api.get("/api/v1/jobs/" + id).path("state").asText()).toList();
    }

    private static String status(TestCluster cluster) {
        return cluster.api.get("/api/v1/autoscaler").toPrettyString();
    }

    private static void await(String what, BooleanSupplier done, TestCluster cluster) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (done.getAsBoolean()) return;
            Thread.sleep(200);
        }
        throw new AssertionError("within 60 s: " + what + "; nodes " + workers(cluster) + "\n" + status(cluster));
    }
}
