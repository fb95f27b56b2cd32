package io.spottrain.launchers.local;

import io.spottrain.agent.AgentMain;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The unpacked agent distribution ({@code worker-agent/target/spottrain-agent-<version>/}, the same
 * layout as the tarball a machine image bakes), which local clusters start their agents from: what
 * the tests run is what gets baked. Found through {@code -Dspottrain.agent.dist=DIR}, else
 * {@code $SPOTTRAIN_HOME} (set by {@code ./spottrain}), else next to the build the agent's classes
 * come from, else under the working directory or its parents.
 */
public record AgentDistribution(Path home) {

    public Path script() {
        return home.resolve("bin").resolve("spottrain-agent");
    }

    /** Where this machine's agents share their class data archive (one per JVM and jar set; the script keys it). */
    public Path cdsDir() {
        return home.getParent().resolve("cds");
    }

    public static Optional<AgentDistribution> locate() {
        var targets = new ArrayList<Path>();
        String explicit = System.getProperty("spottrain.agent.dist");
        if (explicit != null && !explicit.isBlank()) return at(Path.of(explicit));
        String home = System.getenv("SPOTTRAIN_HOME");
        if (home != null && !home.isBlank()) targets.add(Path.of(home).resolve("worker-agent/target"));
        codeSource().ifPresent(targets::add);
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) targets.add(p.resolve("worker-agent/target"));
        return targets.stream().map(AgentDistribution::in).flatMap(Optional::stream).findFirst();
    }

    /** A distribution whose home is {@code dir} (or the one directory inside it), when its script is there and executable. */
    static Optional<AgentDistribution> at(Path dir) {
        for (Path candidate : List.of(dir, dir.resolve(dir.getFileName()))) {
            if (Files.isExecutable(candidate.resolve("bin").resolve("spottrain-agent"))) return Optional.of(new AgentDistribution(candidate));
        }
        return Optional.empty();
    }

    /** The unpacked distribution in a build's {@code worker-agent/target}. */
    static Optional<AgentDistribution> in(Path target) {
        if (!Files.isDirectory(target)) return Optional.empty();
        try (Stream<Path> s = Files.list(target)) {
            // the newest build's (an older version's folder may linger until mvn clean)
            return s.filter(p -> Files.isDirectory(p) && p.getFileName().toString().startsWith("spottrain-agent-"))
                    .map(AgentDistribution::at).flatMap(Optional::stream)
                    .max(Comparator.comparingLong(d -> d.home().toFile().lastModified()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Without a distribution (a build that did not package the agent): {@code spottrain agent} on
     * this build's classpath, with the settings the script would read from {@code env} as arguments.
     */
    static List<String> classpathArgs(Map<String, String> env, List<String> args) {
        var out = new ArrayList<>(List.of("agent", "--node-id", env.get("SPOTTRAIN_NODE_ID"), "--work-dir", env.get("SPOTTRAIN_WORK_DIR"),
                "--tls-dir", env.get("SPOTTRAIN_TLS_DIR"), "--host", env.get("SPOTTRAIN_HOST"), "--imds", env.get("SPOTTRAIN_IMDS")));
        for (String seed : env.get("SPOTTRAIN_SEEDS").split(",")) out.addAll(List.of("--seed", seed));
        out.addAll(args);
        return out;
    }

    /** {@code worker-agent/target} when the agent's classes are that build's ({@code target/classes} or the module's jar in it). */
    private static Optional<Path> codeSource() {
        try {
            var source = AgentMain.class.getProtectionDomain().getCodeSource();
            if (source == null) return Optional.empty();
            Path p = Path.of(source.getLocation().toURI());
            Path target = p.getParent(); // .../worker-agent/target/classes or .../worker-agent/target/spottrain-worker-agent-V.jar
            return target != null && target.getFileName() != null && target.getFileName().toString().equals("target")
                    ? Optional.of(target) : Optional.empty();
        } catch (URISyntaxException | SecurityException e) {
            return Optional.empty();
        }
    }
}
