package io.spottrain.launchers.bench;

import io.spottrain.client.CliException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * A Spot capacity trace in the published format {@code time_ms,add|remove,node} (as in Bamboo's
 * and Oobleck's traces; CRLF tolerated): {@code add} = a node granted, {@code remove} = the node
 * terminated. Unlike the demo's {@code --preemptions} format, {@code remove} is the termination;
 * the notice is derived ({@link #schedule}).
 */
public record CapacityTrace(List<Event> events) {

    public enum Op { ADD, REMOVE }

    public record Event(long timeMs, Op op, String node) {}

    /** What the emulated fleet does, in (compressed) run time from the window's start. */
    public enum Kind {
        /** The node is granted and ready to train (after its boot delay; at once for a node already up at the window's start). */
        READY,
        /** Its interruption notice (the notice lead before termination, never before it was ready). */
        NOTICE,
        /** It is terminated. */
        TERMINATE
    }

    public record Step(long atMs, Kind kind, String node) {}

    /**
     * How a trace becomes a schedule. {@code boot} and {@code notice} are in trace time (45 s and
     * 120 s by default) and are divided by {@code compress} like every trace time.
     */
    public record Mapping(long windowStartMs, long windowEndMs, double compress, int maxNodes, long seed, long bootMs, long noticeMs) {
        public Mapping {
            if (windowEndMs <= windowStartMs) throw new IllegalArgumentException("the window must end after it starts");
            if (compress < 1) throw new IllegalArgumentException("--compress must be >= 1, got " + compress);
            if (maxNodes < 1) throw new IllegalArgumentException("--max-nodes must be >= 1, got " + maxNodes);
        }
    }

    public static CapacityTrace parse(String name, String text) {
        var events = new ArrayList<Event>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i].strip(); // strips the CR of a CRLF line too
            if (l.isEmpty() || l.startsWith("#") || l.startsWith("time_ms")) continue;
            String where = name + ":" + (i + 1) + ": ";
            String[] f = l.split(",");
            if (f.length != 3) throw new CliException(where + "expected time_ms,add|remove,node, got \"" + l + "\"");
            long t;
            try {
                t = Long.parseLong(f[0].strip());
            } catch (NumberFormatException e) {
                throw new CliException(where + "time_ms must be a whole number, got \"" + f[0].strip() + "\"");
            }
            if (t < 0) throw new CliException(where + "time_ms must be >= 0, got " + t);
            Op op = switch (f[1].strip()) {
                case "add" -> Op.ADD;
                case "remove" -> Op.REMOVE;
                default -> throw new CliException(where + "expected add or remove, got \"" + f[1].strip() + "\"");
            };
            String node = f[2].strip();
            if (node.isEmpty()) throw new CliException(where + "the node name is empty");
            events.add(new Event(t, op, node));
        }
        events.sort(Comparator.comparingLong(Event::timeMs)); // stable: a node's add stays before its remove at one instant
        return new CapacityTrace(List.copyOf(events));
    }

    /** The most nodes up at once over the whole trace: the number of capacity slots. */
    public int peakNodes() {
        var up = new TreeSet<String>();
        int peak = 0;
        for (Event e : events) {
            if (e.op() == Op.ADD) up.add(e.node());
            else up.remove(e.node());
            peak = Math.max(peak, up.size());
        }
        return peak;
    }

    /**
     * Nodes kept when the trace is downscaled to {@code maxNodes}: replaying the trace, every node
     * takes a capacity slot in {@code [0, peak)} drawn (seeded) from the slots free when it is added,
     * and gives it back when it is removed; the nodes of the first {@code maxNodes} slots are kept.
     * Nodes up at once hold distinct slots, so never more than {@code maxNodes} kept nodes are up at
     * once; every slot is alike, so each node is kept with probability maxNodes/peak whatever its
     * lifetime and removals per node-hour are preserved in expectation. No downscaling when the peak fits.
     */
    public Set<String> kept(int maxNodes, long seed) {
        var nodes = new TreeSet<String>();
        events.forEach(e -> nodes.add(e.node()));
        int peak = peakNodes();
        if (peak <= maxNodes) return nodes;
        var random = new SplittableRandom(seed);
        var free = new ArrayList<Integer>();
        for (int i = 0; i < peak; i++) free.add(i);
        var slot = new HashMap<String, Integer>();
        var kept = new TreeSet<String>();
        for (Event e : events) { // time order, as parsed: the same seed, the same slots
            if (e.op() == Op.ADD) {
                if (slot.containsKey(e.node())) continue; // added twice: it holds its slot
                int s = free.remove(random.nextInt(free.size()));
                slot.put(e.node(), s);
                if (s < maxNodes) kept.add(e.node());
            } else {
                Integer s = slot.remove(e.node());
                if (s != null) free.add(s);
            }
        }
        return kept;
    }

    /**
     * The emulated fleet for one window: kept nodes up at the window's start are ready at 0; a node
     * added inside it is ready a boot delay later (dropped if it is removed first); a removal inside
     * it is a termination with its notice the notice lead earlier, never before the node was ready.
     * Times are from the window's start divided by {@code compress}. Sorted by time.
     */
    public List<Step> schedule(Mapping m) {
        var kept = kept(m.maxNodes(), m.seed());
        var readyAt = new HashMap<String, Long>(); // trace time the node is ready
        var steps = new ArrayList<Step>();
        for (Event e : events) {
            if (!kept.contains(e.node())) continue;
            long t = e.timeMs();
            if (e.op() == Op.ADD) {
                if (t > m.windowEndMs()) continue;
                readyAt.put(e.node(), t <= m.windowStartMs() ? m.windowStartMs() : t + m.bootMs());
                continue;
            }
            Long ready = readyAt.remove(e.node());
            if (ready == null || t <= m.windowStartMs()) continue; // never up, or gone before the window
            if (t <= ready) continue; // removed while booting: it never trained
            if (t > m.windowEndMs()) {
                readyAt.put(e.node(), ready); // outlives the window: only its readiness counts
                continue;
            }
            steps.add(new Step(at(ready, m), Kind.READY, e.node()));
            steps.add(new Step(at(Math.max(ready, t - m.noticeMs()), m), Kind.NOTICE, e.node()));
            steps.add(new Step(at(t, m), Kind.TERMINATE, e.node()));
        }
        for (Map.Entry<String, Long> up : readyAt.entrySet()) {
            if (up.getValue() < m.windowEndMs()) steps.add(new Step(at(up.getValue(), m), Kind.READY, up.getKey()));
        }
        steps.sort(Comparator.comparingLong(Step::atMs).thenComparing(Step::kind).thenComparing(Step::node));
        return List.copyOf(steps);
    }

    private static long at(long traceMs, Mapping m) {
        return Math.round((traceMs - m.windowStartMs()) / m.compress());
    }

    /**
     * Node-milliseconds of ready capacity in the schedule up to {@code endMs} (run time): what an
     * ideal system that uses every ready node with zero overhead can turn into work.
     */
    public static long readyNodeMillis(List<Step> schedule, long endMs) {
        var since = new HashMap<String, Long>();
        long total = 0;
        for (Step s : schedule) {
            if (s.atMs() > endMs) break;
            if (s.kind() == Kind.READY) since.put(s.node(), s.atMs());
            else if (s.kind() == Kind.TERMINATE && since.containsKey(s.node())) total += s.atMs() - since.remove(s.node());
        }
        for (long from : since.values()) total += Math.max(0, endMs - from);
        return total;
    }
}
