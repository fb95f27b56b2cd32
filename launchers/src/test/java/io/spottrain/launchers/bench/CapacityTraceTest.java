package io.spottrain.launchers.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.client.CliException;
import io.spottrain.launchers.bench.CapacityTrace.Kind;
import io.spottrain.launchers.bench.CapacityTrace.Mapping;
import io.spottrain.launchers.bench.CapacityTrace.Step;
import java.util.HashMap;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The trace-to-schedule mapping of {@code bench goodput}: windows, downscaling, notices, compression. */
class CapacityTraceTest {
    static final long MIN = 60_000;
    static final long HOUR = 60 * MIN;

    /** A churny trace: {@code nodes} nodes arriving over {@code hours}, each living an exponential time (mean 2 h). */
    static CapacityTrace churny(int nodes, int hours, long seed) {
        var r = new Random(seed);
        var sb = new StringBuilder("time_ms,op,node\r\n");
        for (int i = 0; i < nodes; i++) {
            long add = i < nodes / 4 ? 0 : (long) (r.nextDouble() * hours * HOUR);
            long life = (long) (-Math.log(1 - r.nextDouble()) * 2 * HOUR);
            sb.append(add).append(",add,n").append(i).append("\r\n");
            if (add + life < hours * HOUR) sb.append(add + life).append(",remove,n").append(i).append("\r\n");
        }
        return CapacityTrace.parse("churny", sb.toString());
    }

    static Mapping mapping(long from, long to, double compress, int k, long seed) {
        return new Mapping(from, to, compress, k, seed, 45_000, 120_000);
    }

    @Test
    void crlfAndCommentsAreToleratedAndABadLineIsNamed() {
        var t = CapacityTrace.parse("t.csv", "# a trace\r\n0,add,a\r\n\r\n5000,remove,a\r\n");
        assertEquals(List.of(new CapacityTrace.Event(0, CapacityTrace.Op.ADD, "a"), new CapacityTrace.Event(5000, CapacityTrace.Op.REMOVE, "a")),
                t.events());
        var e = assertThrows(CliException.class, () -> CapacityTrace.parse("t.csv", "0,add,a\n10,preempt,a\n"));
        assertEquals("t.csv:2: expected add or remove, got \"preempt\"", e.getMessage());
        assertEquals("t.csv:1: time_ms must be a whole number, got \"x\"",
                assertThrows(CliException.class, () -> CapacityTrace.parse("t.csv", "x,add,a")).getMessage());
    }

    @Test
    void aRemovalIsATerminationWithItsNoticeTheLeadBeforeButNeverBeforeTheNodeWasReady() {
        var t = CapacityTrace.parse("t", "0,add,a\n0,add,b\n600000,add,c\n700000,remove,a\n610000,remove,d\n660000,remove,c\n900000,remove,b");
        var s = t.schedule(mapping(0, HOUR, 1, 10, 1));
        assertEquals(List.of(new Step(0, Kind.READY, "a"), new Step(0, Kind.READY, "b"),
                new Step(580_000, Kind.NOTICE, "a"), new Step(645_000, Kind.READY, "c"), new Step(645_000, Kind.NOTICE, "c"),
                new Step(660_000, Kind.TERMINATE, "c"), new Step(700_000, Kind.TERMINATE, "a"), new Step(780_000, Kind.NOTICE, "b"),
                new Step(900_000, Kind.TERMINATE, "b")), s, "c's notice is clipped to its readiness; d never existed");
        // a node removed while it boots never trains; a window starting later sees a and b ready at once
        var late = CapacityTrace.parse("t", "0,add,a\n100000,add,x\n120000,remove,x\n").schedule(mapping(60_000, HOUR, 1, 10, 1));
        assertEquals(List.of(new Step(0, Kind.READY, "a")), late);
    }

    @Test
    void noticesNeverPrecedeReadinessAndEveryNodeEndsAtMostOnce() {
        for (long seed = 1; seed <= 20; seed++) {
            var s = churny(120, 6, seed).schedule(mapping(HOUR, 3 * HOUR, 20, 4, seed));
            var ready = new HashMap<String, Long>();
            var noticed = new HashMap<String, Long>();
            for (Step st : s) {
                switch (st.kind()) {
                    case READY -> assertTrue(ready.put(st.node(), st.atMs()) == null, "ready once: " + st);
                    case NOTICE -> {
                        assertTrue(ready.containsKey(st.node()) && ready.get(st.node()) <= st.atMs(), "notice after ready: " + st);
                        noticed.put(st.node(), st.atMs());
                    }
                    case TERMINATE -> assertTrue(noticed.containsKey(st.node()) && noticed.get(st.node()) <= st.atMs(), "terminated after notice: " + st);
                }
            }
            int up = 0;
            int peak = 0;
            for (Step st : s) {
                up += st.kind() == Kind.READY ? 1 : st.kind() == Kind.TERMINATE ? -1 : 0;
                peak = Math.max(peak, up);
            }
            assertTrue(peak <= 4, "never more nodes up at once than the K=4 slots: " + peak);
        }
    }

    @Test
    void compressionDividesEveryTimeAndEveryDelay() {
        var t = churny(60, 4, 7);
        var plain = t.schedule(mapping(HOUR, 3 * HOUR, 1, 8, 3));
        var fast = t.schedule(mapping(HOUR, 3 * HOUR, 20, 8, 3));
        assertEquals(plain.size(), fast.size());
        for (int i = 0; i < plain.size(); i++) {
            assertEquals(plain.get(i).node(), fast.get(i).node());
            assertEquals(plain.get(i).kind(), fast.get(i).kind());
            assertEquals(plain.get(i).atMs() / 20.0, fast.get(i).atMs(), 1.0, "every time / 20 (boot and notice delays included)");
        }
        assertTrue(plain.stream().anyMatch(s -> s.kind() == Kind.NOTICE), "the window has notices");
    }

    @Test
    void downscalingKeepsRemovalsPerNodeHourInExpectation() {
        var t = churny(400, 6, 11);
        var full = t.schedule(mapping(0, 6 * HOUR, 1, 1000, 0));
        double fullRate = removals(full) / (CapacityTrace.readyNodeMillis(full, 6 * HOUR) / (double) HOUR);
        double removed = 0;
        double nodeHours = 0;
        for (long seed = 0; seed < 300; seed++) {
            var s = t.schedule(mapping(0, 6 * HOUR, 1, 8, seed));
            removed += removals(s);
            nodeHours += CapacityTrace.readyNodeMillis(s, 6 * HOUR) / (double) HOUR;
        }
        double rate = removed / nodeHours;
        assertEquals(fullRate, rate, 0.05 * fullRate, "removals per node-hour: full trace " + fullRate + ", downscaled " + rate);
        assertTrue(t.peakNodes() > 8 && t.kept(8, 1).size() < t.kept(1000, 1).size());
    }

    @Test
    void readyCapacityIsTheAreaUnderTheNodeCount() {
        var s = List.of(new Step(0, Kind.READY, "a"), new Step(0, Kind.READY, "b"), new Step(100, Kind.NOTICE, "a"),
                new Step(400, Kind.TERMINATE, "a"), new Step(500, Kind.READY, "c"));
        assertEquals(400 + 1000 + 500, CapacityTrace.readyNodeMillis(s, 1000));
        assertEquals(300 + 300, CapacityTrace.readyNodeMillis(s, 300));
    }

    private static long removals(List<Step> s) {
        return s.stream().filter(x -> x.kind() == Kind.TERMINATE).count();
    }
}
