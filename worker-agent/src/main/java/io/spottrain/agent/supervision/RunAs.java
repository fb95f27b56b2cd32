package io.spottrain.agent.supervision;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;

/**
 * Ranks run as another, unprivileged user: {@code setpriv --reuid --regid --init-groups
 * --no-new-privs} (util-linux) before the rank's argv, so a training process cannot read the
 * agent's environment and keys through {@code /proc/<agent>/environ}, signal the agent, or gain
 * privileges. The rank's checkpoint directory and its {@code HOME} are handed to that user.
 */
public final class RunAs {
    private final String user;
    private final UserPrincipal owner;
    private final GroupPrincipal group;

    private RunAs(String user, UserPrincipal owner, GroupPrincipal group) {
        this.user = user;
        this.owner = owner;
        this.group = group;
    }

    /**
     * The user of {@code spottrain.agent.run-as}; null when it is blank. The agent must run as root
     * and the user must exist: the error says which is not so.
     */
    public static RunAs of(String user, Path probe) {
        if (user == null || user.isBlank()) return null;
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalArgumentException("spottrain.agent.run-as = " + user + " needs an agent running as root (it runs as "
                    + System.getProperty("user.name") + ")");
        }
        if (!Files.isExecutable(Path.of("/usr/bin/setpriv"))) {
            throw new IllegalArgumentException("spottrain.agent.run-as needs /usr/bin/setpriv (util-linux)");
        }
        UserPrincipalLookupService users = probe.getFileSystem().getUserPrincipalLookupService();
        try {
            UserPrincipal u = users.lookupPrincipalByName(user);
            GroupPrincipal g = users.lookupPrincipalByGroupName(primaryGroup(user));
            return new RunAs(user, u, g);
        } catch (IOException e) {
            throw new IllegalArgumentException("spottrain.agent.run-as: no user " + user + " on this machine", e);
        }
    }

    private static String primaryGroup(String user) throws IOException {
        for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
            String[] f = line.split(":");
            if (f.length > 3 && f[0].equals(user)) {
                for (String g : Files.readAllLines(Path.of("/etc/group"))) {
                    String[] gf = g.split(":");
                    if (gf.length > 2 && gf[2].equals(f[3])) return gf[0];
                }
            }
        }
        throw new IOException("no primary group of " + user);
    }

    public String user() {
        return user;
    }

    /** The rank's argv, run as the user. */
    public List<String> wrap(List<String> argv) {
        var out = new ArrayList<>(List.of("/usr/bin/setpriv", "--reuid=" + user, "--regid=" + group.getName(), "--init-groups",
                "--no-new-privs", "--"));
        out.addAll(argv);
        return out;
    }

    /** Makes {@code dir} (and what is in it) the user's, creating it if needed. */
    public Path own(Path dir) throws IOException {
        Files.createDirectories(dir);
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.toList()) {
                var view = Files.getFileAttributeView(p, PosixFileAttributeView.class);
                view.setOwner(owner);
                view.setGroup(group);
            }
        }
        return dir;
    }
}
