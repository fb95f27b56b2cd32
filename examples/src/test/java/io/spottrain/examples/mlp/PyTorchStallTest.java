package io.spottrain.examples.mlp;

import static io.spottrain.examples.mlp.StallTest.agentEnds;
import static io.spottrain.examples.mlp.StallTest.next;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import io.spottrain.protocol.contract.Contract;
import io.spottrain.protocol.contract.ControlServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PyTorch example (examples/pytorch/ddp_train.py, Debian's python3-torch, gloo on CPU) honours
 * the stall contract as the Java trainer does ({@link StallTest}): survivors of a killed rank
 * write the step they stalled at and, asked explicitly afterwards, the step before it (ranks stall
 * up to a step apart; a collective recovery that became a loss asks a rank a step ahead for the
 * others' step). The step before is really that step's state: a run resumed from it trains one
 * step to the same parameters, bit for bit. Skipped where torch is not installed.
 */
@Timeout(180)
class PyTorchStallTest {
    static final String PYTHON = "/usr/bin/python3";
    static final Path TRAINER = Path.of("pytorch", "ddp_train.py").toAbsolutePath();

    @TempDir
    Path dir;

    @BeforeAll
    static void torchIsInstalled() throws Exception {
        boolean ok;
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import torch, torch.distributed").redirectErrorStream(true).start();
            ok = p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
            if (!ok) p.destroyForcibly();
        } catch (IOException e) {
            ok = false;
        }
        assumeTrue(ok, "needs PyTorch for " + PYTHON + " (Debian: apt-get install python3-torch; .ci/run installs it)");
        assertTrue(Files.isRegularFile(TRAINER), TRAINER + " is missing: run from the examples module (Maven does)");
    }

    static List<String> trainer() {
        return List.of(PYTHON, "-u", TRAINER.toString());
    }

    /** A small, quick run (64 samples a step, 64 steps an epoch) on the CPU, {@code steps} long. */
    static String[] args(long steps) {
        // no interval checkpoints (an inherited SPOTTRAIN_CHECKPOINT_INTERVAL would commit the step before: nothing to go back to)
        return new String[] {"--steps", Long.toString(steps), "--batch", "64", "--log-every", "2", "--peer-timeout-s", "20", "--device",
            "cpu", "--checkpoint-every", "0", "--stall-wait-s", "150"};
    }

    @Test
    void survivorsWriteTheStepTheyStalledAtAndTheStepBeforeWhenAskedForIt() throws Exception {
        int world = 3;
        List<LinkedBlockingQueue<JsonNode>> inbox = new ArrayList<>();
        List<ControlServer> agents = new ArrayList<>();
        var env = agentEnds(world, inbox, agents);
        try (var ranks = Ranks.start(trainer(), dir, world, 1, 0, Map.copyOf(env), args(1_000_000))) {
            for (int r = 0; r < world; r++) assertEquals(Contract.HELLO, next(inbox.get(r), Contract.HELLO, 90).path("type").asText());
            JsonNode progress = next(inbox.get(0), Contract.PROGRESS, 60);
            while (progress.path("step").asLong() < 6) progress = next(inbox.get(0), Contract.PROGRESS, 60);

            ranks.processes.get(2).destroyForcibly(); // kill -9
            long[] stalledAt = new long[2];
            for (int r = 0; r < 2; r++) stalledAt[r] = next(inbox.get(r), Contract.STALLED, 40).path("step").asLong();
            assertTrue(Math.abs(stalledAt[0] - stalledAt[1]) <= 1, "survivors are at most one step apart: " + ranks);

            for (int r = 0; r < 2; r++) { // each wrote the step it stalled at (with an agent or not), and reports it when asked
                agents.get(r).send(ControlServer.message(Contract.CHECKPOINT_NOW).put("step", stalledAt[r]));
                assertEquals(stalledAt[r], next(inbox.get(r), Contract.CHECKPOINT_WRITTEN, 30).path("step").asLong(), ranks::toString);
                agents.get(r).send(ControlServer.message(Contract.CHECKPOINT_NOW).put("step", stalledAt[r] - 1));
                JsonNode before = next(inbox.get(r), Contract.CHECKPOINT_WRITTEN, 30);
                while (before.path("step").asLong() == stalledAt[r]) before = next(inbox.get(r), Contract.CHECKPOINT_WRITTEN, 30); // its own
                assertEquals(stalledAt[r] - 1, before.path("step").asLong(), "the explicit step before, written after its own: " + ranks);
                agents.get(r).send(ControlServer.message(Contract.STOP));
            }
            for (int r = 0; r < 2; r++) {
                assertTrue(ranks.processes.get(r).waitFor(30, TimeUnit.SECONDS), ranks::toString);
                assertEquals(75, ranks.processes.get(r).exitValue(), ranks::toString);
            }
            long s = stalledAt[0];
            var ck = new CheckpointDir(ranks.checkpointDir(0));
            String before = CheckpointDir.sha256(ck.read(s - 1).get("params.bin"));
            String at = CheckpointDir.sha256(ck.read(s).get("params.bin"));
            assertNotEquals(before, at, "step " + (s - 1) + " holds the state before step " + s + "'s update, not after it");
            if (stalledAt[1] == s) {
                assertEquals(before, CheckpointDir.sha256(new CheckpointDir(ranks.checkpointDir(1)).read(s - 1).get("params.bin")),
                        "both survivors went back to the same state");
            }

            // the step before is that step: one rank resumed from it and trained one step reaches step s's parameters
            try (var resumed = Ranks.start(trainer(), dir, 1, 2, s - 1, Map.of(), args(s))) {
                assertEquals(List.of(0), resumed.await(90), resumed::toString);
                assertEquals(at, resumed.hash(0), "resumed from step " + (s - 1) + " and trained to " + s + ": " + resumed);
            }
        } finally {
            agents.forEach(ControlServer::close);
        }
    }
}
