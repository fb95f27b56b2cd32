package io.spottrain.launchers.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scale benchmark in small (50 agents, 2 host JVMs, 10 jobs): every job is scheduled, a
 * killed host's agents are lost through membership and their jobs recover or fail naming the node,
 * a hung agent is found by its own heartbeat. Timings are reported, not asserted (the 1,000-agent
 * run is a benchmark: docs/benchmarks.md), except bounds far above what a healthy run takes.
 */
@Timeout(300)
class ScaleIT {
    @TempDir
    Path dir;

    @Test
    void fiftySimulatedAgentsTenJobsALostHostAndAHungAgent() throws Exception {
        var r = ScaleBench.run(new ScaleBench.Options(50, 10, 2, 4, 60, dir.resolve("scale"), System.out::println));
        System.out.print(ScaleReport.text(r));
        assertEquals(10, r.reachedRunning(), "every job was scheduled: " + r);
        int ended = r.outcomes().getOrDefault("SUCCEEDED", 0) + r.outcomes().getOrDefault("FAILED", 0);
        assertEquals(10, ended, "every job ended: " + r.outcomes());
        for (String f : r.failures()) {
            // only a job whose every rank was on the lost host can fail: nobody survived to checkpoint
            assertTrue(f.contains("node sim1-") && f.contains("was lost"), f);
        }
        assertEquals(25, r.killedHostAgents());
        assertTrue(r.killedHostDetectSeconds() < 20, "lost through membership: " + r.killedHostDetectSeconds());
        assertEquals(1, r.hungAgents(), "an idle agent hung");
        assertTrue(r.hungDetectSeconds() > 0 && r.hungDetectSeconds() < 15, "found by its heartbeat: " + r.hungDetectSeconds());
        assertTrue(r.apiGets() > 10 && r.schedulingMsP99() > 0, r::toString);
        // agents offer rendezvous ports with their heartbeats: rank 0's offer is taken, AllocatePort is the exception
        assertTrue(r.rendezvousOffered() >= 5 && r.rendezvousOffered() > r.rendezvousAsked(),
                "rendezvous ports offered " + r.rendezvousOffered() + ", asked " + r.rendezvousAsked());
    }
}
