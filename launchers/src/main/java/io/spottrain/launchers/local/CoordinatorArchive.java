package io.spottrain.launchers.local;

import io.spottrain.client.ApiClient;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * The coordinator's class data archive: the classes a coordinator loads to start (Ignite, Pekko, Jetty, S3Proxy, Jackson, our
 * own), dumped once by the build ({@code launchers}' package phase runs {@link #main}) and mapped by every coordinator a local
 * cluster starts from the same jars, ~3 s of each start on 2 cores (docs/benchmarks.md). It lives next to the jars
 * ({@code launchers/target/cds/}) with the classpath it was made for; a JVM only maps it for exactly that set of jars, none of
 * them newer than the archive, run by the same java. Anything else starts as before, without it (the JVM would also refuse a
 * mismatched archive, with a warning in the log). {@code -Dspottrain.cds.skip=true} skips the build step, as for agents.
 */
public final class CoordinatorArchive {
    private CoordinatorArchive() {}

    static final String JAR = "spottrain-launchers.jar";
    static final String ARCHIVE = "coordinator.jsa";
    static final String SIDECAR = "coordinator.classpath";

    /** This JVM's build: an archive is only good for the JVM build that dumped it. */
    static final String VM_VERSION = System.getProperty("java.vm.version");

    /** The distribution's own classpath under {@code target}: the launchers jar, then every jar of {@code lib/} by name. */
    public static Optional<List<Path>> distribution(Path target) {
        Path jar = target.resolve(JAR);
        Path lib = target.resolve("lib");
        if (!Files.isRegularFile(jar) || !Files.isDirectory(lib)) return Optional.empty();
        var cp = new ArrayList<Path>();
        cp.add(jar.toAbsolutePath());
        try (Stream<Path> jars = Files.list(lib)) {
            jars.filter(p -> p.toString().endsWith(".jar")).map(Path::toAbsolutePath).sorted().forEach(cp::add);
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.of(List.copyOf(cp));
    }

    /** A command that runs this JVM's java on the distribution under {@code target}, if it is built. */
    public static Optional<JavaCommand> distributionCommand(Path target, List<String> flags) {
        return distribution(target).map(cp -> JavaCommand.current(flags).withClasspath(join(cp)));
    }

    /**
     * {@code java} mapping the archive, in the archive's classpath order, when it was made for the same java and the same jars
     * and no jar changed since; else {@code java} unchanged.
     */
    public static JavaCommand mapped(JavaCommand java) {
        return withArchive(java).orElse(java);
    }

    static Optional<JavaCommand> withArchive(JavaCommand java) {
        List<Path> cp = split(java.classpath());
        Optional<Path> target = cp.stream().filter(p -> p.getFileName() != null && p.getFileName().toString().equals(JAR))
                .map(Path::getParent).findFirst();
        if (target.isEmpty()) return Optional.empty();
        Path dir = target.get().resolve("cds");
        Path archive = dir.resolve(ARCHIVE);
        Path sidecar = dir.resolve(SIDECAR);
        try {
            if (!Files.isRegularFile(archive) || !Files.isRegularFile(sidecar)) return Optional.empty();
            List<String> made = Files.readAllLines(sidecar);
            // the java that made it, at the same build (a JDK updated in place keeps its path): the coordinator runs this JVM's java
            if (made.size() != 3 || !made.get(0).equals(java.javaBin()) || !made.get(1).equals(VM_VERSION)) return Optional.empty();
            List<Path> archived = split(made.get(2));
            if (!new HashSet<>(archived).equals(new HashSet<>(cp))) return Optional.empty();
            FileTime at = Files.getLastModifiedTime(archive);
            for (Path p : archived) {
                if (!Files.isRegularFile(p) || Files.getLastModifiedTime(p).compareTo(at) > 0) return Optional.empty();
            }
            var flags = new ArrayList<>(java.jvmFlags());
            flags.addAll(List.of("-XX:SharedArchiveFile=" + archive, "-Xshare:auto", "-Xlog:cds=off", "-Xlog:cds+dynamic=off"));
            return Optional.of(java.withClasspath(made.get(2)).withFlags(flags));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Writes {@code <target>/cds/coordinator.jsa}: starts a coordinator of the distribution under {@code target} on a throwaway
     * state dir with no workers, waits for its API, stops it gracefully (the JVM dumps what it loaded as it exits), checks that a
     * JVM maps the dump ({@code -Xshare:on}: a cut-short dump could crash every coordinator that mapped it), then moves it into
     * place and records what it was made for. Nothing to do when the archive is current. Exits 1 saying why when no archive came
     * out: coordinators then start without one.
     */
    public static void main(String[] args) throws Exception {
        Path target = Path.of(args[0]).toAbsolutePath();
        JavaCommand java = distributionCommand(target, JavaCommand.COORDINATOR_FLAGS)
                .orElseThrow(() -> new IllegalStateException("no distribution under " + target + " (" + JAR + " and lib/)"));
        if (withArchive(java).isPresent()) {
            System.out.println("coordinator class data archive: up to date in " + target.resolve("cds"));
            return;
        }
        long t0 = System.nanoTime();
        Path dir = Files.createDirectories(target.resolve("cds"));
        try (Stream<Path> old = Files.list(dir)) { // what a killed build left (its pid in the name)
            for (Path f : old.filter(f -> f.getFileName().toString().endsWith(".tmp")).toList()) Files.deleteIfExists(f);
        }
        Path tmp = dir.resolve(ARCHIVE + "." + ProcessHandle.current().pid() + ".tmp");
        Path state = Files.createTempDirectory("spottrain-coordinator-cds-");
        Path log = state.resolve("coordinator.log");
        var flags = new ArrayList<>(java.jvmFlags());
        flags.add("-XX:TieredStopAtLevel=1"); // the archive holds classes, not compiled code: C2 would only slow this run
        flags.add("-XX:ArchiveClassesAtExit=" + tmp);
        int exit = 0;
        var started = new AtomicReference<Process>();
        Thread hook = new Thread(() -> { // the build killed: its coordinator and files go too
            Process running = started.get();
            if (running != null) running.destroyForcibly();
            try {
                if (running != null) running.waitFor(10, TimeUnit.SECONDS);
                Files.deleteIfExists(tmp);
            } catch (IOException | InterruptedException e) {
                // best effort at exit
            }
            deleteTree(state);
        });
        Runtime.getRuntime().addShutdownHook(hook);
        Process p = null;
        try {
            AdminToken.ensure(state);
            p = new ProcessBuilder(java.withFlags(flags).argv(List.of("coordinator", "--state-dir", state.toString(), "--workers", "0",
                    "--jobs-dir", state.toString()))).directory(state.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            started.set(p);
            awaitApi(p, state, log);
            LocalCluster.stop(state, Duration.ofSeconds(120)); // asks it to shut down; it dumps the archive on its way out
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new NoArchive("the coordinator did not exit normally after its shutdown (" + (p.isAlive() ? "still running"
                        : "exit code " + p.exitValue()) + "): its dump may be cut short", log);
            }
            if (!Files.isRegularFile(tmp) || Files.size(tmp) == 0) throw new NoArchive("the coordinator exited without writing " + tmp, log);
            var check = new ArrayList<>(List.of(java.javaBin()));
            check.addAll(java.jvmFlags());
            check.addAll(List.of("-XX:SharedArchiveFile=" + tmp, "-Xshare:on", "-Xlog:cds", "-cp", java.classpath(), "-version"));
            Process mapped = new ProcessBuilder(check).redirectErrorStream(true).redirectOutput(state.resolve("check.log").toFile()).start();
            if (!mapped.waitFor(60, TimeUnit.SECONDS) || mapped.exitValue() != 0) {
                mapped.destroyForcibly();
                throw new NoArchive("a JVM could not map the dump (-Xshare:on)", state.resolve("check.log"));
            }
            Files.deleteIfExists(dir.resolve(SIDECAR)); // no moment where a new archive has an old sidecar
            Files.move(tmp, dir.resolve(ARCHIVE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Path side = dir.resolve(SIDECAR + "." + ProcessHandle.current().pid() + ".tmp");
            Files.write(side, List.of(java.javaBin(), VM_VERSION, java.classpath()));
            Files.move(side, dir.resolve(SIDECAR), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            System.out.printf("coordinator class data archive: %s (%d MB) in %.1f s%n", dir.resolve(ARCHIVE),
                    Files.size(dir.resolve(ARCHIVE)) >> 20, (System.nanoTime() - t0) / 1e9);
        } catch (NoArchive e) {
            System.out.println("coordinator class data archive: none (" + e.getMessage() + "); coordinators start without one. Its log:\n"
                    + e.log);
            exit = 1;
        } finally {
            if (p != null && p.isAlive()) ProcessTree.kill(p.pid());
            Files.deleteIfExists(tmp);
            deleteTree(state);
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        System.exit(exit);
    }

    /** Until the coordinator serves its API (a few reads, so that their classes are archived too). */
    private static void awaitApi(Process p, Path state, Path log) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (p.isAlive() && System.nanoTime() < deadline) {
            var s = ClusterState.read(state);
            if (s.isPresent()) {
                try {
                    ApiClient api = LocalCluster.client(state, s.get().apiUrl());
                    api.get("/api/v1/health");
                    api.get("/api/v1/jobs");
                    api.get("/api/v1/nodes");
                    return;
                } catch (RuntimeException e) {
                    // not serving yet
                }
            }
            Thread.sleep(200);
        }
        throw new NoArchive(p.isAlive() ? "the coordinator did not serve its API within 120 s" : "the coordinator exited while starting", log);
    }

    /** Why no archive came out, with the end of the coordinator's log. */
    private static final class NoArchive extends RuntimeException {
        final String log;

        NoArchive(String why, Path log) {
            super(why);
            this.log = ProcessTree.tail(log, 20);
        }
    }

    static String join(List<Path> cp) {
        return String.join(File.pathSeparator, cp.stream().map(Path::toString).toList());
    }

    static List<Path> split(String classpath) {
        var out = new ArrayList<Path>();
        for (String e : classpath.split(File.pathSeparator)) if (!e.isBlank()) out.add(Path.of(e).toAbsolutePath().normalize());
        return out;
    }

    /** The throwaway state dir, best effort: one left behind is no failure of the archive. */
    private static void deleteTree(Path root) {
        try {
            CheckpointDir.deleteTree(root);
        } catch (IOException | RuntimeException e) {
            // best effort
        }
    }
}
