package io.spottrain.launchers.bench;

import io.spottrain.checkpoint.remote.AwsS3ObjectStore;
import io.spottrain.checkpoint.remote.EmbeddedS3;
import io.spottrain.checkpoint.remote.RemoteTier;
import io.spottrain.client.CliException;
import io.spottrain.launchers.bench.CapacityTrace.Kind;
import io.spottrain.launchers.bench.CapacityTrace.Step;
import io.spottrain.launchers.bench.Goodput.Breakdown;
import io.spottrain.launchers.bench.Goodput.Sample;
import io.spottrain.protocol.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * {@code ./spottrain bench goodput}: one Spot capacity trace, mapped to a schedule
 * ({@link CapacityTrace#schedule}), played against each system in turn on this machine, with the
 * same trainer and flags: spottrain elastic, the restart-everything baseline at N=K and N=K-2, and
 * K on-demand nodes for the whole window. Per system: steps, goodput, eta against an ideal system,
 * cost and cost per 1,000 steps, where the time went; a PNG of world size and steps over time.
 *
 * <p>The trainer keeps a constant global batch and emulates compute with {@code --batch-delay-ms D}:
 * a step at world size W takes D/W plus the all-reduce, so a step is the same work at any size and
 * more nodes train faster. The ideal system trains on every ready node with zero overhead at the
 * per-node rate the on-demand run measured while training.
 */
public final class GoodputBench {
    private GoodputBench() {}

    public enum Contender {
        ON_DEMAND("on-demand (K nodes, whole window)"),
        ELASTIC("spottrain elastic"),
        RESTART_K("restart-everything, N=K"),
        RESTART_K_MINUS_2("restart-everything, N=K-2");

        public final String label;

        Contender(String label) {
            this.label = label;
        }
    }

    public record Options(Path trace, long windowStartMs, long windowEndMs, double compress, int maxNodes, long seed, int batchDelayMs,
            int checkpointEvery, int stateMb, double spotPrice, double onDemandPrice, Set<Contender> systems, Path dir, Path home,
            Consumer<String> say) {}

    /** One system's run: what it held at most, what it did, what it cost. */
    public record SystemResult(Contender system, int nodes, List<Sample> samples, Breakdown time, double goodput, Double eta, double costUsd,
            Double costPer1kSteps, long lostSteps, int recoveries) {}

    public record Result(String trace, long windowStartMs, long windowEndMs, double compress, int maxNodes, long seed, long runMs,
            int scheduleEvents, long readyNodeMillis, Double idealSteps, double spotPrice, double onDemandPrice, List<Step> schedule,
            List<SystemResult> systems, Path plot) {}

    public static Result run(Options o) throws Exception {
        String text = Files.readString(o.trace());
        CapacityTrace trace = CapacityTrace.parse(o.trace().getFileName().toString(), text);
        long end = o.windowEndMs() > 0 ? o.windowEndMs() : trace.events().get(trace.events().size() - 1).timeMs();
        var mapping = new CapacityTrace.Mapping(o.windowStartMs(), end, o.compress(), o.maxNodes(), o.seed(), 45_000, 120_000);
        List<Step> schedule = trace.schedule(mapping);
        long runMs = Math.round((end - o.windowStartMs()) / o.compress());
        if (runMs < 5_000) throw new CliException("the window is " + runMs + " ms once compressed; make it at least 5 s (a longer --window or a smaller --compress)");
        int k = o.maxNodes();
        var training = new ClusterRun.Training(o.batchDelayMs(), o.checkpointEvery(), o.stateMb(), 5);
        o.say().accept(String.format(Locale.ROOT, "schedule: %d events over %.1f s per system (%d nodes ready at the start)", schedule.size(),
                runMs / 1000.0, schedule.stream().filter(s -> s.kind() == Kind.READY && s.atMs() == 0).count()));
        var runs = new LinkedHashMap<Contender, Run>();
        Files.createDirectories(o.dir());
        for (Contender s : List.of(Contender.ON_DEMAND, Contender.ELASTIC)) {
            if (!o.systems().contains(s)) continue;
            boolean spot = s == Contender.ELASTIC;
            List<Step> sched = spot ? schedule : onDemandSchedule(k);
            o.say().accept("running " + s.label);
            var r = ClusterRun.run(o.dir().resolve(s.name().toLowerCase(Locale.ROOT)), o.home(), sched, runMs, spot, k, training,
                    Math.round(45_000 / o.compress()), o.compress(), o.say());
            o.say().accept(s.label + ": steps " + last(r.samples()) + ", final state " + r.finalState());
            runs.put(s, new Run(sched, k, 1, r.samples(), r.checkpointStallMs(), r.lostSteps(), r.preemptions()));
        }
        if (o.systems().contains(Contender.RESTART_K) || (o.systems().contains(Contender.RESTART_K_MINUS_2) && k > 2)) {
            try (EmbeddedS3 s3 = EmbeddedS3.start(o.dir().resolve("s3")); var store = new AwsS3ObjectStore(s3.settings("goodput"))) {
                store.ensureBucket();
                var remote = new RemoteTier(store, "restart");
                for (Contender s : List.of(Contender.RESTART_K, Contender.RESTART_K_MINUS_2)) {
                    int n = s == Contender.RESTART_K ? k : k - 2;
                    if (!o.systems().contains(s) || n < 1) continue;
                    o.say().accept("running " + s.label + " (N=" + n + ")");
                    Path dir = Files.createDirectories(o.dir().resolve(s.name().toLowerCase(Locale.ROOT)));
                    var r = RestartRun.run(dir, o.home(), schedule, runMs, n, training, remote, "restart-n" + n, o.say());
                    o.say().accept(s.label + ": steps " + last(r.samples()) + ", restarts " + r.restarts());
                    runs.put(s, new Run(schedule, n, n, r.samples(), r.checkpointStallMs(), r.lostSteps(), r.restarts()));
                }
            }
        }
        return report(o, trace, schedule, runMs, runs);
    }

    private record Run(List<Step> schedule, int cap, int needed, List<Sample> samples, double stallMs, long lost, int recoveries) {}

    private static Result report(Options o, CapacityTrace trace, List<Step> schedule, long runMs, Map<Contender, Run> runs) throws IOException {
        int k = o.maxNodes();
        long readyMillis = CapacityTrace.readyNodeMillis(schedule, runMs);
        Double perNodeRate = null; // steps per node-millisecond while training, from the on-demand run
        Run od = runs.get(Contender.ON_DEMAND);
        if (od != null) {
            Breakdown b = Goodput.account(od.samples(), od.schedule(), od.needed(), od.stallMs());
            double trainingMs = b.trainingMs() + b.checkpointingMs();
            if (b.steps() > 0 && trainingMs > 0) perNodeRate = b.steps() / (trainingMs * k);
        }
        Double ideal = perNodeRate == null ? null : perNodeRate * readyMillis;
        var results = new ArrayList<SystemResult>();
        for (var e : runs.entrySet()) {
            Run r = e.getValue();
            Breakdown b = Goodput.account(r.samples(), r.schedule(), r.needed(), r.stallMs());
            boolean onDemand = e.getKey() == Contender.ON_DEMAND;
            double cost = onDemand ? Goodput.dollars((long) k * runMs, o.compress(), o.onDemandPrice())
                    : Goodput.dollars(Goodput.heldNodeMillis(r.schedule(), runMs, r.cap()), o.compress(), o.spotPrice());
            results.add(new SystemResult(e.getKey(), r.cap(), r.samples(), b, b.steps() / (runMs / 1000.0),
                    ideal == null || onDemand ? null : b.steps() / ideal, cost, b.steps() == 0 ? null : cost / b.steps() * 1000, r.lost(), r.recoveries()));
        }
        Path png = o.dir().resolve("goodput.png");
        GoodputPlot.write(png, results, schedule, runMs, k);
        return new Result(o.trace().getFileName().toString(), o.windowStartMs(), o.windowEndMs() > 0 ? o.windowEndMs()
                : trace.events().get(trace.events().size() - 1).timeMs(), o.compress(), k, o.seed(), runMs, schedule.size(), readyMillis, ideal,
                o.spotPrice(), o.onDemandPrice(), schedule, results, png);
    }

    /** K on-demand nodes ready from the start, never interrupted. */
    static List<Step> onDemandSchedule(int k) {
        var steps = new ArrayList<Step>();
        for (int i = 1; i <= k; i++) steps.add(new Step(0, Kind.READY, "od" + i));
        return steps;
    }

    private static long last(List<Sample> samples) {
        return samples.stream().mapToLong(Sample::steps).max().orElse(0);
    }

    public static String text(Result r) {
        var sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "goodput on %s, window %.2f-%.2f h of trace time, compressed %.0fx (%.0f s per system), K=%d, seed %d%n",
                r.trace(), r.windowStartMs() / 3.6e6, r.windowEndMs() / 3.6e6, r.compress(), r.runMs() / 1000.0, r.maxNodes(), r.seed()));
        long notices = r.schedule().stream().filter(s -> s.kind() == Kind.NOTICE).count();
        sb.append(String.format(Locale.ROOT, "capacity: %.1f node-hours ready of %.1f possible (trace time), %d terminations; ideal steps %s%n",
                r.readyNodeMillis() * r.compress() / 3.6e6, (double) r.maxNodes() * r.runMs() * r.compress() / 3.6e6, notices,
                r.idealSteps() == null ? "n/a (needs the on-demand run)" : Long.toString(Math.round(r.idealSteps()))));
        sb.append(String.format(Locale.ROOT, "%-34s %5s %8s %8s %5s %9s %9s | %6s %6s %6s %6s %6s  %s%n", "system", "nodes", "steps", "steps/s",
                "eta", "cost $", "$/1k st", "train", "ckpt", "recov", "rollbk", "wait", "lost steps, recoveries"));
        for (SystemResult s : r.systems()) {
            Breakdown b = s.time();
            double t = Math.max(1, b.totalMs());
            sb.append(String.format(Locale.ROOT, "%-34s %5d %8d %8.2f %5s %9.2f %9s | %5.1f%% %5.1f%% %5.1f%% %5.1f%% %5.1f%%  %d, %d%n", s.system().label,
                    s.nodes(), b.steps(), s.goodput(), s.eta() == null ? "-" : String.format(Locale.ROOT, "%.2f", s.eta()), s.costUsd(),
                    s.costPer1kSteps() == null ? "-" : String.format(Locale.ROOT, "%.3f", s.costPer1kSteps()), 100 * b.trainingMs() / t,
                    100 * b.checkpointingMs() / t, 100 * b.recoveringMs() / t, 100 * b.rolledBackMs() / t, 100 * b.waitingMs() / t, s.lostSteps(),
                    s.recoveries()));
        }
        sb.append(comparisons(r));
        sb.append("plot: ").append(r.plot()).append('\n');
        return sb.toString();
    }

    /** The goals as ratios, where the runs needed for them were made. */
    private static String comparisons(Result r) {
        var by = new LinkedHashMap<Contender, SystemResult>();
        r.systems().forEach(s -> by.put(s.system(), s));
        var sb = new StringBuilder();
        SystemResult el = by.get(Contender.ELASTIC);
        SystemResult rk = by.get(Contender.RESTART_K);
        SystemResult od = by.get(Contender.ON_DEMAND);
        if (el != null && rk != null && rk.time().steps() > 0) {
            sb.append(String.format(Locale.ROOT, "elastic vs restart N=K: %.2fx the steps%n", (double) el.time().steps() / rk.time().steps()));
        }
        if (el != null && od != null && el.costPer1kSteps() != null && od.costPer1kSteps() != null) {
            sb.append(String.format(Locale.ROOT, "elastic vs on-demand: %.0f%% cheaper per 1,000 steps%n", 100 * (1 - el.costPer1kSteps() / od.costPer1kSteps())));
        }
        return sb.toString();
    }

    public static String json(Result r) {
        var systems = new ArrayList<Map<String, Object>>();
        for (SystemResult s : r.systems()) {
            var m = new LinkedHashMap<String, Object>();
            m.put("system", s.system().name().toLowerCase(Locale.ROOT).replace('_', '-'));
            m.put("label", s.system().label);
            m.put("nodes", s.nodes());
            m.put("steps", s.time().steps());
            m.put("goodputStepsPerSecond", s.goodput());
            m.put("eta", s.eta());
            m.put("costUsd", s.costUsd());
            m.put("costPer1kStepsUsd", s.costPer1kSteps());
            m.put("lostSteps", s.lostSteps());
            m.put("recoveries", s.recoveries());
            m.put("timeMs", Map.of("training", s.time().trainingMs(), "checkpointing", s.time().checkpointingMs(), "recovering",
                    s.time().recoveringMs(), "rolledBack", s.time().rolledBackMs(), "waitingForCapacity", s.time().waitingMs()));
            m.put("series", s.samples().stream().map(x -> List.of(x.atMs(), x.steps(), x.worldSize())).toList());
            systems.add(m);
        }
        var out = new LinkedHashMap<String, Object>();
        out.put("trace", r.trace());
        out.put("windowMs", List.of(r.windowStartMs(), r.windowEndMs()));
        out.put("compress", r.compress());
        out.put("maxNodes", r.maxNodes());
        out.put("seed", r.seed());
        out.put("runMs", r.runMs());
        out.put("readyNodeMillis", r.readyNodeMillis());
        out.put("idealSteps", r.idealSteps());
        out.put("prices", Map.of("spotPerHour", r.spotPrice(), "onDemandPerHour", r.onDemandPrice()));
        out.put("schedule", r.schedule().stream().map(s -> List.of(s.atMs(), s.kind().name().toLowerCase(Locale.ROOT), s.node())).toList());
        out.put("systems", systems);
        out.put("plot", r.plot().toString());
        return Json.pretty(out);
    }

    /** {@code --systems}: a comma list of on-demand, elastic, restart-k, restart-k-2 (default: all). */
    public static Set<Contender> systems(String list) {
        var set = EnumSet.noneOf(Contender.class);
        for (String s : list.split(",")) {
            String v = s.strip().toUpperCase(Locale.ROOT).replace('-', '_');
            if (v.equals("RESTART_K_2")) v = "RESTART_K_MINUS_2";
            try {
                set.add(Contender.valueOf(v));
            } catch (IllegalArgumentException e) {
                throw new CliException("--systems: unknown system \"" + s.strip() + "\" (known: on-demand, elastic, restart-k, restart-k-2)");
            }
        }
        return set;
    }
}
