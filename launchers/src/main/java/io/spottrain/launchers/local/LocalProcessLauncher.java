package io.spottrain.launchers.local;

import io.spottrain.agent.node.ImdsEmulator;
import io.spottrain.agent.supervision.ProcessSupervisor;
import io.spottrain.client.CliException;
import io.spottrain.coordinator.launch.NodeLauncher;
import io.spottrain.protocol.spec.NodeMarket;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Launches worker agents as JVM processes on this machine: the default launcher everywhere here.
 * Node {@code X} keeps its local tier and rank logs under {@code <stateDir>/agents/X/}, its pid in
 * {@code agents/X/pid}, and its own log in {@code <stateDir>/logs/X.log}.
 */
public final class LocalProcessLauncher implements NodeLauncher {
    private static final Logger log = LoggerFactory.getLogger(LocalProcessLauncher.class);

    private final JavaCommand java;
    private final List<String> seeds;
    private final Path stateDir;
    private final Path jobsDir;
    private final Duration stopGrace;
    private final List<String> agentArgs;
    private final Map<String, String> agentEnv;
    private final Map<String, Launched> nodes = new ConcurrentHashMap<>();
    /** Where agents start from: the unpacked distribution (what images bake), else this build's classpath. */
    private final Optional<AgentDistribution> distribution = AgentDistribution.locate();
    private boolean closed;

    private record Launched(LaunchedNode node, Process process, ImdsEmulator imds) {}

    private final ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "spot-deadlines");
        t.setDaemon(true);
        return t;
    });

    public LocalProcessLauncher(JavaCommand java, List<String> seeds, Path stateDir, Path jobsDir, Duration stopGrace) {
        this(java, seeds, stateDir, jobsDir, stopGrace, List.of(), Map.of());
    }

    /**
     * @param agentArgs extra arguments of every agent (e.g. its remote tier)
     * @param agentEnv  extra environment of every agent (e.g. S3 keys: never on the command line)
     */
    public LocalProcessLauncher(JavaCommand java, List<String> seeds, Path stateDir, Path jobsDir, Duration stopGrace,
            List<String> agentArgs, Map<String, String> agentEnv) {
        distribution.ifPresentOrElse(d -> log.info("agents start from the agent distribution at {}", d.home()),
                () -> log.warn("no unpacked agent distribution (worker-agent/target/spottrain-agent-*; ./mvnw package builds it): agents "
                        + "start from this build's classpath"));
        this.agentArgs = List.copyOf(agentArgs);
        this.agentEnv = Map.copyOf(agentEnv);
        this.java = java;
        this.seeds = List.copyOf(seeds);
        this.stateDir = stateDir.toAbsolutePath();
        this.jobsDir = jobsDir.toAbsolutePath();
        this.stopGrace = stopGrace;
    }

    public static Path agentDir(Path stateDir, String nodeId) {
        return stateDir.resolve("agents").resolve(nodeId);
    }

    /** Pids of the training processes an agent recorded under its work dir. */
    public static List<Long> rankPids(Path agentDir) {
        Path ranks = ProcessSupervisor.pidDir(agentDir);
        if (!Files.isDirectory(ranks)) return List.of();
        try (var files = Files.list(ranks)) {
            return files.filter(f -> f.toString().endsWith(".pid")).map(ProcessTree::readPid).filter(pid -> pid > 0).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    @Override
    public List<NodeShape> shapes() {
        return LocalFleet.shapes();
    }

    /**
     * The next free name {@code node<N>}: one above every name this launcher used or finds under
     * the state dir (a node's local tier stays there after it is gone, and must not be reused).
     */
    private String nextNodeId() {
        int max = 0;
        var names = new ArrayList<>(nodes.keySet());
        try (var dirs = Files.list(stateDir.resolve("agents"))) {
            dirs.forEach(d -> names.add(d.getFileName().toString()));
        } catch (IOException e) {
            // no agents yet
        }
        for (String n : names) {
            if (n.matches("node\\d{1,9}")) max = Math.max(max, Integer.parseInt(n.substring(4)));
        }
        return "node" + (max + 1);
    }

    @Override
    public synchronized LaunchedNode launch(NodeRequest request) throws LaunchException {
        if (closed) throw new LaunchException("the launcher is closed: the cluster is shutting down", null);
        NodeRequest named = request.nodeId() == null ? request.withNodeId(nextNodeId()) : request;
        // a request that names no zone (the autoscaler's) gets one of the local fleet's two, alternating like LocalFleet's
        NodeRequest r = named.zone() != null ? named : new NodeRequest(named.nodeId(), named.market(), named.instanceType(), named.gpus(),
                named.pricePerHour(), named.onDemandPricePerHour(), named.nodeId().hashCode() % 2 == 0 ? "local-a" : "local-b", named.job(),
                named.labels());
        Launched existing = nodes.get(r.nodeId());
        if (existing != null && existing.process().isAlive()) {
            throw new LaunchException("node " + r.nodeId() + " is already running (pid " + existing.process().pid() + ")", null);
        }
        Path dir = agentDir(stateDir, r.nodeId());
        Path logFile = stateDir.resolve("logs").resolve(r.nodeId() + ".log");
        var args = new ArrayList<>(List.of(
                "--jobs-dir", jobsDir.toString(),
                "--market", r.market().label(),
                "--launched-at", Instant.now().toString(),
                "--instance-type", r.instanceType(),
                "--gpus", Integer.toString(r.gpus()),
                "--price", Double.toString(r.pricePerHour()),
                "--on-demand-price", Double.toString(r.onDemandPricePerHour()),
                "--zone", r.zone(),
                "--interruption-poll", "500ms"));
        args.addAll(agentArgs);
        // every node its own key and certificate from the cluster CA: nothing else can join
        try {
            ClusterPki.ensure(stateDir).issue(r.nodeId(), dir.resolve("tls"), List.of("127.0.0.1")); // agents serve peers on loopback here
        } catch (CliException e) {
            throw new LaunchException(e.getMessage(), e);
        }
        // every local node gets its own instance metadata service: attributes, and Spot notices on demand
        ImdsEmulator imds;
        try {
            imds = new ImdsEmulator(ImdsEmulator.instance("i-local-" + r.nodeId(), r.instanceType(), r.zone(), r.market() == NodeMarket.SPOT));
        } catch (IOException e) {
            throw new LaunchException("cannot start the IMDS emulator of " + r.nodeId() + ": " + e.getMessage(), e);
        }
        // what the machine image's unit gives its agent (etc/agent.env.example), here through the environment too
        var env = new LinkedHashMap<String, String>(Map.of(
                "SPOTTRAIN_SEEDS", String.join(",", seeds),
                "SPOTTRAIN_TLS_DIR", dir.resolve("tls").toString(),
                "SPOTTRAIN_HOST", "127.0.0.1",
                "SPOTTRAIN_NODE_ID", r.nodeId(),
                "SPOTTRAIN_WORK_DIR", dir.toString(),
                "SPOTTRAIN_IMDS", imds.endpoint().toString(),
                "SPOTTRAIN_JAVA", java.javaBin()));
        distribution.ifPresent(d -> env.put("SPOTTRAIN_CDS_DIR", d.cdsDir().toString())); // one archive for every local agent
        env.putAll(agentEnv);
        List<String> argv = distribution.map(d -> {
            var a = new ArrayList<>(List.of(d.script().toString()));
            a.addAll(args);
            return (List<String>) a;
        }).orElseGet(() -> java.argv(AgentDistribution.classpathArgs(env, args)));
        try {
            Files.createDirectories(dir);
            Files.createDirectories(logFile.getParent());
            var pb = new ProcessBuilder(argv)
                    .directory(jobsDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.environment().putAll(env);
            Process p = pb.start();
            ProcessTree.writePid(dir.resolve("pid"), p.pid());
            // A machine that dies takes its processes with it: when an agent dies (even by kill -9),
            // its training processes die too, as they would with a reclaimed Spot instance.
            p.onExit().thenRun(() -> rankPids(dir).forEach(ProcessTree::kill));
            var node = new LaunchedNode(r.nodeId(), r.market(), p.pid(), logFile.toString());
            nodes.put(r.nodeId(), new Launched(node, p, imds));
            p.onExit().thenRun(imds::close);
            log.info("launched {} ({} {}) as pid {}", r.nodeId(), r.market(), r.instanceType(), p.pid());
            return node;
        } catch (IOException e) {
            imds.close();
            throw new LaunchException("cannot launch " + r.nodeId() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void stop(String nodeId) {
        Launched l = nodes.remove(nodeId);
        if (l != null) ProcessTree.stop(l.process().pid(), stopGrace);
    }

    @Override
    public void kill(String nodeId) {
        Launched l = nodes.remove(nodeId);
        if (l != null) {
            log.info("killing {} (pid {}) and its processes with SIGKILL", nodeId, l.process().pid());
            ProcessTree.kill(l.process().pid());
        }
    }

    /** Publishes a Spot interruption notice in the node's IMDS and kills the node at the deadline. */
    @Override
    public void notice(String nodeId, Duration lead) {
        Launched l = nodes.get(nodeId);
        if (l == null) return;
        l.imds().noticeInterruption("terminate", Instant.now().plus(lead));
        log.info("Spot notice to {}: taken in {} s", nodeId, lead.toSeconds());
        deadlines.schedule(() -> kill(nodeId), lead.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public List<LaunchedNode> nodes() {
        return nodes.values().stream().filter(l -> l.process().isAlive()).map(Launched::node).toList();
    }

    /** Refuses every launch from now on, then stops every node in parallel (each: SIGTERM, grace, SIGKILL). */
    @Override
    public void close() {
        synchronized (this) {
            closed = true; // a node lost while the cluster stops gets no replacement that would outlive it
        }
        deadlines.shutdownNow();
        List<Thread> stoppers = new ArrayList<>();
        for (String id : List.copyOf(nodes.keySet())) {
            Thread t = new Thread(() -> stop(id), "stop-" + id);
            t.start();
            stoppers.add(t);
        }
        for (Thread t : stoppers) {
            try {
                t.join(stopGrace.plusSeconds(10).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
