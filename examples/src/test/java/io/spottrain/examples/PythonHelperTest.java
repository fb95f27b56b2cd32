package io.spottrain.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import io.spottrain.protocol.contract.Contract;
import io.spottrain.protocol.contract.ControlServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python helper (examples/python/spottrain_contract.py) against the Java side: the agent's
 * control endpoint, and the checkpoint layout read and written across languages.
 */
@Timeout(120)
class PythonHelperTest {
    static final Path PY = Path.of("python").toAbsolutePath();

    @TempDir
    Path dir;

    static Process python(Map<String, String> env, Path log, String... args) throws Exception {
        var argv = new ArrayList<>(List.of("python3", "-u"));
        argv.addAll(List.of(args));
        var pb = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    @Test
    void tinyTrainerTalksTheContractAndHonoursRequests() throws Exception {
        var inbox = new LinkedBlockingQueue<JsonNode>();
        try (var agent = new ControlServer(inbox::add)) {
            Path ckpt = dir.resolve("ckpt");
            Process p = python(Map.of(Contract.CONTROL, agent.address(), Contract.CONTROL_TOKEN, agent.token(), Contract.CHECKPOINT_DIR, ckpt.toString(),
                    Contract.JOB, "py-1", Contract.GENERATION, "4"), dir.resolve("py.log"),
                    PY.resolve("tiny_trainer.py").toString(), "--steps", "100000", "--step-delay-ms", "5", "--checkpoint-every", "10");
            try {
                assertEquals("hello", next(inbox, "hello").path("type").asText());
                JsonNode ck = next(inbox, Contract.CHECKPOINT_WRITTEN);
                assertEquals(10, ck.path("step").asLong());
                assertEquals("interval", ck.path("reason").asText());
                agent.send(ControlServer.message(Contract.CHECKPOINT_NOW));
                JsonNode asked = next(inbox, Contract.CHECKPOINT_WRITTEN);
                while (!asked.path("reason").asText().equals("requested")) asked = next(inbox, Contract.CHECKPOINT_WRITTEN);
                agent.send(ControlServer.message(Contract.STOP));
                assertTrue(p.waitFor(20, TimeUnit.SECONDS));
                assertEquals(75, p.exitValue());
                // the Java side verifies what Python wrote
                var m = new CheckpointDir(ckpt).verify(asked.path("step").asLong());
                assertEquals(4, m.generation());
                assertEquals("py-1", m.job());
                assertEquals(16, m.totalBytes());
            } finally {
                p.destroyForcibly();
            }
        }
    }

    @Test
    void aRequestForAStepAlreadyCheckpointedIsAnsweredNotACrash() throws Exception {
        var inbox = new LinkedBlockingQueue<JsonNode>();
        try (var agent = new ControlServer(inbox::add)) {
            Process p = python(Map.of(Contract.CONTROL, agent.address(), Contract.CONTROL_TOKEN, agent.token(), Contract.CHECKPOINT_DIR, dir.resolve("every").toString()),
                    dir.resolve("every.log"), PY.resolve("tiny_trainer.py").toString(), "--steps", "100000", "--step-delay-ms", "5",
                    "--checkpoint-every", "1");
            try {
                next(inbox, Contract.CHECKPOINT_WRITTEN);
                agent.send(ControlServer.message(Contract.CHECKPOINT_NOW));
                JsonNode asked = next(inbox, Contract.CHECKPOINT_WRITTEN);
                while (!asked.path("reason").asText().equals("requested")) asked = next(inbox, Contract.CHECKPOINT_WRITTEN);
                assertTrue(p.isAlive(), "still training");
                agent.send(ControlServer.message(Contract.STOP));
                assertTrue(p.waitFor(20, TimeUnit.SECONDS));
                assertEquals(75, p.exitValue(), Files.readString(dir.resolve("every.log")));
            } finally {
                p.destroyForcibly();
            }
        }
    }

    @Test
    void pythonReadsAJavaCheckpointAndRejectsACorruptOne() throws Exception {
        var dirs = new CheckpointDir(dir.resolve("java"));
        dirs.write(30, 2, 1, "j", Map.of("params.bin", new byte[] {1, 2, 3}), Map.of(), Map.of("loss", "0.1"));
        String code = "import sys; sys.path.insert(0, sys.argv[1]); import spottrain_contract as sc; "
                + "print(sc.committed_steps(sys.argv[2])); print(sc.read_checkpoint(sys.argv[2], 30)['params.bin'])";
        Process ok = python(Map.of(), dir.resolve("ok.log"), "-c", code, PY.toString(), dirs.root().toString());
        assertEquals(0, ok.waitFor(30, TimeUnit.SECONDS) ? ok.exitValue() : -1);
        assertEquals("[30]\nb'\\x01\\x02\\x03'", Files.readString(dir.resolve("ok.log")).strip());
        Files.write(dirs.stepDir(30).resolve("params.bin"), new byte[] {1, 2, 4});
        Process bad = python(Map.of(), dir.resolve("bad.log"), "-c", code, PY.toString(), dirs.root().toString());
        bad.waitFor(30, TimeUnit.SECONDS);
        assertTrue(Files.readString(dir.resolve("bad.log")).contains("step 30: file params.bin is corrupt"));
    }

    static JsonNode next(LinkedBlockingQueue<JsonNode> q, String type) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (true) {
            JsonNode n = q.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (n == null) throw new AssertionError("no " + type + " message within 30s");
            if (n.path("type").asText().equals(type)) return n;
        }
    }
}
