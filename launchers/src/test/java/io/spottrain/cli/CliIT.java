package io.spottrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.launchers.local.ClusterState;
import io.spottrain.launchers.local.LocalCluster;
import io.spottrain.launchers.local.ProcessTree;
import io.spottrain.launchers.local.TestCluster;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import io.spottrain.protocol.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line as a user runs it: {@code up}, {@code submit examples/jobs/... --wait},
 * {@code nodes}, {@code status}, {@code down}, and its one-line errors. Runs the CLI in this JVM;
 * the cluster it starts is real processes.
 */
@Timeout(300)
class CliIT {
    @TempDir
    Path dir;

    record Result(int code, String out, String err) {}

    static synchronized Result cli(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        var o = new ByteArrayOutputStream();
        var e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Result(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void upSubmitTheExampleAndDownWhileAJobTrainsLeavingNoProcess() throws Exception {
        String state = dir.resolve("state").toString();
        List<Long> pids = new ArrayList<>();
        var agentsBeforeDown = new ArrayList<String>();
        try {
            Result up = cli("up", "--workers", "3", "--state-dir", state, "--jobs-dir", TestCluster.ROOT.toString());
            assertEquals(0, up.code(), up.err());
            assertTrue(up.out().startsWith("cluster up: API http://127.0.0.1:"), up.out());

            Result nodes = cli("nodes", "--state-dir", state, "--output", "json");
            assertEquals(0, nodes.code(), nodes.err());
            JsonNode ns = Json.MAPPER.readTree(nodes.out());
            assertEquals(4, ns.size());
            for (JsonNode n : ns) {
                assertTrue(n.has("id") && n.has("role") && n.has("market") && n.has("state"), n.toString());
                assertTrue(n.path("pid").asLong() > 0, n.toString());
                pids.add(n.path("pid").asLong());
            }

            Result submit = cli("submit", TestCluster.ROOT.resolve("examples/jobs/exchange-ranks.yaml").toString(), "--wait",
                    "--timeout", "120", "--state-dir", state, "-o", "json");
            assertEquals(0, submit.code(), submit.err() + submit.out());
            JsonNode job = Json.MAPPER.readTree(submit.out());
            assertEquals("SUCCEEDED", job.path("state").asText());
            assertEquals(3, job.path("worldSize").asInt(), "takes up to max=3 workers");
            for (JsonNode m : job.path("members")) {
                assertTrue(Files.readString(Path.of(m.path("logFile").asText())).contains("of 3: sum=8 ok"));
            }

            Result status = cli("status", job.path("id").asText(), "--state-dir", state);
            assertEquals(0, status.code());
            assertTrue(status.out().startsWith("job " + job.path("id").asText() + "  SUCCEEDED"), status.out());

            Result list = cli("status", "--state-dir", state);
            assertTrue(list.out().lines().anyMatch(l -> l.startsWith(job.path("id").asText()) && l.contains("SUCCEEDED")), list.out());

            // a rank's output, read by its node's agent; a rank the job does not have is a 404 naming it
            Result log = cli("logs", job.path("id").asText(), "--rank", "1", "--state-dir", state);
            assertEquals(0, log.code(), log.err());
            assertTrue(log.out().contains("of 3: sum=8 ok"), log.out());
            assertTrue(log.err().startsWith("job " + job.path("id").asText() + " generation 1 rank 1 on node"), log.err());
            Result noRank = cli("logs", job.path("id").asText(), "--rank", "7", "--state-dir", state);
            assertEquals(1, noRank.code(), noRank.out());
            assertTrue(noRank.err().contains("has no rank 7 in generation 1 (world size 3)"), noRank.err());

            // explain: an ended job says how it ended; one no live node fits says which field keeps each pool off
            Result ended = cli("explain", job.path("id").asText(), "--state-dir", state);
            assertEquals(0, ended.code(), ended.err());
            assertTrue(ended.out().startsWith("job " + job.path("id").asText() + " SUCCEEDED: ended SUCCEEDED"), ended.out());
            Path onDemand = dir.resolve("on-demand.yaml");
            Files.writeString(onDemand, """
                    apiVersion: spottrain/v1
                    kind: TrainingJob
                    metadata: {name: wants-on-demand}
                    spec:
                      workers: {min: 1, max: 1, gpusPerWorker: 0}
                      command: [sleep, "1"]
                      placement: {market: on-demand}
                    """);
            Result waiting = cli("submit", onDemand.toString(), "--state-dir", state, "-o", "json");
            assertEquals(0, waiting.code(), waiting.err());
            String waitingId = Json.MAPPER.readTree(waiting.out()).path("id").asText();
            Result why = cli("explain", waitingId, "--state-dir", state);
            assertEquals(0, why.code(), why.err());
            assertTrue(why.out().contains(": waits: ") && why.out().contains("0 free node(s) fit it, it needs 1 (spec.workers.min)")
                    && why.out().contains("spot g5.xlarge node(s) in local-a are kept off by spec.placement.market: on-demand takes no spot node")
                    && why.out().contains("on-demand g5.xlarge (1 GPUs, $1.006/h, no limit known): fits"), why.out());
            JsonNode whyJson = Json.MAPPER.readTree(cli("explain", waitingId, "--state-dir", state, "-o", "json").out());
            int spotNodes = 0;
            for (JsonNode pool : whyJson.path("pools")) {
                assertFalse(pool.path("fits").asBoolean(), pool.toString());
                spotNodes += pool.path("nodes").asInt();
            }
            assertEquals(3, spotNodes, whyJson.toString());
            assertEquals(0, cli("cancel", waitingId, "--state-dir", state).code());
            // a memory-bound job no GPU of this cluster's fleet can hold is refused at submit, naming the field and the fleet's GPUs
            Path bigGpu = dir.resolve("big-gpu.yaml");
            Files.writeString(bigGpu, Files.readString(onDemand).replace("wants-on-demand", "wants-80g").replace("{market: on-demand}",
                    "{market: spot-with-fallback, minGpuMemoryGiB: 80}"));
            Result refused = cli("submit", bigGpu.toString(), "--state-dir", state);
            assertEquals(1, refused.code(), refused.out());
            assertTrue(refused.err().contains("spec.placement.minGpuMemoryGiB: no node of this cluster's fleet has it (g5.xlarge A10G 24 GiB"),
                    refused.err());

            // the trainer's checkpoints: local tiers, uploaded to the cluster's embedded S3, listed and pulled back
            Result mlp = cli("submit", TestCluster.ROOT.resolve("examples/jobs/mlp-elastic.yaml").toString(), "--state-dir", state, "-o", "json");
            assertEquals(0, mlp.code(), mlp.err() + mlp.out());
            String mlpId = Json.MAPPER.readTree(mlp.out()).path("id").asText();
            // followed from before its first rank starts until it ends: every line of rank 0, the last one included
            Result followed = cli("logs", mlpId, "--rank", "0", "-f", "--state-dir", state);
            assertEquals(0, followed.code(), followed.err());
            assertTrue(followed.out().contains("step 100 ") && followed.out().contains("params-sha256="), followed.out());
            assertTrue(followed.err().contains("job " + mlpId + " generation 1 rank 0 on node"), followed.err());
            JsonNode mlpJob = Json.MAPPER.readTree(cli("status", mlpId, "--state-dir", state, "-o", "json").out());
            assertEquals("SUCCEEDED", mlpJob.path("state").asText(), mlpJob::toString);
            costAgreesWithTheNodeHistory(state, mlpJob);
            JsonNode steps = null;
            // the last upload (and its retention report) lands a moment after the job ends: seconds on a loaded machine
            for (long deadline = System.nanoTime() + 60_000_000_000L; System.nanoTime() < deadline; Thread.sleep(200)) {
                steps = Json.MAPPER.readTree(cli("checkpoints", "ls", mlpId, "--state-dir", state, "-o", "json").out()).path("items");
                if (steps.size() == 6 && steps.get(0).path("remote").asBoolean() && steps.get(3).path("removed").asBoolean()) break;
            }
            assertEquals(6, steps.size(), steps::toString);
            assertEquals(600, steps.get(0).path("step").asLong());
            assertTrue(steps.get(0).path("remote").asBoolean(), steps::toString);
            assertEquals(3, steps.get(0).path("localNodes").size());
            Result pull = cli("checkpoints", "pull", mlpId, "--to", dir.resolve("pulled").toString(), "--state-dir", state);
            assertEquals(0, pull.code(), pull.err());
            assertTrue(pull.out().startsWith("pulled " + mlpId + " step 600: 3 files"), pull.out());
            assertTrue(pull.err().contains("100%"), pull.err());
            new CheckpointDir(dir.resolve("pulled")).verify(600);
            // the catalog follows retention (keep: 3 on both tiers): 100-300 are gone from every tier
            for (int i = 3; i < 6; i++) {
                JsonNode gone = steps.get(i);
                JsonNode all = steps;
                assertTrue(gone.path("removed").asBoolean() && !gone.path("remote").asBoolean() && gone.path("localNodes").isEmpty(),
                        () -> all + "\nnode1's agent: " + logLines(Path.of(state, "logs", "node1.log"), "retention", "upload"));
            }
            assertTrue(cli("checkpoints", "ls", mlpId, "--state-dir", state).out().contains("(removed by retention)"));
            // a flipped byte in the newest S3 step: pull names it and falls back to the next good step; --step 600 fails
            Path newest;
            try (var walk = Files.walk(Path.of(state))) {
                newest = walk.filter(p -> p.toString().contains("s3") && p.endsWith(Path.of(mlpId, "step-600", "params.bin"))).findFirst()
                        .orElseThrow();
            }
            byte[] bytes = Files.readAllBytes(newest);
            bytes[3] ^= 1;
            Files.write(newest, bytes);
            Result fallback = cli("checkpoints", "pull", mlpId, "--to", dir.resolve("pulled2").toString(), "--state-dir", state);
            assertEquals(0, fallback.code(), fallback.err());
            assertTrue(fallback.err().contains("step 600 is not usable: step 600: file params.bin from aws-sdk s3://"), fallback.err());
            assertTrue(fallback.out().startsWith("pulled " + mlpId + " step 500: 3 files"), fallback.out());
            assertTrue(fallback.out().contains("(newer steps [600] were not usable)"), fallback.out());
            Result exact = cli("checkpoints", "pull", mlpId, "--step", "600", "--to", dir.resolve("pulled3").toString(), "--state-dir", state);
            assertEquals(1, exact.code(), exact.out());
            assertTrue(exact.err().contains("file params.bin") && exact.err().contains("is corrupt"), exact.err());
            Result noJob = cli("checkpoints", "pull", "nope-1", "--to", dir.resolve("x").toString(), "--state-dir", state);
            assertEquals(1, noJob.code());
            assertTrue(noJob.err().startsWith("error: job nope-1 has no committed checkpoint in aws-sdk s3://spottrain"), noJob.err());

            // down while a job trains on every node: running, every rank attached (so a notice starts a recovery and asks for
            // replacements)
            Path spec = dir.resolve("long.yaml");
            Files.writeString(spec, TestCluster.javaJob("long", 3, 3, "io.spottrain.examples.mlp.MlpTrainer", "--steps", "100000",
                    "--step-delay-ms", "20", "--log-every", "10"));
            Result training = cli("submit", spec.toString(), "--state-dir", state, "-o", "json");
            assertEquals(0, training.code(), training.err());
            String longId = Json.MAPPER.readTree(training.out()).path("id").asText();
            JsonNode trains = null;
            for (long deadline = System.nanoTime() + 60_000_000_000L; System.nanoTime() < deadline; Thread.sleep(200)) {
                trains = Json.MAPPER.readTree(cli("status", longId, "--state-dir", state, "-o", "json").out());
                if (trains.path("state").asText().equals("RUNNING") && trains.path("steps").asLong() > 20) break;
            }
            assertTrue(trains.path("state").asText().equals("RUNNING") && trains.path("steps").asLong() > 20,
                    "the long job trains within 60 s: " + trains);
        } finally {
            agentsBeforeDown.addAll(agentDirs(state));
            Result down = cli("down", "--state-dir", state);
            assertEquals(0, down.code(), down.err());
        }
        assertTrue(pids.size() == 4);
        for (long pid : pids) {
            assertFalse(ProcessTree.alive(pid), "pid " + pid + " outlived down");
        }
        // the agents' SIGTERMs were notices; the launcher, closed first, launched nothing that could outlive down
        assertEquals(agentsBeforeDown, agentDirs(state), "a replacement was launched during down");
        assertTrue(LocalCluster.agentPids(Path.of(state)).stream().noneMatch(ProcessTree::alive), "an agent or rank outlived down");
        Result again = cli("down", "--state-dir", state);
        assertEquals(0, again.code());
        assertTrue(again.out().startsWith("no cluster was running under"), again.out());
    }

    /**
     * The cost ledger, recomputed independently: every worker's billed life (launchedAt to terminatedAt, or the window's end)
     * x its price from {@code nodes --all} agrees with {@code cost}'s total within 0.5%; the job's ledger cost is at least what
     * its generations cost (it also holds its nodes while it forms and between generations), and team labels carry through.
     */
    private static void costAgreesWithTheNodeHistory(String state, JsonNode job) throws Exception {
        // a window that ends after the job did (and in the past, so that live nodes count to the same instant on both sides)
        Instant finished = Instant.parse(job.path("finishedAt").asText());
        while (Instant.now().isBefore(finished.plusSeconds(2))) Thread.sleep(100);
        Instant end = Instant.now().minusSeconds(1).truncatedTo(ChronoUnit.SECONDS);
        Result cost = cli("cost", "--by", "job", "--window", "2026-01-01.." + end, "--state-dir", state, "-o", "json");
        assertEquals(0, cost.code(), cost.err());
        JsonNode report = Json.MAPPER.readTree(cost.out());
        double independent = 0;
        double control = 0;
        for (JsonNode n : Json.MAPPER.readTree(cli("nodes", "--all", "--state-dir", state, "-o", "json").out())) {
            if (n.path("role").asText().equals("control")) { // metered as shared overhead, at the catalog's on-demand price, from its start
                assertEquals("m6i.large", n.path("instanceType").asText(), n::toString);
                Instant from = Instant.parse(n.path("launchedAt").asText());
                if (end.isAfter(from)) control += Duration.between(from, end).toMillis() / 3_600_000.0 * n.path("pricePerHour").asDouble();
                continue;
            }
            Instant from = Instant.parse(n.path("launchedAt").asText());
            Instant to = n.path("terminatedAt").isTextual() ? Instant.parse(n.path("terminatedAt").asText()) : end;
            if (to.isAfter(end)) to = end;
            if (to.isAfter(from)) independent += Duration.between(from, to).toMillis() / 3_600_000.0 * n.path("pricePerHour").asDouble();
        }
        // checkpoint storage (bytes and S3 requests) is cost without node time: the node history cannot recompute it
        JsonNode byAllocation = Json.MAPPER.readTree(cli("cost", "--by", "allocation", "--window", "2026-01-01.." + end, "--state-dir", state,
                "-o", "json").out());
        JsonNode storage = null;
        for (JsonNode r : byAllocation.path("rows")) if (r.path("key").asText().equals("storage")) storage = r;
        assertTrue(storage != null && storage.path("costUsd").asDouble() > 0 && storage.path("nodeHours").asDouble() == 0,
                "a storage line: " + byAllocation);
        double total = report.path("total").path("costUsd").asDouble();
        double ledger = total - storage.path("costUsd").asDouble();
        independent += control;
        assertTrue(independent > 0 && Math.abs(ledger - independent) <= 0.005 * independent,
                "ledger $" + ledger + " (storage apart) vs node lifetimes x prices $" + independent + ": " + report);
        JsonNode controlRow = null;
        for (JsonNode r : report.path("rows")) if (r.path("key").asText().equals("(control)")) controlRow = r;
        assertTrue(controlRow != null && Math.abs(controlRow.path("costUsd").asDouble() - control) <= 0.005 * control,
                "the control plane's own line, $" + control + " from its start: " + report);
        // the S3 requests the agents counted, charged to the job as their own ledger node (PUTs of every upload at $0.005 per 1,000);
        // charged at the ledger's next tick after the report: waited for, bounded
        JsonNode byNode = null;
        JsonNode requests = null;
        long until = System.nanoTime() + Duration.ofSeconds(40).toNanos();
        while (requests == null && System.nanoTime() < until) {
            byNode = Json.MAPPER.readTree(cli("cost", "--by", "node", "--state-dir", state, "-o", "json").out());
            for (JsonNode r : byNode.path("rows")) if (r.path("key").asText().equals("s3-requests:" + job.path("id").asText())) requests = r;
            if (requests == null) Thread.sleep(500);
        }
        assertTrue(requests != null && requests.path("costUsd").asDouble() > 0 && requests.path("nodeHours").asDouble() == 0,
                "the job's S3 requests within 40 s: " + byNode);
        JsonNode row = null;
        for (JsonNode r : report.path("rows")) if (r.path("key").asText().equals(job.path("id").asText())) row = r;
        assertTrue(row != null, report::toString);
        assertTrue(row.path("costUsd").asDouble() >= 0.995 * job.path("cost").path("actualUsd").asDouble(), () -> report + " vs " + job.path("cost"));
        assertTrue(row.path("savingsUsd").asDouble() > 0, "Spot nodes save against on-demand: " + report);
        // the ROI number: all of the job's node time per 1,000 steps it trained
        assertEquals(job.path("steps").asLong(), row.path("steps").asLong(), row::toString);
        assertEquals(row.path("costUsd").asDouble() * 1000 / job.path("steps").asLong(), row.path("usdPer1kSteps").asDouble(), 1e-12);
        // and per million samples: the MLP trainer counts them (a constant global batch of 256 samples a step)
        assertEquals(job.path("steps").asLong() * 256, job.path("samples").asLong(), job::toString);
        assertEquals(job.path("samples").asLong(), row.path("samples").asLong(), row::toString);
        assertEquals(row.path("costUsd").asDouble() * 1e6 / job.path("samples").asLong(), row.path("usdPer1mSamples").asDouble(), 1e-12);
        // the TCO view: the days add up to the window
        // (two days back: this cluster's whole ledger, and never over the API's 366 days whatever today's date)
        Result daily = cli("cost", "daily", "--window", end.minus(Duration.ofDays(2)) + ".." + end, "--by", "job", "--state-dir", state,
                "-o", "json");
        assertEquals(0, daily.code(), daily.err());
        JsonNode days = Json.MAPPER.readTree(daily.out());
        double sum = 0;
        boolean jobSeen = false;
        for (JsonNode d : days.path("days")) {
            sum += d.path("costUsd").asDouble();
            double groups = 0; // and each day split by job adds up to that day
            for (JsonNode g : d.path("groups")) {
                groups += g.path("costUsd").asDouble();
                jobSeen |= g.path("key").asText().equals(job.path("id").asText());
            }
            assertEquals(d.path("costUsd").asDouble(), groups, 1e-9, d::toString);
        }
        assertTrue(jobSeen, "the job has its rows in the daily view by job: " + days);
        assertEquals(total, sum, 1e-9, days::toString);
        assertEquals(total, days.path("total").path("costUsd").asDouble(), 1e-9);
        Result byTeam = cli("cost", "--by", "team", "--state-dir", state, "-o", "csv");
        assertTrue(byTeam.out().lines().anyMatch(l -> l.startsWith("research,")), byTeam.out()); // mlp-elastic.yaml's team label
        Result bad = cli("cost", "--by", "label:", "--state-dir", state);
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("label: needs a key"), bad.err());
        // shared overhead spread by usage: no (idle)/(boot)/(control) rows, each job's share in sharedUsd, the total the same
        JsonNode spread = Json.MAPPER.readTree(cli("cost", "--by", "job", "--spread-overhead", "--window", "2026-01-01.." + end,
                "--state-dir", state, "-o", "json").out());
        double rows = 0;
        for (JsonNode r : spread.path("rows")) {
            assertFalse(r.path("key").asText().startsWith("("), "overhead rows are spread: " + spread);
            rows += r.path("costUsd").asDouble();
        }
        assertEquals(spread.path("total").path("costUsd").asDouble(), rows, 1e-9, spread::toString);
        assertEquals(total, spread.path("total").path("costUsd").asDouble(), 1e-9);
        JsonNode shared = null;
        for (JsonNode r : spread.path("rows")) if (r.path("key").asText().equals(job.path("id").asText())) shared = r;
        assertTrue(shared != null && shared.path("sharedUsd").asDouble() > 0
                && Math.abs(shared.path("costUsd").asDouble() - row.path("costUsd").asDouble() - shared.path("sharedUsd").asDouble()) < 1e-9,
                "the job carries its share of the control plane: " + shared + " vs " + row);
        Result badSpread = cli("cost", "--by", "market", "--spread-overhead", "--state-dir", state);
        assertEquals(1, badSpread.code());
        assertTrue(badSpread.err().contains("spread: the shared overhead is spread over jobs"), badSpread.err());
    }

    @Test
    void theDemoRefusesAtOnceAWorkerCountItsJobCannotRunOn() {
        Result demo = cli("demo", "--workers", "1", "--state-dir", dir.resolve("one").toString());
        assertEquals(1, demo.code());
        assertTrue(demo.err().contains("needs at least 2 workers (spec.workers.min); --workers 1 cannot run it: use --workers 2 or more"),
                demo.err());
        assertFalse(Files.exists(dir.resolve("one").resolve("logs")), "nothing was started");
    }

    @Test
    void demoTrainsOnALocalClusterAndMatchesAStandaloneRun() throws Exception {
        Result demo = cli("demo", "--steps", "200", "--preemptions", "none", "--state-dir", dir.resolve("demo").toString(), "--output", "json");
        assertEquals(0, demo.code(), demo.err() + demo.out());
        JsonNode s = Json.MAPPER.readTree(demo.out());
        assertEquals("SUCCEEDED", s.path("state").asText());
        assertEquals(200, s.path("steps").asLong());
        assertEquals(3, s.path("worldSize").asInt());
        assertTrue(s.path("paramsAgree").asBoolean());
        assertTrue(s.path("checkpoints").path("count").asInt() >= 2, s.toString());
        assertTrue(s.path("cost").path("savingsPct").asDouble() > 0, s.toString());
        for (String key : List.of("job", "finalLoss", "generations", "wallSeconds", "preemptions")) {
            assertTrue(s.has(key), key);
        }
        // the same 200 steps on one process, outside spottrain
        Process p = new ProcessBuilder(TestCluster.ROOT.resolve("examples/bin/run-java").toString(),
                "io.spottrain.examples.mlp.MlpTrainer", "--steps", "200", "--log-every", "200")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertTrue(out.contains("params-sha256=" + s.path("paramsSha256").asText()), out + " vs " + s);
        assertTrue(LocalCluster.agentPids(dir.resolve("demo")).stream().noneMatch(ProcessTree::alive), "demo stopped everything");
    }

    @Test
    void validateReportsEveryMistakeAndExits1() throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, """
                apiVersion: spottrain/v1
                kind: TrainingJob
                metadata: {name: Bad_Name}
                spec:
                  workers: {min: 0, maxx: 2}
                  command: train.py
                  placement: {market: spott}
                """);
        Result r = cli("validate", bad.toString());
        assertEquals(1, r.code());
        assertEquals(List.of(
                bad + ": 5 errors",
                "  metadata.name: must be a DNS label: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters, got \"Bad_Name\" (line 3)",
                "  spec.workers.maxx: unknown field (did you mean \"max\"?) (line 5)",
                "  spec.workers.min: must be >= 1, got 0 (line 5)",
                "  spec.command: must be a list of strings, got string \"train.py\" (write [train.py, ...] ) (line 6)",
                "  spec.placement.market: must be one of spot, on-demand, spot-with-fallback, got \"spott\" (did you mean \"spot\"?) (line 7)"),
                r.out().lines().toList());
        assertEquals("", r.err());

        Result json = cli("validate", bad.toString(), "--output", "json");
        assertEquals(1, json.code());
        assertEquals(5, Json.MAPPER.readTree(json.out()).path("errors").size());

        Result good = cli("validate", TestCluster.ROOT.resolve("examples/jobs/exchange-ranks.yaml").toString());
        assertEquals(0, good.code(), good.out());
    }

    @Test
    void everyExampleJobSpecIsValid() throws Exception {
        try (var files = Files.list(TestCluster.ROOT.resolve("examples/jobs"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                Result r = cli("validate", f.toString());
                assertEquals(0, r.code(), r.out());
            }
        }
    }

    @Test
    void missingFilesAndAbsentCoordinatorsAreOneLineErrors() {
        Result missing = cli("validate", dir.resolve("nope.yaml").toString());
        assertEquals(1, missing.code());
        assertEquals("error: cannot read " + dir.resolve("nope.yaml") + ": no such file\n", missing.err());

        Result submitMissing = cli("submit", dir.resolve("nope.yaml").toString(), "--api", "http://127.0.0.1:1");
        assertEquals(1, submitMissing.code());
        assertEquals(1, submitMissing.err().lines().count(), submitMissing.err());

        Result noCluster = cli("status", "--state-dir", dir.resolve("empty").toString());
        assertEquals(1, noCluster.code());
        assertEquals("error: no local cluster found under " + dir.resolve("empty")
                + " (start one with ./spottrain up, or pass --api URL)\n", noCluster.err());

        Result refused = cli("nodes", "--api", "http://127.0.0.1:1");
        assertEquals(1, refused.code());
        assertEquals("error: cannot reach the coordinator at http://127.0.0.1:1: connection refused (is the cluster up? ./spottrain up)\n",
                refused.err());

        Result usage = cli("up", "--workers", "many");
        assertEquals(2, usage.code());
        assertTrue(usage.err().startsWith("Invalid value for option '--workers'"), usage.err());
    }

    @Test
    void downWithAStaleClusterFileStillCleansUp() throws Exception {
        Path state = dir.resolve("stale");
        new ClusterState("http://127.0.0.1:1", "127.0.0.1:1", 999_999_999L, 1, "x", null, null).write(state);
        Result down = cli("down", "--state-dir", state.toString());
        assertEquals(0, down.code(), down.err());
        assertFalse(Files.exists(state.resolve("cluster.json")));
    }

    /** The agents the local launcher started under {@code state} (one directory each), by name. */
    static List<String> agentDirs(String state) throws IOException {
        Path agents = Path.of(state, "agents");
        if (!Files.isDirectory(agents)) return List.of();
        try (var dirs = Files.list(agents)) {
            return dirs.map(d -> d.getFileName().toString()).sorted().toList();
        }
    }

    /** The lines of a log that contain any of {@code words} (for failure messages). */
    static List<String> logLines(Path log, String... words) {
        try {
            return Files.readAllLines(log).stream().filter(l -> List.of(words).stream().anyMatch(l::contains)).toList();
        } catch (IOException e) {
            return List.of("(" + e + ")");
        }
    }
}
