package io.spottrain.launchers.local;

import io.spottrain.client.ApiClient;
import io.spottrain.client.CliException;
import io.spottrain.protocol.tls.NodeTls;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;

/**
 * Starts and stops a whole local cluster in the background: one coordinator process (role
 * control), which launches the worker agents through {@link LocalProcessLauncher}. Everything of
 * the run lives under the state dir; {@link #stop} leaves no process behind.
 */
public final class LocalCluster {
    private LocalCluster() {}

    /** How a local cluster is shaped: {@code workers} agents, of which {@code onDemand} are on-demand. */
    public record Shape(int workers, int onDemand, int controlNodes) {
        public Shape {
            if (workers < 0) throw new CliException("--workers must be >= 0, got " + workers);
            if (onDemand < 0 || onDemand > workers) {
                throw new CliException("--on-demand-workers must be between 0 and --workers (" + workers + "), got " + onDemand);
            }
            if (controlNodes < 1 || controlNodes > 5) throw new CliException("--control-nodes must be between 1 and 5, got " + controlNodes);
        }

        public Shape(int workers, int onDemand) {
            this(workers, onDemand, 1);
        }
    }

    /** An API client of the cluster under {@code stateDir} with its admin token (and its API certificate, if it serves HTTPS). */
    public static ApiClient client(Path stateDir, String apiUrl) {
        return new ApiClient(apiUrl, AdminToken.read(AdminToken.file(stateDir)).orElse(null), apiTrust(stateDir));
    }

    /** Where a local cluster started with --tls-cert keeps a copy of the API's certificate, for its clients to trust. */
    public static Path apiCertificate(Path stateDir) {
        return stateDir.toAbsolutePath().resolve("api.crt");
    }

    /** Trust for the local cluster's HTTPS API (null: plain HTTP). */
    public static SSLContext apiTrust(Path stateDir) {
        Path f = apiCertificate(stateDir);
        return Files.isRegularFile(f) ? NodeTls.trusting(f) : null;
    }

    /** Starts the cluster and returns once the API answers and every worker has registered. */
    public static ClusterState start(Path stateDir, Shape shape, Path jobsDir, Duration timeout, JavaCommand java) {
        return start(stateDir, shape, jobsDir, timeout, java, List.of());
    }

    /** As above, with extra arguments for the coordinator process (e.g. {@code --no-s3}, {@code --s3-endpoint URL}). */
    public static ClusterState start(Path stateDir, Shape shape, Path jobsDir, Duration timeout, JavaCommand java,
            List<String> coordinatorArgs) {
        Path dir = stateDir.toAbsolutePath();
        ClusterState.read(dir).filter(ClusterState::alive).ifPresent(s -> {
            throw new CliException("a cluster is already running under " + dir + " (API " + s.apiUrl()
                    + "); stop it with ./spottrain down" + stateDirFlag(dir));
        });
        ClusterState.delete(dir);
        AdminToken.ensure(dir); // the coordinator registers it; the CLI sends it
        Path log = dir.resolve("logs").resolve("control1.log");
        Process p;
        try {
            Files.createDirectories(log.getParent());
            var args = new ArrayList<>(List.of("coordinator", "--state-dir", dir.toString(), "--workers", Integer.toString(shape.workers()),
                    "--on-demand-workers", Integer.toString(shape.onDemand()), "--jobs-dir", jobsDir.toAbsolutePath().toString()));
            args.addAll(coordinatorArgs);
            var argv = new ArrayList<String>();
            if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
                argv.add("/usr/bin/setsid"); // its own session: a Ctrl-C in this terminal does not reach the cluster
            }
            argv.addAll(coordinatorCommand(java).argv(args));
            p = new ProcessBuilder(argv).directory(jobsDir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
        } catch (IOException e) {
            throw new CliException("cannot start the coordinator: " + e.getMessage());
        }
        Instant deadline = Instant.now().plus(timeout);
        String lastProblem = "the coordinator did not write " + ClusterState.FILE;
        ClusterState up = null;
        while (up == null && Instant.now().isBefore(deadline)) {
            if (!p.isAlive()) {
                stop(dir, Duration.ofSeconds(10));
                throw new CliException("the coordinator exited with code " + p.exitValue() + " while starting; see " + log
                        + lastLines(log));
            }
            var state = ClusterState.read(dir);
            if (state.isPresent()) {
                try {
                    long ready = countReadyWorkers(client(dir, state.get().apiUrl()));
                    if (ready >= shape.workers()) up = state.get();
                    lastProblem = ready + " of " + shape.workers() + " workers registered";
                } catch (RuntimeException e) {
                    lastProblem = e.getMessage();
                }
            }
            if (up == null) sleep(200);
        }
        if (up == null) {
            stop(dir, Duration.ofSeconds(10));
            throw new CliException("the local cluster did not come up within " + timeout.toSeconds() + "s: " + lastProblem
                    + "; logs in " + dir.resolve("logs"));
        }
        // extra control nodes, one after the other (each joins the Pekko cluster and the Ignite baseline);
        // a node that does not come up is killed with everything else: nothing is left behind
        for (int k = 2; k <= shape.controlNodes(); k++) {
            try {
                startControlNode(dir, "control" + k, up, jobsDir, java, coordinatorArgs, Instant.now().plus(CONTROL_NODE_TIMEOUT));
            } catch (RuntimeException e) {
                stop(dir, Duration.ofSeconds(10));
                throw e;
            }
        }
        return up;
    }

    /**
     * A coordinator's command: its flags, the class data archive's where it fits (CoordinatorArchive), then the user's
     * {@value JavaCommand#EXTRA_FLAGS_ENV} (last, so that an -Xshare:off or -Xlog:cds there wins).
     */
    static JavaCommand coordinatorCommand(JavaCommand java) {
        JavaCommand mapped = CoordinatorArchive.mapped(java.withFlags(JavaCommand.COORDINATOR_FLAGS));
        return mapped.withClusterFlags(mapped.jvmFlags());
    }

    /** How long one extra control node may take to serve its API and be Up (Ignite joins the baseline and rebalances first). */
    static final Duration CONTROL_NODE_TIMEOUT = Duration.ofSeconds(90);

    /**
     * Starts an extra control node: it joins the cluster through the first one (Pekko seed and
     * Ignite discovery), serves the API and can take over the job manager. Returns once it answers.
     */
    private static void startControlNode(Path dir, String id, ClusterState first, Path jobsDir, JavaCommand java,
            List<String> coordinatorArgs, Instant deadline) {
        var control1 = ControlNodeState.all(dir).stream().filter(c -> c.id().equals("control1")).findFirst()
                .orElseThrow(() -> new CliException("control1 did not record its state store address under " + dir.resolve("control")));
        Path log = dir.resolve("logs").resolve(id + ".log");
        var args = new ArrayList<>(List.of("coordinator", "--state-dir", dir.toString(), "--node-id", id, "--seed", first.clusterEndpoint(),
                "--store-peers", control1.storeAddress(), "--jobs-dir", jobsDir.toAbsolutePath().toString()));
        // the same store kind as control1 (the remote-tier and launcher flags concern control1 only)
        int i = coordinatorArgs.indexOf("--store");
        if (i >= 0 && i + 1 < coordinatorArgs.size()) args.addAll(List.of("--store", coordinatorArgs.get(i + 1)));
        if (coordinatorArgs.contains("--no-s3")) args.add("--no-s3"); // the same remotes allowed to jobs
        for (String flag : List.of("--api-tls-cert", "--api-tls-key")) { // the same HTTPS
            int k = coordinatorArgs.indexOf(flag);
            if (k >= 0 && k + 1 < coordinatorArgs.size()) args.addAll(List.of(flag, coordinatorArgs.get(k + 1)));
        }
        var argv = new ArrayList<String>();
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) argv.add("/usr/bin/setsid");
        argv.addAll(coordinatorCommand(java).argv(args));
        Process p;
        try {
            p = new ProcessBuilder(argv).directory(jobsDir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        } catch (IOException e) {
            throw new CliException("cannot start control node " + id + ": " + e.getMessage());
        }
        String missing = "it wrote no state file yet (still joining the cluster and the state store?)";
        while (Instant.now().isBefore(deadline)) {
            if (!p.isAlive()) {
                throw new CliException("control node " + id + " exited with code " + p.exitValue() + " while starting; see " + log + lastLines(log));
            }
            var mine = ControlNodeState.all(dir).stream().filter(c -> c.id().equals(id) && c.pid() == p.pid()).findFirst();
            if (mine.isPresent()) {
                // serving its API, and a member of the cluster: Up as the first control node and as itself sees it (one still
                // Joining when the first is lost has no leader to make it Up nor to down it: ControlPlaneIT's 2-node split once)
                String seen = memberState(client(dir, mine.get().apiUrl()), id, mine.get().clusterEndpoint(), "its API at " + mine.get().apiUrl());
                String firstSeen = seen.equals("UP")
                        ? memberState(client(dir, first.apiUrl()), id, mine.get().clusterEndpoint(), "control1's API at " + first.apiUrl())
                        : "";
                if (seen.equals("UP") && firstSeen.equals("UP")) return;
                missing = seen.equals("UP") ? "control1 sees it " + firstSeen : "it sees itself " + seen;
            }
            sleep(200);
        }
        ProcessTree.kill(p.pid()); // not recorded anywhere yet: nobody else would stop it
        throw new CliException("control node " + id + " did not come up within " + CONTROL_NODE_TIMEOUT.toSeconds() + "s: " + missing
                + "; see " + log + lastLines(log));
    }

    /**
     * How {@code api}'s coordinator lists control node {@code id} (cluster endpoint {@code endpoint}): UP if any entry says so,
     * else the states it lists (JOINING, WEAKLYUP...), "not listed", or why {@code which} did not answer.
     */
    static String memberState(ApiClient api, String id, String endpoint, String which) {
        try {
            var states = new ArrayList<String>();
            for (var node : api.get("/api/v1/nodes")) {
                boolean it = node.path("id").asText().equals(id) || node.path("address").asText().endsWith("@" + endpoint);
                if (!it || !node.path("role").asText().equals("control")) continue;
                if (node.path("state").asText().equals("UP")) return "UP";
                states.add(node.path("state").asText());
            }
            return states.isEmpty() ? "not listed as a member" : String.join("/", states);
        } catch (RuntimeException e) {
            return "unknown (" + which + " did not answer: " + e.getMessage() + ")";
        }
    }

    static long countReadyWorkers(ApiClient api) {
        var nodes = api.get("/api/v1/nodes");
        long n = 0;
        for (var node : nodes) {
            if (node.path("role").asText().equals("worker") && !node.path("state").asText().equals("LOST")) n++;
        }
        return n;
    }

    /**
     * Stops the cluster: asks the coordinator to shut down (it stops its agents), then SIGTERM and
     * finally SIGKILL to every process recorded under the state dir. Returns how many were running.
     */
    public static int stop(Path stateDir, Duration grace) {
        Path dir = stateDir.toAbsolutePath();
        var state = ClusterState.read(dir);
        List<Long> pids = new ArrayList<>();
        state.ifPresent(s -> pids.add(s.coordinatorPid()));
        var controls = ControlNodeState.all(dir);
        controls.forEach(c -> {
            if (!pids.contains(c.pid())) pids.add(c.pid());
        });
        pids.addAll(agentPids(dir));
        int running = (int) pids.stream().filter(ProcessTree::alive).count();
        String token = AdminToken.read(AdminToken.file(dir)).orElse(null);
        // extra control nodes first (they launched nothing), then the one that runs the launcher
        for (var c : controls) {
            if (c.id().equals("control1") || !c.alive()) continue;
            try {
                new ApiClient(c.apiUrl(), token, apiTrust(dir)).post("/api/v1/shutdown", "", "application/json");
            } catch (RuntimeException ignored) {
                // the signals below still stop it
            }
        }
        if (state.isPresent() && state.get().alive()) {
            try {
                new ApiClient(state.get().apiUrl(), token, apiTrust(dir)).post("/api/v1/shutdown", "", "application/json");
            } catch (RuntimeException ignored) {
                // it may be wedged: the signals below still stop it
            }
            Instant deadline = Instant.now().plus(grace);
            while (Instant.now().isBefore(deadline) && pids.stream().anyMatch(ProcessTree::alive)) {
                sleep(100);
            }
        }
        if (state.isEmpty() || !state.get().alive()) {
            // no first control node to stop the rest: wait for the extra ones and the agents to go
            Instant deadline = Instant.now().plus(grace);
            while (Instant.now().isBefore(deadline) && pids.stream().anyMatch(ProcessTree::alive)) sleep(100);
        }
        pids.stream().filter(ProcessTree::alive).forEach(pid -> ProcessTree.stop(pid, Duration.ofSeconds(5)));
        ClusterState.delete(dir);
        controls.forEach(c -> {
            try {
                Files.deleteIfExists(dir.resolve("control").resolve(c.id() + ".json"));
            } catch (IOException ignored) {
                // best effort
            }
        });
        return running;
    }

    /** Pids of the agents launched under this state dir (agents/X/pid) and of their training processes. */
    public static List<Long> agentPids(Path stateDir) {
        Path agents = stateDir.resolve("agents");
        if (!Files.isDirectory(agents)) return List.of();
        try (Stream<Path> dirs = Files.list(agents)) {
            var pids = new ArrayList<Long>();
            dirs.forEach(d -> {
                long pid = ProcessTree.readPid(d.resolve("pid"));
                if (pid > 0) pids.add(pid);
                pids.addAll(LocalProcessLauncher.rankPids(d));
            });
            return pids;
        } catch (IOException e) {
            return List.of();
        }
    }

    private static String stateDirFlag(Path dir) {
        return dir.equals(Path.of(".spottrain").toAbsolutePath()) ? "" : " --state-dir " + dir;
    }

    private static String lastLines(Path log) {
        String tail = ProcessTree.tail(log, 5);
        return tail.isBlank() ? "" : ":\n" + tail;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        }
    }
}
