package io.spottrain.examples.mlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import io.spottrain.protocol.contract.Contract;
import io.spottrain.protocol.contract.ControlServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of one rank mid-training: the survivors notice within seconds (not an NCCL-style 10 min
 * hang), report "stalled at step s" over the contract, agree on a step, write it when asked, and
 * stop. Each rank talks to a real {@link ControlServer}, the agent's end of SPOTTRAIN_CONTROL.
 */
@Timeout(120)
class StallTest {
    @TempDir
    Path dir;

    @Test
    void survivorsOfAKilledPeerReportAStallAndCheckpointACommonStep() throws Exception {
        int world = 3;
        List<LinkedBlockingQueue<JsonNode>> inbox = new ArrayList<>();
        List<ControlServer> agents = new ArrayList<>();
        var env = agentEnds(world, inbox, agents);
        try (var ranks = Ranks.start(dir, world, 1, 0, Map.copyOf(env), "--steps", "1000000", "--step-delay-ms", "20",
                "--log-every", "5", "--peer-timeout-s", "20")) {
            for (int r = 0; r < world; r++) {
                assertEquals("hello", next(inbox.get(r), "hello", 30).path("type").asText());
            }
            JsonNode progress = next(inbox.get(0), Contract.PROGRESS, 30);
            while (progress.path("step").asLong() < 20) progress = next(inbox.get(0), Contract.PROGRESS, 30);

            long t0 = System.nanoTime();
            ranks.processes.get(2).destroyForcibly(); // kill -9
            long[] stalledAt = new long[2];
            for (int r = 0; r < 2; r++) {
                JsonNode stalled = next(inbox.get(r), Contract.STALLED, 15);
                stalledAt[r] = stalled.path("step").asLong();
                assertTrue(stalled.path("reason").asText().length() > 0);
            }
            double detectSeconds = (System.nanoTime() - t0) / 1e9;
            assertTrue(detectSeconds < 5, "survivors noticed in " + detectSeconds + "s");
            assertTrue(Math.abs(stalledAt[0] - stalledAt[1]) <= 1, "survivors are at most one step apart");
            assertTrue(stalledAt[0] >= 20);

            // a collective request first (no step): each writes the step it stalled at; then, explicitly, the step before
            // (a collective that became a loss asks the rank a step ahead for the smallest stalled step)
            long common = Math.min(stalledAt[0], stalledAt[1]);
            for (int r = 0; r < 2; r++) agents.get(r).send(ControlServer.message(Contract.CHECKPOINT_NOW));
            for (int r = 0; r < 2; r++) {
                JsonNode ck = next(inbox.get(r), Contract.CHECKPOINT_WRITTEN, 15);
                assertEquals(stalledAt[r], ck.path("step").asLong());
                assertEquals("stall", ck.path("reason").asText());
                agents.get(r).send(ControlServer.message(Contract.CHECKPOINT_NOW).put("step", stalledAt[r])); // written: not again
                agents.get(r).send(ControlServer.message(Contract.CHECKPOINT_NOW).put("step", stalledAt[r] - 1));
                assertEquals(stalledAt[r] - 1, next(inbox.get(r), Contract.CHECKPOINT_WRITTEN, 15).path("step").asLong(),
                        "the explicit step before, written after its own (the step already written is not written again)");
                agents.get(r).send(ControlServer.message(Contract.STOP));
            }
            assertEquals(MlpTrainer.EXIT_STOPPED, ranks.processes.get(0).waitFor(15, TimeUnit.SECONDS) ? ranks.processes.get(0).exitValue() : -1);
            assertEquals(MlpTrainer.EXIT_STOPPED, ranks.processes.get(1).waitFor(15, TimeUnit.SECONDS) ? ranks.processes.get(1).exitValue() : -1);
            String a = CheckpointDir.sha256(new CheckpointDir(ranks.checkpointDir(0)).read(common).get("params.bin"));
            String b = CheckpointDir.sha256(new CheckpointDir(ranks.checkpointDir(1)).read(common).get("params.bin"));
            assertEquals(a, b, "both survivors hold the same state of step " + common);
        } finally {
            agents.forEach(ControlServer::close);
        }
    }

    @Test
    void withoutAnAgentAStalledRankKeepsItsWorkAndExitsCleanlyEvenIfThatStepIsAlreadyWritten() throws Exception {
        try (var ranks = Ranks.start(dir.resolve("solo"), 2, 1, 0, Map.of(), "--steps", "1000000", "--step-delay-ms", "10",
                "--checkpoint-every", "1", "--log-every", "1000000")) {
            var ck = new CheckpointDir(ranks.checkpointDir(0));
            long deadline = System.currentTimeMillis() + 30_000;
            while (ck.committedSteps().size() < 5 && System.currentTimeMillis() < deadline) Thread.sleep(50);
            ranks.processes.get(1).destroyForcibly();
            assertTrue(ranks.processes.get(0).waitFor(30, TimeUnit.SECONDS), ranks::toString);
            assertEquals(MlpTrainer.EXIT_STOPPED, ranks.processes.get(0).exitValue(), ranks::toString);
            String out = ranks.output(0);
            assertTrue(out.contains("stalled at step"), out);
            long last = ck.committedSteps().get(0);
            ck.verify(last);
        }
    }

    /**
     * The departing rank's {@code stop} reaches the collective before the survivors' {@code park}
     * (each agent hears the coordinator at its own moment): the survivors park at that step instead
     * of exiting, so their agents can still re-form them in place; their own park is answered with
     * {@code parked} again, a later {@code stop} ends them.
     */
    @Test
    void survivorsParkWhenTheDepartingRanksStopArrivesBeforeTheirPark() throws Exception {
        int world = 3;
        List<LinkedBlockingQueue<JsonNode>> inbox = new ArrayList<>();
        List<ControlServer> agents = new ArrayList<>();
        var env = agentEnds(world, inbox, agents);
        try (var ranks = Ranks.start(dir.resolve("race"), world, 1, 0, Map.copyOf(env), "--steps", "1000000", "--step-delay-ms", "10",
                "--log-every", "5")) {
            for (int r = 0; r < world; r++) {
                JsonNode hello = next(inbox.get(r), Contract.HELLO, 30);
                assertTrue(hello.path("capabilities").toString().contains(Contract.CAPABILITY_REFORM), hello::toString);
            }
            JsonNode progress = next(inbox.get(0), Contract.PROGRESS, 30);
            while (progress.path("step").asLong() < 10) progress = next(inbox.get(0), Contract.PROGRESS, 30);
            agents.get(2).send(ControlServer.message(Contract.STOP)); // only the departing rank has heard anything yet
            assertTrue(ranks.processes.get(2).waitFor(15, TimeUnit.SECONDS), ranks::output);
            assertEquals(MlpTrainer.EXIT_STOPPED, ranks.processes.get(2).exitValue(), ranks::output);
            long[] parkedAt = new long[2];
            for (int r = 0; r < 2; r++) parkedAt[r] = next(inbox.get(r), Contract.PARKED, 15).path("step").asLong();
            assertEquals(parkedAt[0], parkedAt[1], "both survivors parked at the step the generation ended");
            for (int r = 0; r < 2; r++) {
                assertTrue(ranks.processes.get(r).isAlive(), "survivor " + r + " kept its process: " + ranks.output());
                agents.get(r).send(ControlServer.message(Contract.PARK)); // their own park, a step late
                assertEquals(parkedAt[r], next(inbox.get(r), Contract.PARKED, 15).path("step").asLong());
                agents.get(r).send(ControlServer.message(Contract.STOP));
            }
            for (int r = 0; r < 2; r++) {
                assertTrue(ranks.processes.get(r).waitFor(15, TimeUnit.SECONDS), ranks::output);
                assertEquals(MlpTrainer.EXIT_STOPPED, ranks.processes.get(r).exitValue(), ranks::output);
            }
        } finally {
            agents.forEach(ControlServer::close);
        }
    }

    /** One agent's end of the contract channel per rank (a real {@link ControlServer}); the ranks' environment to reach them. */
    static Map<String, String> agentEnds(int world, List<LinkedBlockingQueue<JsonNode>> inbox, List<ControlServer> agents) throws Exception {
        var env = new HashMap<String, String>();
        for (int r = 0; r < world; r++) {
            var q = new LinkedBlockingQueue<JsonNode>();
            inbox.add(q);
            var server = new ControlServer(q::add);
            agents.add(server);
            env.put("RANK:" + r + ":SPOTTRAIN_CONTROL", server.address());
            env.put("RANK:" + r + ":SPOTTRAIN_CONTROL_TOKEN", server.token());
        }
        return env;
    }

    /** The next message of this type (others skipped), waiting at most {@code seconds}. */
    static JsonNode next(LinkedBlockingQueue<JsonNode> q, String type, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (true) {
            long left = deadline - System.nanoTime();
            JsonNode n = left <= 0 ? null : q.poll(left, TimeUnit.NANOSECONDS);
            if (n == null) throw new AssertionError("no " + type + " message within " + seconds + "s");
            if (n.path("type").asText().equals(type)) return n;
        }
    }
}
