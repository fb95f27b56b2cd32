package io.spottrain.launchers.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.client.ApiClient;
import io.spottrain.client.CliException;
import io.spottrain.launchers.local.ClusterPki;
import io.spottrain.launchers.local.ClusterState;
import io.spottrain.launchers.local.JavaCommand;
import io.spottrain.launchers.local.LocalCluster;
import io.spottrain.launchers.local.ProcessTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The coordinator under load: one real coordinator process (Ignite store), simulated agents on a
 * few host JVMs speaking the real wire protocol, {@code jobs} jobs of 1-8 workers whose simulated
 * ranks step at a steady rate (rank 0 reports progress every step, as real agents do); while they run, reader threads measure API GETs, one host
 * JVM is killed (its agents are lost through membership) and one idle agent hangs (found by its
 * own heartbeat). Prints what a user of the control plane feels: scheduling latency, API latency,
 * store writes, detection times, heap. {@link #run} kills everything it started, also on failure.
 */
public final class ScaleBench {

    /**
     * What to run. {@code hostNice}: the host JVMs' niceness (0: none). The simulated fleet stands in for 1,000 machines with CPUs
     * of their own; on one small machine it would otherwise take the coordinator's CPU and measure the box, not the coordinator.
     * {@code warmupWaves}: waves of {@code jobs} short jobs run to their end before the measured ones (not measured), so that
     * the measured burst meets a coordinator whose code is compiled, as one that has run for a while is (0: a cold one).
     * {@code apiReaders}: threads reading the API while the jobs are submitted and run (0: none, to see what that load costs the
     * scheduling).
     */
    public record Options(int agents, int jobs, int hosts, double stepsPerSecond, int steps, Path dir, Consumer<String> say, int hostNice,
            int warmupWaves, int apiReaders) {
        public Options(int agents, int jobs, int hosts, double stepsPerSecond, int steps, Path dir, Consumer<String> say) {
            this(agents, jobs, hosts, stepsPerSecond, steps, dir, say, 0, 0, 1);
        }
    }

    /** What was measured. */
    public record Result(int agents, int jobs, int hosts, double wallSeconds, Map<String, Integer> outcomes, List<String> failures,
            int reachedRunning,
            double schedulingMsP50, double schedulingMsP99, Map<String, double[]> schedulingPhasesMs, long apiGets, double apiGetMsP50, double apiGetMsP99, double apiListMsP99,
            double storeWritesPerSec, double storeBytesPerSec, double storeWriteMsMean, List<Double> storeBytesPerSecWindows, int killedHostAgents,
            double killedHostDetectSeconds, int hungAgents, double hungDetectSeconds, long coordinatorHeapUsedMb, long coordinatorHeapMaxMb,
            int hostNice, double burstSeconds, double burstCpuSecondsCoordinator, double burstCpuSecondsHosts, int warmupWaves, int listedJobs,
            long rendezvousOffered, long rendezvousAsked, double burstJitSecondsCoordinator, int apiReaders, double burstStoreWriteMsP99,
            double burstStoreWriteMsMax, double burstCpuSecondsBench) {}

    private final Options o;
    private final List<Process> hosts = new ArrayList<>();
    private ClusterState cluster;
    private ApiClient api;
    private ScaleWaits waits;
    private ApiReader reads;

    private ScaleBench(Options o) {
        this.o = o;
    }

    public static Result run(Options o) throws Exception {
        var bench = new ScaleBench(o);
        try {
            return bench.measure();
        } finally {
            bench.stop();
        }
    }

    private Result measure() throws Exception {
        long t0 = System.nanoTime();
        cluster = LocalCluster.start(o.dir(), new LocalCluster.Shape(0, 0, 1), o.dir(), Duration.ofSeconds(120),
                JavaCommand.current(JavaCommand.COORDINATOR_FLAGS), List.of("--no-s3", "--no-replacements"));
        api = LocalCluster.client(o.dir(), cluster.apiUrl());
        waits = new ScaleWaits(api, o.say());
        int perHost = (o.agents() + o.hosts() - 1) / o.hosts();
        int started = 0;
        for (int h = 1; h <= o.hosts(); h++) {
            int count = Math.min(perHost, o.agents() - perHost * (h - 1));
            // the last host hangs one of its agents 3 s after it starts, while all are idle (jobs come once all registered)
            boolean hanger = h == o.hosts();
            startHost("sim" + h, count, hanger ? Duration.ofSeconds(3) : null);
            started += count;
            // one host at a time, as machines boot: 4 JVMs starting 250 agents each at once on 2 cores stalled them past the
            // failure detector's pause, and the leader downed whole hosts before a job was submitted
            awaitLive(started, Duration.ofSeconds(60 + count / 5));
        }
        o.say().accept(o.agents() + " agents registered on " + o.hosts() + " host JVMs");

        reads = new ApiReader(api);
        var readers = new ArrayList<Thread>();
        for (int r = 0; r < o.apiReaders(); r++) {
            Thread reader = new Thread(reads, "bench-reader-" + r);
            reader.setDaemon(true);
            readers.add(reader);
        }
        for (int w = 1; w <= o.warmupWaves(); w++) {
            // the last wave as the burst's jobs (their steps up to 40, checkpoints every 20): the code the burst runs is compiled
            // for what it sees, not only for short jobs (numbers of two digits in the spec, jobs that run a while, views of them)
            boolean last = w == o.warmupWaves();
            var warm = submitJobs("warm" + w + "-", last ? Math.min(o.steps(), LAST_WAVE_STEPS) : WARMUP_STEPS, last ? BURST_INTERVAL : 2);
            reads.measure(warm); // the readers read each wave's jobs too: their code is compiled before the burst, not in it
            if (w == 1) readers.forEach(Thread::start);
            long runs = (long) Math.ceil((last ? LAST_WAVE_STEPS : WARMUP_STEPS) / o.stepsPerSecond());
            waits.awaitAll(warm, ScaleWaits::terminal, Duration.ofSeconds(60 + o.jobs() + runs));
            o.say().accept("warm-up wave " + w + " of " + o.warmupWaves() + ": " + warm.size() + (last ? " jobs as the burst's" : " short jobs")
                    + " ran to their end");
        }
        if (o.warmupWaves() > 0) {
            waits.awaitStoreQuiet(Duration.ofSeconds(30)); // the warm-up's last writes are not the burst's
            waits.awaitJitQuiet(Duration.ofSeconds(90)); // nor its compiles: a coordinator that has run a while compiled them long ago
        }

        var stats0 = waits.stats();
        long s0 = System.nanoTime();
        var windows = new ArrayList<Double>();

        double coordinatorCpu0 = cpuSeconds(cluster.coordinatorPid());
        double hostsCpu0 = hosts.stream().mapToDouble(p -> cpuSeconds(p.pid())).sum();
        double benchCpu0 = cpuSeconds(ProcessHandle.current().pid());
        var ids = submitJobs("sim", o.steps(), BURST_INTERVAL);
        reads.measure(ids);
        if (o.warmupWaves() == 0) readers.forEach(Thread::start);
        o.say().accept(ids.size() + " jobs submitted");
        waits.awaitStarted(ids, stats0.path("scheduled").asLong(), Duration.ofSeconds(60 + o.jobs()));
        // where the CPU went while the jobs were submitted and started (2 cores shared by the coordinator and the hosts)
        double burst = (System.nanoTime() - s0) / 1e9;
        double coordinatorCpu = cpuSeconds(cluster.coordinatorPid()) - coordinatorCpu0;
        double hostsCpu = hosts.stream().mapToDouble(p -> cpuSeconds(p.pid())).sum() - hostsCpu0;
        double benchCpu = cpuSeconds(ProcessHandle.current().pid()) - benchCpu0; // its client and readers: they share the 2 cores too
        var statsBurst = waits.stats();

        // lose a host JVM (kill -9) while the jobs run: its agents go with it
        Process victim = hosts.get(0);
        var victimNodes = liveNodes().stream().filter(n -> n.startsWith("sim1-")).toList();
        long killedAt = System.nanoTime();
        ProcessTree.kill(victim.pid());
        o.say().accept("killed host sim1 (" + victimNodes.size() + " agents)");
        double detect = awaitGone(new HashSet<>(victimNodes), killedAt, Duration.ofSeconds(60));
        o.say().accept(String.format("its agents were lost after %.2f s", detect));

        // the hung agent: found by its missing heartbeats, its JVM still in the cluster
        double hung = awaitHung(Duration.ofSeconds(90));

        // store bytes/s in windows while the jobs age
        var last = waits.stats();
        long lastAt = System.nanoTime();
        Instant end = Instant.now().plusSeconds(60L + o.steps() * 3L / Math.max(1, (long) o.stepsPerSecond()));
        while (Instant.now().isBefore(end) && !waits.allEnded(ids)) {
            Thread.sleep(5000);
            var now = waits.stats();
            long at = System.nanoTime();
            windows.add(round((now.path("store").path("bytes").asLong() - last.path("store").path("bytes").asLong()) / ((at - lastAt) / 1e9), 0));
            last = now;
            lastAt = at;
        }
        reads.stop.set(true);
        for (Thread reader : readers) reader.join(5000);
        var statsEnd = waits.stats();
        double secs = (System.nanoTime() - s0) / 1e9;

        var outcomes = new LinkedHashMap<String, Integer>();
        var failures = new ArrayList<String>();
        var scheduling = new ArrayList<Double>();
        var phases = new LinkedHashMap<String, List<Double>>();
        for (String id : ids) {
            JsonNode j = api.get("/api/v1/jobs/" + id);
            phases(j, phases);
            outcomes.merge(j.path("state").asText(), 1, Integer::sum);
            if (j.path("state").asText().equals("FAILED")) failures.add(id + ": " + j.path("reason").asText());
            if (!j.path("startedAt").isNull()) {
                scheduling.add((double) Duration.between(Instant.parse(j.path("submittedAt").asText()),
                        Instant.parse(j.path("startedAt").asText())).toMillis());
            }
        }
        var heap = statsEnd;
        return new Result(o.agents(), o.jobs(), o.hosts(), round((System.nanoTime() - t0) / 1e9, 1), outcomes, failures, scheduling.size(),
                pct(scheduling, 50), pct(scheduling, 99), phaseTable(phases), reads.gets.size(), pct(List.copyOf(reads.gets), 50),
                pct(List.copyOf(reads.gets), 99), pct(List.copyOf(reads.lists), 99),
                round((statsEnd.path("store").path("writes").asLong() - stats0.path("store").path("writes").asLong()) / secs, 1),
                round((statsEnd.path("store").path("bytes").asLong() - stats0.path("store").path("bytes").asLong()) / secs, 0),
                round((double) (statsEnd.path("store").path("writeMillis").asLong() - stats0.path("store").path("writeMillis").asLong())
                        / Math.max(1, statsEnd.path("store").path("writes").asLong() - stats0.path("store").path("writes").asLong()), 2), windows,
                victimNodes.size(), round(detect, 2), hung < 0 ? 0 : 1, round(hung, 2),
                heap.path("heapUsedBytes").asLong() >> 20, heap.path("heapMaxBytes").asLong() >> 20, o.hostNice(), round(burst, 1),
                round(coordinatorCpu, 1), round(hostsCpu, 1), o.warmupWaves(), api.get("/api/v1/jobs").size(),
                rendezvous(statsBurst, stats0, "offered"), rendezvous(statsBurst, stats0, "asked"),
                jitSeconds(statsBurst, stats0), o.apiReaders(), writeMillis(statsBurst, stats0, 99), writeMillis(statsBurst, stats0, 100),
                round(benchCpu, 1));
    }

    /**
     * The store's write time at percentile {@code p} between two stats reads, as the upper bound (ms) of the coordinator's
     * bucket that holds it (-1: no write; {@link #BEYOND_BUCKETS}: longer than its last bound; {@link #NOT_REPORTED}: a
     * coordinator that does not count them).
     */
    static double writeMillis(JsonNode now, JsonNode before, int p) {
        JsonNode a = before.path("store").path("writesByMillis"), b = now.path("store").path("writesByMillis");
        if (!b.isArray() || !a.isArray()) return NOT_REPORTED;
        JsonNode bounds = now.path("store").path("writeBucketsMillis");
        long total = 0;
        var counts = new long[b.size()];
        for (int i = 0; i < b.size(); i++) total += counts[i] = b.get(i).asLong() - a.path(i).asLong();
        if (total == 0) return -1;
        long rank = (long) Math.ceil(p / 100.0 * total), seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= rank) return i < bounds.size() ? bounds.get(i).asDouble() : BEYOND_BUCKETS;
        }
        return BEYOND_BUCKETS;
    }

    /** {@link #writeMillis} of a write longer than the coordinator's last bucket bound. */
    static final double BEYOND_BUCKETS = 9999;
    /** {@link #writeMillis} from a coordinator whose stats have no write-time buckets. */
    static final double NOT_REPORTED = -2;

    /** The coordinator's JIT compile time between two stats reads (-1: its JVM does not time its compilers). */
    private static double jitSeconds(JsonNode now, JsonNode before) {
        long a = before.path("jitMillis").asLong(-1), b = now.path("jitMillis").asLong(-1);
        return a < 0 || b < 0 ? -1 : round((b - a) / 1000.0, 1);
    }

    /** Generations opened between two stats reads on a rendezvous port that was {@code from} (offered, asked). */
    private static long rendezvous(JsonNode now, JsonNode before, String from) {
        return now.path("rendezvous").path(from).asLong() - before.path("rendezvous").path(from).asLong();
    }

    /** Where the first generation's time went: admit and place, rendezvous, every rank started (from the job's events). */
    private static void phases(JsonNode job, Map<String, List<Double>> into) {
        Map<String, Instant> first = new LinkedHashMap<>();
        for (JsonNode e : job.path("events")) {
            if (e.path("generation").asLong() > 1) break;
            first.putIfAbsent(e.path("type").asText(), Instant.parse(e.path("at").asText()));
        }
        String[][] spans = {{"place", "SUBMITTED", "GENERATION_OPENED"}, {"rendezvous", "GENERATION_OPENED", "RENDEZVOUS"},
            {"start ranks", "RENDEZVOUS", "RUNNING"}};
        for (String[] span : spans) {
            if (first.containsKey(span[1]) && first.containsKey(span[2])) {
                into.computeIfAbsent(span[0], k -> new ArrayList<>()).add((double) Duration.between(first.get(span[1]), first.get(span[2]))
                        .toMillis());
            }
        }
    }

    private static Map<String, double[]> phaseTable(Map<String, List<Double>> phases) {
        var out = new LinkedHashMap<String, double[]>();
        phases.forEach((k, v) -> out.put(k, new double[] {pct(v, 50), pct(v, 99)}));
        return out;
    }

    /** CPU seconds a process used so far (0 where the platform does not say). */
    private static double cpuSeconds(long pid) {
        return ProcessHandle.of(pid).flatMap(h -> h.info().totalCpuDuration()).map(d -> d.toMillis() / 1000.0).orElse(0.0);
    }

    private void startHost(String prefix, int count, Duration hangAfter) throws IOException {
        Path tls = o.dir().resolve("sim-hosts").resolve(prefix).resolve("tls");
        ClusterPki.ensure(o.dir()).issue(prefix, tls);
        var args = new ArrayList<>(List.of("sim-agents", "--seed", cluster.clusterEndpoint(), "--prefix", prefix, "--count",
                Integer.toString(count), "--steps-per-second", Double.toString(o.stepsPerSecond()), "--tls-dir", tls.toString()));
        if (hangAfter != null) args.addAll(List.of("--hang", "1", "--hang-after-ms", Long.toString(hangAfter.toMillis())));
        var flags = new ArrayList<>(JavaCommand.AGENT_FLAGS);
        flags.remove("-Xmx256m");
        flags.add("-Xmx" + Math.max(256, count) + "m");
        Path log = o.dir().resolve("logs").resolve(prefix + ".log");
        Files.createDirectories(log.getParent());
        var argv = new ArrayList<String>();
        if (o.hostNice() > 0) argv.addAll(List.of("nice", "-n", Integer.toString(o.hostNice())));
        argv.addAll(JavaCommand.current(flags).argv(args));
        var pb = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        hosts.add(pb.start());
    }

    /** Steps of a warm-up job: a few seconds, a checkpoint every 2. */
    static final int WARMUP_STEPS = 6;
    /** Most steps of a job of the last warm-up wave (otherwise as the burst's). */
    static final int LAST_WAVE_STEPS = 40;
    /** Steps between the measured jobs' checkpoints. */
    static final int BURST_INTERVAL = 20;

    /** Jobs of 1-8 workers (seeded), as many as fit the agents at once, named {@code <prefix>N}. */
    private List<String> submitJobs(String prefix, int steps, int checkpointInterval) {
        var rnd = new Random(42);
        var ids = new ArrayList<String>();
        int capacity = o.agents() - o.agents() / 10; // leave some free (the hung agent must be idle)
        for (int i = 0; i < o.jobs(); i++) {
            int workers = 1 + rnd.nextInt(8);
            if (workers > capacity) workers = Math.max(1, capacity);
            capacity -= workers;
            String spec = """
                    apiVersion: spottrain/v1
                    kind: TrainingJob
                    metadata: {name: %s%d, labels: {team: bench}}
                    spec:
                      workers: {min: 1, max: %d, gpusPerWorker: 0}
                      command: [simulated]
                      env: {STEPS: "%d"}
                      checkpoint: {interval: %d}
                      maxRestarts: 2
                    """.formatted(prefix, i, workers, steps, checkpointInterval);
            ids.add(api.post("/api/v1/jobs", spec, "application/yaml").path("id").asText());
        }
        return ids;
    }

    private List<String> liveNodes() {
        var out = new ArrayList<String>();
        for (JsonNode n : api.get("/api/v1/nodes")) if (n.path("role").asText().equals("worker")) out.add(n.path("id").asText());
        return out;
    }

    /** Waits until {@code n} agents registered (the hung one counts once it did, even after it is found silent). */
    private void awaitLive(int n, Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        int live = 0;
        while (Instant.now().isBefore(deadline)) {
            var ids = new HashSet<String>();
            for (JsonNode node : api.get("/api/v1/nodes?all=true")) {
                if (node.path("role").asText().equals("worker")) ids.add(node.path("id").asText());
            }
            live = ids.size();
            if (live >= n) return;
            Thread.sleep(250);
        }
        throw new CliException(live + " of " + n + " simulated agents registered within " + timeout.toSeconds() + "s; logs in "
                + o.dir().resolve("logs"));
    }

    private double awaitGone(Set<String> nodes, long since, Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            var live = new HashSet<>(liveNodes());
            live.retainAll(nodes);
            if (live.isEmpty()) return (System.nanoTime() - since) / 1e9;
            Thread.sleep(100);
        }
        throw new CliException("the killed host's agents were still live after " + timeout.toSeconds() + "s");
    }

    /** Seconds from the hang (the host logs it) to the node's loss for silence; -1 when none hung. */
    private double awaitHung(Duration timeout) throws Exception {
        Path log = o.dir().resolve("logs").resolve("sim" + o.hosts() + ".log");
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            String text = Files.exists(log) ? Files.readString(log) : "";
            var hungAt = text.lines().filter(l -> l.startsWith("hung ")).findFirst();
            if (hungAt.isPresent()) {
                if (hungAt.get().startsWith("hung 0 ")) return -1;
                Instant at = Instant.parse(hungAt.get().substring(hungAt.get().lastIndexOf(' ') + 1));
                for (JsonNode n : api.get("/api/v1/nodes?all=true")) {
                    if (n.path("id").asText().startsWith("sim" + o.hosts() + "-") && n.path("reason").asText().startsWith("sent no heartbeat")) {
                        return Duration.between(at, Instant.parse(n.path("terminatedAt").asText())).toMillis() / 1000.0;
                    }
                }
            }
            Thread.sleep(250);
        }
        throw new CliException("the hung agent was not found within " + timeout.toSeconds() + "s");
    }

    private void stop() {
        if (reads != null) reads.stop.set(true); // also when the run failed: the readers stop with it
        hosts.forEach(p -> ProcessTree.kill(p.pid()));
        if (cluster != null) LocalCluster.stop(o.dir(), Duration.ofSeconds(20));
    }

    static double pct(List<Double> values, int p) {
        if (values.isEmpty()) return 0;
        var sorted = values.stream().sorted().toList();
        return round(sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1)), 1);
    }

    static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
