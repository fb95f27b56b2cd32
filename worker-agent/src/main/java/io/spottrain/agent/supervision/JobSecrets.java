package io.spottrain.agent.supervision;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Secrets a node holds for jobs (an API key for a dataset or a tracker), one file per secret in
 * the directory {@code spottrain.agent.job-secrets-dir}, named as the environment variable a rank
 * gets it in. A rank gets only the secrets its spec names ({@code spec.secrets}); they are never
 * in the spec, never expanded into argv, and masked in what the agent reports. A named secret the
 * node lacks stops the rank from starting, naming it.
 */
public final class JobSecrets {
    public static final JobSecrets NONE = new JobSecrets(null);

    private final Path dir;

    public JobSecrets(Path dir) {
        this.dir = dir;
    }

    /** The values of {@code names}, as environment variables; throws naming the first one missing. */
    public Map<String, String> resolve(List<String> names) throws IOException {
        var out = new LinkedHashMap<String, String>();
        for (String name : names) {
            Path f = dir == null ? null : dir.resolve(name);
            if (f == null || !name.matches("[A-Za-z_][A-Za-z0-9_]*") || !Files.isRegularFile(f)) {
                throw new IOException("secret " + name + " is not provisioned on this node"
                        + (dir == null ? " (it has no spottrain.agent.job-secrets-dir)" : " (no file " + f + ")"));
            }
            out.put(name, Files.readString(f).strip());
        }
        return out;
    }

    /** Every value this node holds (the agent masks them in what it passes on). */
    public List<String> values() {
        var out = new ArrayList<String>();
        if (dir == null || !Files.isDirectory(dir)) return out;
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) out.add(Files.readString(f).strip());
        } catch (IOException e) {
            // unreadable: nothing to mask from here (the rank could not get it either)
        }
        return out;
    }
}
