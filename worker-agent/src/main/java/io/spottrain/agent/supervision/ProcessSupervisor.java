package io.spottrain.agent.supervision;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spottrain.protocol.contract.Contract;
import io.spottrain.protocol.contract.ControlServer;
import io.spottrain.protocol.wire.AgentProtocol;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Starts training processes with the torchrun-compatible environment and the SPOTTRAIN_*
 * variables of the training contract, sends their output to a log file, and stops them (with
 * everything they started) on request. Thread-safe.
 */
public final class ProcessSupervisor {
    private static final Pattern VAR = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

    private final String nodeId;
    private final Path workDir;
    private final Path defaultJobDir;
    private final Map<String, RankProcess> running = new ConcurrentHashMap<>();
    private final RunAs runAs;
    private final JobSecrets secrets;

    public ProcessSupervisor(String nodeId, Path workDir, Path defaultJobDir) {
        this(nodeId, workDir, defaultJobDir, null, JobSecrets.NONE);
    }

    /**
     * With {@code runAs} (null: the agent's own user) ranks run as that unprivileged user; the
     * secrets a job's spec names come from {@code secrets} (the node's provisioned secrets).
     */
    public ProcessSupervisor(String nodeId, Path workDir, Path defaultJobDir, RunAs runAs, JobSecrets secrets) {
        this.nodeId = nodeId;
        this.workDir = workDir;
        this.defaultJobDir = defaultJobDir;
        this.runAs = runAs;
        this.secrets = secrets;
    }

    /** The environment a rank gets on top of the agent's own. */
    public Map<String, String> rankEnv(AgentProtocol.StartGeneration s) {
        var env = new LinkedHashMap<String, String>(s.env());
        env.put("RANK", Integer.toString(s.rank()));
        env.put("WORLD_SIZE", Integer.toString(s.worldSize()));
        env.put("LOCAL_RANK", "0");
        env.put("LOCAL_WORLD_SIZE", "1");
        env.put("MASTER_ADDR", s.masterAddr());
        env.put("MASTER_PORT", Integer.toString(s.masterPort()));
        env.put("SPOTTRAIN_JOB", s.jobId());
        env.put("SPOTTRAIN_GENERATION", Long.toString(s.generation()));
        env.put("SPOTTRAIN_NODE", nodeId);
        env.put("SPOTTRAIN_CHECKPOINT_DIR", checkpointDir(s.jobId()).toString());
        env.put("SPOTTRAIN_RESUME_STEP", Long.toString(s.resumeStep()));
        env.put("SPOTTRAIN_CHECKPOINT_INTERVAL", Long.toString(s.checkpointInterval()));
        if (s.standby()) env.put(Contract.STANDBY, "1");
        return env;
    }

    /** A port free on {@code host} now (for a rendezvous: rank 0 binds it), outside the ephemeral range ({@link RendezvousPorts}). */
    public static int freePort(String host) throws IOException {
        return RendezvousPorts.free(host);
    }

    /** Every job-secret value this node holds (to be masked in reports). */
    public List<String> secretValues() {
        return secrets.values();
    }

    public Path checkpointDir(String jobId) {
        return workDir.resolve("checkpoints").resolve(jobId);
    }

    /**
     * Starts a rank with its own {@code SPOTTRAIN_CONTROL} endpoint whose messages go to
     * {@code onContract}; throws with a one-line reason when the program cannot be started.
     */
    public RankProcess start(AgentProtocol.StartGeneration s, Consumer<JsonNode> onContract)
            throws IOException {
        Map<String, String> env = rankEnv(s);
        ControlServer control = new ControlServer(onContract);
        env.putAll(control.env());
        try {
            return start(s, env, control);
        } catch (IOException | RuntimeException e) {
            control.close();
            throw e;
        }
    }

    private RankProcess start(AgentProtocol.StartGeneration s, Map<String, String> env, ControlServer control) throws IOException {
        // ${VAR} in argv expands from the job's env and the contract's variables only: never from the
        // agent's environment (its S3 keys, tokens); the control token is the rank's own and not expanded
        Map<String, String> expandable = new LinkedHashMap<>(env);
        expandable.remove(Contract.CONTROL_TOKEN);
        List<String> argv = s.argv().stream().map(a -> expand(a, expandable)).toList();
        Path dir = s.workingDir() == null || s.workingDir().isBlank() ? defaultJobDir : defaultJobDir.resolve(s.workingDir());
        if (!Files.isDirectory(dir)) {
            throw new IOException("working directory " + dir + " does not exist");
        }
        Path logs = workDir.resolve("logs");
        Files.createDirectories(logs);
        Files.createDirectories(checkpointDir(s.jobId()));
        Path log = logFile(s);
        env.putAll(secrets.resolve(s.secrets())); // after ${VAR} expansion: a secret never lands on a command line
        List<String> command = argv;
        if (runAs != null) {
            runAs.own(checkpointDir(s.jobId()));
            Path home = runAs.own(workDir.resolve("home"));
            env.put("HOME", home.toString());
            command = runAs.wrap(argv);
        }
        var pb = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().clear();
        pb.environment().putAll(RankEnvironment.inherited(System.getenv()));
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage();
            throw new IOException("cannot run " + argv.get(0) + " in " + dir + ": "
                    + why.replaceFirst("^Cannot run program \"[^\"]*\"[^:]*: ", ""), e);
        }
        var rp = new RankProcess(s.jobId(), s.generation(), s.rank(), p, log, control);
        running.put(key(s.jobId(), s.generation()), rp);
        Path pidFile = pidDir(workDir).resolve(s.jobId() + "-g" + s.generation() + "-rank" + s.rank() + ".pid");
        writePid(pidFile, p.pid());
        p.onExit().thenRun(() -> {
            running.values().removeIf(r -> r.process() == p); // under whichever generation a re-form moved it to
            try {
                if (Files.exists(pidFile) && Files.readString(pidFile).strip().equals(Long.toString(p.pid()))) Files.delete(pidFile);
            } catch (IOException ignored) {
                // a stale pid file names a dead process; readers check liveness
            }
        });
        return rp;
    }

    /** The rank's output file. */
    public Path logFile(AgentProtocol.StartGeneration s) {
        return logFile(s.jobId(), s.generation(), s.rank());
    }

    /** Where rank output files live on this node. */
    public Path logDir() {
        return workDir.resolve("logs");
    }

    /** The output file of a job's rank in a generation (whether or not it exists). */
    public Path logFile(String jobId, long generation, int rank) {
        return workDir.resolve("logs").resolve(jobId + "-g" + generation + "-rank" + rank + ".log");
    }

    /** Stops a rank at once, with everything it started (SIGTERM, SIGKILL after 2 s). */
    public void kill(String jobId, long generation) {
        RankProcess rp = running.get(key(jobId, generation));
        if (rp != null) stopTree(rp.process().toHandle(), Duration.ofSeconds(2));
    }

    /**
     * Where the agent records the pid of each running rank ({@code <workDir>/ranks/*.pid}), so
     * that whoever outlives a killed agent (the local launcher, {@code down}) can stop its ranks as
     * a lost machine would.
     */
    public static Path pidDir(Path workDir) {
        return workDir.resolve("ranks");
    }

    private static void writePid(Path file, long pid) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, pid + "\n");
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Stops a rank: the contract's {@code stop} first (it exits at its next step boundary), then
     * after half the grace SIGTERM to it and everything it started, SIGKILL after the rest.
     */
    public CompletableFuture<Void> stop(String jobId, long generation, Duration grace) {
        RankProcess rp = running.get(key(jobId, generation));
        if (rp == null) return CompletableFuture.completedFuture(null);
        if (rp.control().send(ControlServer.message(Contract.STOP))) {
            return rp.process().onExit().thenApply(p -> (Void) null)
                    .completeOnTimeout(null, grace.toMillis() / 2, TimeUnit.MILLISECONDS)
                    .thenCompose(v -> rp.process().isAlive() ? stopTree(rp.process().toHandle(), grace.dividedBy(2))
                            : CompletableFuture.completedFuture(null));
        }
        return stopTree(rp.process().toHandle(), grace);
    }

    /** An in-place re-form moved the job's rank process from generation {@code from} to {@code to}, as rank {@code rank}. */
    public void rekey(String jobId, long from, long to, int rank) {
        RankProcess rp = running.remove(key(jobId, from));
        if (rp != null) running.put(key(jobId, to), new RankProcess(jobId, to, rank, rp.process(), rp.logFile(), rp.control()));
    }

    /**
     * A rank broke the control channel's limits (it is already disconnected): the reason becomes
     * the last line of its log, so its exit report tells the job why, and it is stopped at once.
     */
    public void killForViolation(AgentProtocol.StartGeneration s, String reason) {
        RankProcess rp = running.get(key(s.jobId(), s.generation()));
        Path log = rp == null ? logFile(s) : rp.logFile();
        try {
            Files.writeString(log, "\nspottrain-agent: rank " + s.rank() + " " + reason + "; stopped\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            // the exit report then lacks the reason line; the agent's log has it
        }
        kill(s.jobId(), s.generation());
    }

    /** Stops this job's ranks of generations before {@code generation} (a closed generation must not linger). */
    public void stopOlderGenerations(String jobId, long generation, Duration grace) {
        running.values().stream().filter(r -> r.jobId().equals(jobId) && r.generation() < generation)
                .forEach(r -> stopTree(r.process().toHandle(), grace));
    }

    /** Sends a contract request to a running rank; false when it is not running or not connected. */
    public boolean request(String jobId, long generation, ObjectNode message) {
        RankProcess rp = running.get(key(jobId, generation));
        return rp != null && rp.control().send(message);
    }

    /** Stops every rank at once (agent shutdown). */
    public void stopAll(Duration grace) {
        var all = new ArrayList<CompletableFuture<Void>>();
        running.values().forEach(rp -> all.add(stopTree(rp.process().toHandle(), grace)));
        try {
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(grace.toMillis() + 2000, TimeUnit.MILLISECONDS);
        } catch (Exception ignored) {
            // best effort during shutdown
        }
    }

    public int runningCount() {
        return running.size();
    }

    static CompletableFuture<Void> stopTree(ProcessHandle root, Duration grace) {
        List<ProcessHandle> tree = new ArrayList<>(root.descendants().toList());
        tree.add(root);
        tree.forEach(ProcessHandle::destroy);
        return CompletableFuture.allOf(tree.stream().map(ProcessHandle::onExit).toArray(CompletableFuture[]::new))
                .completeOnTimeout(null, grace.toMillis(), TimeUnit.MILLISECONDS)
                .thenRun(() -> tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly));
    }

    /** Replaces {@code ${VAR}} with the rank's environment; unknown names stay as written. */
    static String expand(String arg, Map<String, String> env) {
        Matcher m = VAR.matcher(arg);
        var sb = new StringBuilder();
        while (m.find()) {
            String v = env.get(m.group(1));
            m.appendReplacement(sb, Matcher.quoteReplacement(v == null ? m.group() : v));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /** The last {@code maxLines} lines of a log file (reads at most the last 8 KiB). */
    public static String tail(Path file, int maxLines) {
        try (var raf = new RandomAccessFile(file.toFile(), "r")) {
            long len = raf.length();
            long from = Math.max(0, len - 8192);
            byte[] buf = new byte[(int) (len - from)];
            raf.seek(from);
            raf.readFully(buf);
            List<String> lines = new String(buf, StandardCharsets.UTF_8).lines().toList();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - maxLines), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }

    private static String key(String jobId, long generation) {
        return jobId + "#" + generation;
    }
}
