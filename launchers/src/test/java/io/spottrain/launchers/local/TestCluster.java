package io.spottrain.launchers.local;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.client.ApiClient;
import io.spottrain.protocol.json.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * A real local cluster for process-level tests: a coordinator process that launches agent
 * processes, on ephemeral ports, under a temp state dir. {@link #close} stops every process it
 * started, by pid, even after a failed test.
 */
public final class TestCluster implements AutoCloseable {
    /** The repository root (tests run in launchers/). */
    public static final Path ROOT = Path.of("").toAbsolutePath().getParent();

    public final Path stateDir;
    public final ClusterState state;
    public final ApiClient api;

    private TestCluster(Path stateDir, ClusterState state) {
        this.stateDir = stateDir;
        this.state = state;
        this.api = LocalCluster.client(stateDir, state.apiUrl());
    }

    /**
     * Under failsafe (which packages first and names the build dir in {@code spottrain.it.distribution}) coordinators run from
     * the built distribution (the launchers jar and {@code target/lib}, as {@code ./spottrain} runs them), not this JVM's test
     * classpath, so that they map the coordinator's class data archive (CoordinatorArchive); elsewhere (an IDE) from this JVM's.
     */
    static final JavaCommand COORDINATOR = Optional.ofNullable(System.getProperty("spottrain.it.distribution"))
            .flatMap(target -> CoordinatorArchive.distributionCommand(Path.of(target), JavaCommand.COORDINATOR_FLAGS))
            .orElse(JavaCommand.current(JavaCommand.COORDINATOR_FLAGS));

    public static TestCluster start(Path stateDir, int workers, String... coordinatorArgs) {
        return start(stateDir, new LocalCluster.Shape(workers, 0), coordinatorArgs);
    }

    public static TestCluster start(Path stateDir, LocalCluster.Shape shape, String... coordinatorArgs) {
        long t0 = System.nanoTime();
        ClusterState s = LocalCluster.start(stateDir, shape, ROOT, Duration.ofSeconds(90), COORDINATOR, List.of(coordinatorArgs));
        System.out.printf(Locale.ROOT, "TestCluster: %d worker(s) up in %.1f s%n", shape.workers(), (System.nanoTime() - t0) / 1e9);
        return new TestCluster(stateDir, s);
    }

    /** A job spec whose ranks run a Java main class of this build (the test classpath). */
    public static String javaJob(String name, int min, int max, String mainClass, String... args) {
        var argv = new ArrayList<String>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx128m", "-cp", System.getProperty("java.class.path"), mainClass));
        argv.addAll(List.of(args));
        return """
                apiVersion: spottrain/v1
                kind: TrainingJob
                metadata: {name: %s}
                spec:
                  workers: {min: %d, max: %d, gpusPerWorker: 0}
                  command: %s
                """.formatted(name, min, max, Json.write(argv));
    }

    /** Uninterrupted runs' hashes by step count: every IT class of the suite's JVM asks for the same few. */
    private static final Map<String, String> UNINTERRUPTED = new ConcurrentHashMap<>();

    /** The params-sha256 of the example trainer run for {@code steps} in one process, never interrupted (computed once per JVM). */
    public static String uninterruptedSha(String steps) throws IOException, InterruptedException {
        String known = UNINTERRUPTED.get(steps);
        if (known != null) return known;
        String sha = runUninterrupted(steps);
        UNINTERRUPTED.put(steps, sha);
        return sha;
    }

    private static String runUninterrupted(String steps) throws IOException, InterruptedException {
        var argv = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "io.spottrain.examples.mlp.MlpTrainer", "--steps", steps, "--log-every", steps));
        var pb = new ProcessBuilder(argv).redirectErrorStream(true);
        pb.environment().remove("SPOTTRAIN_CONTROL");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out.lines().filter(l -> l.startsWith("params-sha256=")).findFirst().orElseThrow().substring(14);
    }

    /** The coordinator's {@code /metrics} text (Prometheus exposition), read with the admin token. */
    public String metrics() throws IOException, InterruptedException {
        var request = HttpRequest.newBuilder(URI.create(state.apiUrl() + "/metrics"))
                .header("Authorization", "Bearer " + AdminToken.read(AdminToken.file(stateDir)).orElseThrow()).build();
        var response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) throw new AssertionError("GET /metrics answered " + response.statusCode() + ": " + response.body());
        return response.body();
    }

    public JsonNode submit(String yaml) {
        return api.post("/api/v1/jobs", yaml, "application/yaml");
    }

    public JsonNode awaitJob(String id, Predicate<JsonNode> done, Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        JsonNode job = null;
        while (Instant.now().isBefore(deadline)) {
            job = api.get("/api/v1/jobs/" + id);
            if (done.test(job)) return job;
            Thread.sleep(200);
        }
        throw new AssertionError("job " + id + " not as expected within " + timeout.toSeconds() + "s; last: " + job);
    }

    public JsonNode awaitEnd(String id) throws InterruptedException {
        return awaitJob(id, j -> List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(j.path("state").asText()),
                Duration.ofSeconds(90));
    }

    /** Live worker and control nodes, or ({@code all}) the node history too. */
    public List<JsonNode> nodes(boolean all) {
        var out = new ArrayList<JsonNode>();
        api.get("/api/v1/nodes" + (all ? "?all=true" : "")).forEach(out::add);
        return out;
    }

    public JsonNode node(String id) {
        for (JsonNode n : api.get("/api/v1/nodes")) {
            if (n.path("id").asText().equals(id)) return n;
        }
        throw new AssertionError("no node " + id);
    }

    /** Every pid this cluster recorded: coordinator, agents, ranks. */
    public List<Long> allPids() {
        var pids = new ArrayList<Long>();
        pids.add(state.coordinatorPid());
        ControlNodeState.all(stateDir).forEach(c -> pids.add(c.pid()));
        pids.addAll(LocalCluster.agentPids(stateDir));
        return pids;
    }

    public String log(String node) throws IOException {
        Path f = stateDir.resolve("logs").resolve(node + ".log");
        return Files.exists(f) ? Files.readString(f) : "";
    }

    /**
     * Waits until {@code n} workers are live and none was lost for 5 s, launching a Spot node of the local fleet for each one
     * lost meanwhile (on 2 cores a freshly started agent can be starved long enough to be downed as unreachable right after it
     * registered; a test that counts on {@code n} nodes then has one fewer). Fails saying how many were live.
     */
    public void awaitStableWorkers(int n, Duration atMost) throws InterruptedException {
        awaitStableWorkers(n, Duration.ZERO, atMost);
    }

    /**
     * As {@link #awaitStableWorkers(int, Duration)}, but launches nothing for the first {@code launchAfter}: the time the
     * coordinator's own replacements get to register (a test that shares a cluster after a preemption waits on them; topping
     * up at once would leave a spare node that a later test's notice then uses instead of a replacement).
     */
    public void awaitStableWorkers(int n, Duration launchAfter, Duration atMost) throws InterruptedException {
        long deadline = System.nanoTime() + atMost.toNanos();
        long stableSince = System.nanoTime();
        long launchedAt = System.nanoTime() + launchAfter.toNanos() - 30_000_000_000L;
        int live = -1;
        while (System.nanoTime() < deadline) {
            int now = 0;
            for (JsonNode node : api.get("/api/v1/nodes")) if (node.path("role").asText().equals("worker")) now++;
            if (now != live) stableSince = System.nanoTime();
            live = now;
            // launch what is missing, then give those nodes 30 s to register before launching again (launching on every poll
            // started dozens of agents on 2 cores, which downed more of them: InPlaceReformIT, once)
            if (now < n && System.nanoTime() - launchedAt > 30_000_000_000L) {
                for (int i = now; i < n; i++) {
                    api.post("/api/v1/nodes", Json.write(Map.of("market", "spot", "instanceType",
                            LocalFleet.INSTANCE_TYPE, "gpus", 1, "pricePerHour", LocalFleet.SPOT_PRICE, "onDemandPricePerHour",
                            LocalFleet.ON_DEMAND_PRICE, "zone", "local-a")), "application/json");
                    System.out.println("TestCluster: " + now + " of " + n + " workers live; launched another");
                }
                launchedAt = System.nanoTime();
            }
            if (now < n) stableSince = System.nanoTime(); // wait for the launched ones to register
            if (now >= n && System.nanoTime() - stableSince > 5_000_000_000L) return;
            Thread.sleep(250);
        }
        throw new AssertionError(live + " of " + n + " workers live and stable for 5 s within " + atMost.toSeconds() + " s");
    }

    /**
     * Kills every process of the cluster (coordinator, control nodes, agents, each with what it started), SIGKILL: ~7 s
     * faster per cluster than {@link #stopGracefully} on 2 cores, a few minutes over the suite. An earlier kill -9 close
     * starved later agents, which then had no class data archive (the first agent to exit normally wrote it); the build
     * writes that archive now (worker-agent's package phase) and agents only map it, so no agent needs a normal exit.
     * Tests of {@code down} itself call {@link #stopGracefully} (CliIT runs the real command).
     */
    @Override
    public void close() {
        long t0 = System.nanoTime();
        allPids().stream().filter(TestCluster::ours).forEach(ProcessTree::kill);
        System.out.printf(Locale.ROOT, "TestCluster: killed in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    /**
     * A recorded pid still names one of our processes: not this JVM, and a spottrain command line (pids wrap at 32768 here,
     * and a node killed earlier in the test left its pid file behind).
     */
    static boolean ours(long pid) {
        if (pid <= 0 || pid == ProcessHandle.current().pid()) return false;
        return ProcessHandle.of(pid).flatMap(h -> h.info().commandLine()).map(c -> c.contains("spottrain")).orElse(false);
    }

    /** As {@code ./spottrain down}: shutdown through the API, then signals; then kills whatever is left. */
    public void stopGracefully() {
        List<Long> pids = allPids();
        LocalCluster.stop(stateDir, Duration.ofSeconds(20));
        pids.forEach(ProcessTree::kill); // belt and braces: nothing outlives a test
    }
}
