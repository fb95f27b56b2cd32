package io.spottrain.launchers.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.coordinator.settings.FreePorts;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import io.spottrain.protocol.json.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real PyTorch (Debian's python3-torch, CPU, gloo) under a real local cluster: the DDP example
 * loses a node to a Spot notice and another to kill -9, recovers both times through
 * torch.distributed (a new process group per generation), and ends with the same parameters as an
 * uninterrupted single-process run. Skipped, saying so, where torch is not installed; .ci/run
 * installs it, so CI always runs it. The two cluster tests share one 3-worker cluster, in order: the
 * notice-and-kill test leaves its replacements, and the notice-window test waits for them, runs on two
 * nodes and stages its newcomer on the third.
 */
@Timeout(400)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PyTorchIT {
    static final String PYTHON = "/usr/bin/python3";
    static final Path TRAINER = TestCluster.ROOT.resolve("examples/pytorch/ddp_train.py");
    static final String STEPS = "500";

    @TempDir
    Path dir;

    @TempDir
    static Path clusterDir;

    private static TestCluster cluster;

    /** The uninterrupted run (one process, world size 1), running while the cluster starts; its output in a file. */
    private static Process uninterrupted;

    private static Path uninterruptedOut;

    private static String uninterruptedSha;

    @BeforeAll
    static void torchIsInstalledAndTheClusterIsUp() throws Exception {
        boolean ok;
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import torch, torch.distributed").redirectErrorStream(true).start();
            ok = p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
            if (!ok) p.destroyForcibly();
        } catch (IOException e) {
            ok = false;
        }
        assumeTrue(ok, "needs PyTorch for " + PYTHON + " (Debian: apt-get install python3-torch; .ci/run installs it)");
        int port = FreePorts.pick(); // below the ephemeral range: the cluster starting beside it binds and connects there
        uninterruptedOut = clusterDir.resolve("uninterrupted.log");
        var pb = new ProcessBuilder(trainer()).redirectErrorStream(true).redirectOutput(uninterruptedOut.toFile());
        pb.environment().remove("SPOTTRAIN_CONTROL");
        pb.environment().putAll(Map.of("RANK", "0", "WORLD_SIZE", "1", "MASTER_ADDR", "127.0.0.1", "MASTER_PORT",
                Integer.toString(port)));
        uninterrupted = pb.start();
        cluster = TestCluster.start(clusterDir.resolve("state"), 3);
    }

    @AfterAll
    static void stopTheCluster() {
        if (uninterrupted != null) uninterrupted.destroyForcibly();
        if (cluster != null) cluster.close();
    }

    static List<String> trainer(String... extra) {
        var argv = new ArrayList<>(List.of(PYTHON, TRAINER.toString(), "--steps", STEPS, "--log-every", "10", "--peer-timeout-s", "20"));
        argv.addAll(List.of(extra));
        return argv;
    }

    /** The uninterrupted run's parameters (waits for it once per class). */
    static synchronized String uninterruptedSha() throws Exception {
        if (uninterruptedSha == null) {
            boolean ended = uninterrupted.waitFor(300, TimeUnit.SECONDS);
            String out = Files.readString(uninterruptedOut);
            assertTrue(ended && uninterrupted.exitValue() == 0, "the uninterrupted run: " + out);
            uninterruptedSha = out.lines().filter(l -> l.startsWith("params-sha256=")).findFirst()
                    .orElseThrow(() -> new AssertionError(out)).substring(14);
        }
        return uninterruptedSha;
    }

    /** One rank without an agent: {@code SPOTTRAIN_CHECKPOINT_DIR} {@code ckpt}, resumed from {@code resume} (0: fresh). */
    static Map.Entry<Integer, String> alone(Path ckpt, long resume, String... args) throws Exception {
        int port = FreePorts.pick();
        var argv = new ArrayList<>(List.of(PYTHON, TRAINER.toString(), "--log-every", "10"));
        argv.addAll(List.of(args));
        var pb = new ProcessBuilder(argv).redirectErrorStream(true);
        pb.environment().remove("SPOTTRAIN_CONTROL");
        pb.environment().putAll(Map.of("RANK", "0", "WORLD_SIZE", "1", "MASTER_ADDR", "127.0.0.1", "MASTER_PORT", Integer.toString(port),
                "SPOTTRAIN_CHECKPOINT_DIR", ckpt.toString(), "SPOTTRAIN_RESUME_STEP", Long.toString(resume)));
        Process p = pb.start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), out);
            return Map.entry(p.exitValue(), out);
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void stateMbTravelsInEveryCheckpointAndAResumeWithAnotherSizeIsRefused() throws Exception {
        Path ckpt = dir.resolve("ckpt");
        var first = alone(ckpt, 0, "--steps", "10", "--checkpoint-every", "10", "--state-mb", "2");
        assertEquals(0, first.getKey(), first.getValue());
        var files = new CheckpointDir(ckpt).read(10);
        assertEquals(2 << 20, files.get("state.bin").length, "2 MiB of state in the checkpoint");
        assertEquals(10, ByteBuffer.wrap(files.get("state.bin")).getLong(0), "stamped with its step (as the Java trainer)");
        var resumed = alone(ckpt, 10, "--steps", "20", "--state-mb", "2");
        assertEquals(0, resumed.getKey(), resumed.getValue());
        assertTrue(resumed.getValue().contains("resumed from step 10"), resumed.getValue());
        var refused = alone(ckpt, 10, "--steps", "20", "--state-mb", "1");
        assertEquals(2, refused.getKey(), refused.getValue());
        assertTrue(refused.getValue().contains("cannot resume: step 10: state.bin has 2097152 bytes, --state-mb asks for 1048576"),
                refused.getValue());
    }

    /** Submits the DDP example (workers 1..{@code max}, a checkpoint every 25 steps); returns its id. */
    static String submitTraining(TestCluster cluster, String name, int max) {
        String spec = """
                apiVersion: spottrain/v1
                kind: TrainingJob
                metadata: {name: %s}
                spec:
                  workers: {min: 1, max: %d, gpusPerWorker: 0}
                  checkpoint: {interval: 25}
                  command: %s
                """.formatted(name, max, Json.write(trainer()));
        return cluster.submit(spec).path("id").asText();
    }

    @Test
    @Order(1)
    void aNoticeAndAKillLoseNoStepAndTheParametersEqualTheUninterruptedRun() throws Exception {
        String expected = uninterruptedSha();
        String id = submitTraining(cluster, "torch-ddp", 3);
        try {
            noticeThenKill(id, expected);
        } finally {
            cancelIfRunning(id); // the next test shares the cluster
        }
    }

    private void noticeThenKill(String id, String expected) throws Exception {
        JsonNode j = cluster.awaitJob(id, x -> x.path("state").asText().equals("RUNNING") && x.path("steps").asLong() >= 50,
                Duration.ofSeconds(120));
        String first = j.path("members").get(1).path("nodeId").asText();
        String keeper = j.path("members").get(0).path("nodeId").asText();
        long keeperPid = j.path("members").get(0).path("pid").asLong();
        cluster.api.post("/api/v1/nodes/" + first + "/preempt", "{\"kind\":\"notice\",\"leadSeconds\":15}", "application/json");
        j = cluster.awaitJob(id, x -> x.path("generation").asLong() >= 2 && x.path("state").asText().equals("RUNNING")
                && x.path("steps").asLong() >= 200, Duration.ofSeconds(150));
        String second = j.path("members").get(j.path("members").size() - 1).path("nodeId").asText();
        cluster.api.post("/api/v1/nodes/" + second + "/preempt", "{\"kind\":\"kill\"}", "application/json");
        JsonNode end = cluster.awaitJob(id, x -> List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(x.path("state").asText()),
                Duration.ofSeconds(240));
        assertEquals("SUCCEEDED", end.path("state").asText(), end::toString);
        assertEquals(expected, end.path("paramsSha256").asText(), "the same parameters as the uninterrupted run: " + end);
        var kinds = new ArrayList<String>();
        for (JsonNode p : end.path("preemptions")) {
            kinds.add(p.path("kind").asText());
            assertEquals(0, p.path("lostSteps").asLong(), p::toString);
        }
        assertEquals(List.of("notice", "kill"), kinds, end.path("preemptions")::toString);
        // contract v2: the survivors destroyed and re-initialised their process group in the same process
        for (JsonNode p : end.path("preemptions")) assertTrue(p.path("inPlace").asBoolean(), end.path("preemptions")::toString);
        for (JsonNode m : end.path("members")) {
            if (m.path("nodeId").asText().equals(keeper)) assertEquals(keeperPid, m.path("pid").asLong(), "one process on " + keeper);
        }
        System.out.println("pytorch in-place preemptions: " + end.path("preemptions"));
    }

    /**
     * The notice window with real torch.distributed: the noticed node trains on while a newcomer is
     * staged on the free node (a Python process that imported torch and built the model), then the swap re-forms the
     * survivor in place and the newcomer takes the park step over the new process group (ring-state:
     * all_reduce of who holds what, broadcast of the parameters), fetching nothing.
     */
    @Test
    @Order(2)
    void aNoticeWithTimeToSpareSwapsInAStagedNewcomerThatTakesTheStateOverTheGroup() throws Exception {
        String expected = uninterruptedSha();
        // the previous test's replacements have registered: 2 nodes for the job, a free one to stage the newcomer on
        cluster.awaitStableWorkers(3, Duration.ofSeconds(30), Duration.ofSeconds(120));
        String id = submitTraining(cluster, "torch-window", 2);
        try {
            noticeWindow(id, expected);
        } finally {
            cancelIfRunning(id);
        }
    }

    private void noticeWindow(String id, String expected) throws Exception {
        // noticed at its first checkpoint: staging the newcomer (an agent's Python importing torch) takes ~200 steps here
        JsonNode g1 = cluster.awaitJob(id, x -> x.path("state").asText().equals("RUNNING") && x.path("worldSize").asInt() == 2
                && x.path("steps").asLong() >= 25, Duration.ofSeconds(120));
        var before = new ArrayList<String>();
        for (JsonNode m : g1.path("members")) before.add(m.path("nodeId").asText());
        String victim = g1.path("members").get(1).path("nodeId").asText();
        cluster.api.post("/api/v1/nodes/" + victim + "/preempt", "{\"kind\":\"notice\",\"leadSeconds\":60}", "application/json");
        JsonNode g2 = cluster.awaitJob(id, x -> x.path("generation").asLong() >= 2 && x.path("state").asText().equals("RUNNING"),
                Duration.ofSeconds(90));
        JsonNode newcomer = null;
        for (JsonNode m : g2.path("members")) if (!before.contains(m.path("nodeId").asText())) newcomer = m;
        assertTrue(newcomer != null, "the replacement swapped in: " + g2.path("members") + " " + g2.path("events"));
        JsonNode end = cluster.awaitJob(id, x -> List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(x.path("state").asText()),
                Duration.ofSeconds(240));
        assertEquals("SUCCEEDED", end.path("state").asText(), end::toString);
        assertEquals(expected, end.path("paramsSha256").asText(), "the same parameters as the uninterrupted run: " + end);
        JsonNode p = end.path("preemptions");
        assertEquals(1, p.size(), p::toString);
        assertEquals(0, p.get(0).path("lostSteps").asLong(), p::toString);
        assertEquals(2, p.get(0).path("inPlaceRanks").asInt(), "the survivor and the staged newcomer re-formed in place: " + p);
        String rankLog = Files.readString(Path.of(newcomer.path("logFile").asText()));
        assertTrue(rankLog.contains("over the group"), () -> "the newcomer took the state over the process group:\n" + rankLog);
        System.out.println("pytorch notice window preemptions: " + p);
    }

    /** A job a failed assertion left running is cancelled: its ranks would load the next test's cluster. */
    private static void cancelIfRunning(String id) {
        try {
            String state = cluster.api.get("/api/v1/jobs/" + id).path("state").asText();
            if (!List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(state)) {
                cluster.api.post("/api/v1/jobs/" + id + "/cancel", "", "application/json");
            }
        } catch (RuntimeException e) {
            System.out.println("PyTorchIT: could not cancel " + id + ": " + e.getMessage());
        }
    }
}
