package io.spottrain.launchers.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.launchers.bench.Goodput.Phase;
import io.spottrain.launchers.bench.Goodput.Sample;
import io.spottrain.launchers.bench.GoodputBench.Contender;
import io.spottrain.launchers.bench.GoodputBench.SystemResult;
import io.spottrain.launchers.local.TestCluster;
import io.spottrain.protocol.json.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A smoke run of {@code bench goodput} (the benchmark itself is not part of the suite): a 20 s
 * schedule with one notice, one termination and one node granted later, played against on-demand,
 * spottrain elastic and restart-everything (N=K) with real processes (N=K-2 is the same driver). It checks the harness, not the numbers: every system trained, the
 * events reached each the way it handles them, the cost and the plot came out.
 */
class GoodputBenchIT {

    @Test
    @Timeout(value = 420, unit = TimeUnit.SECONDS)
    void everySystemRunsTheSameScheduleAndIsAccounted(@TempDir Path dir) throws Exception {
        // compressed 20x: a, b, c ready at 0; c's notice at 4 s, taken at 10 s; d granted at 12 s, ready at 14.25 s; the run is 20 s
        Path trace = Files.writeString(dir.resolve("trace.csv"), "time_ms,op,node\r\n0,add,a\r\n0,add,b\r\n0,add,c\r\n200000,remove,c\r\n"
                + "240000,add,d\r\n");
        var systems = EnumSet.of(Contender.ON_DEMAND, Contender.ELASTIC, Contender.RESTART_K);
        var o = new GoodputBench.Options(trace, 0, 400_000, 20, 3, 1, 60, 200, 0, 0.91, 3.06, systems, dir.resolve("out"),
                TestCluster.ROOT, s -> System.err.println("bench: " + s));
        GoodputBench.Result r = GoodputBench.run(o);
        Map<Contender, SystemResult> by = r.systems().stream().collect(Collectors.toMap(SystemResult::system, Function.identity()));
        String table = GoodputBench.text(r);
        System.err.println(table);
        assertEquals(systems, by.keySet());
        for (SystemResult s : r.systems()) assertTrue(s.time().steps() > 20, s.system() + " trained: " + table);

        SystemResult elastic = by.get(Contender.ELASTIC);
        assertTrue(elastic.samples().stream().anyMatch(x -> x.worldSize() == 3), "elastic started at 3: " + elastic.samples());
        assertTrue(elastic.samples().stream().anyMatch(x -> x.worldSize() == 2), "elastic went on with the 2 survivors: " + elastic.samples());
        assertEquals(1, elastic.recoveries(), "one preemption recorded");
        assertEquals(0, elastic.lostSteps(), "a notice loses no step");
        assertNotNull(elastic.eta());

        SystemResult restart = by.get(Contender.RESTART_K);
        assertEquals(1, restart.recoveries(), "restart N=3 started again once d was ready");
        assertTrue(restart.time().waitingMs() > 2_000, "it waited for a third node from 10 s to 14.25 s: " + restart.time());
        boolean stoppedThenRan = false;
        Sample prev = null;
        for (Sample x : restart.samples()) {
            stoppedThenRan |= prev != null && prev.phase() == Phase.STOPPED && x.phase() == Phase.RUNNING && x.atMs() > 10_000;
            prev = x;
        }
        assertTrue(stoppedThenRan, "restart N=3 trained again after the termination");

        SystemResult onDemand = by.get(Contender.ON_DEMAND);
        assertNull(onDemand.eta(), "on-demand is the ideal's yardstick");
        assertEquals(3 * 20.0 * 20 / 3600 * 3.06, onDemand.costUsd(), 0.01, "3 nodes x 20 s x 20 (trace time) at $3.06/h");
        assertTrue(elastic.costUsd() < onDemand.costUsd() / 2, table);

        var png = ImageIO.read(r.plot().toFile());
        assertEquals(1000, png.getWidth());
        JsonNode json = Json.MAPPER.readTree(GoodputBench.json(r));
        assertEquals(3, json.path("systems").size());
        assertEquals(r.schedule().size(), json.path("schedule").size());
        assertTrue(table.contains("elastic vs on-demand"), table);
    }
}
