package io.spottrain.launchers.local;

import io.spottrain.client.CliException;
import io.spottrain.coordinator.security.ApiToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * A local cluster's admin API token: {@code <state-dir>/token}, mode 0600, the token alone on one
 * line. {@code up} makes it once and keeps it across {@code down}/{@code up} of the same state
 * dir; the coordinator registers its hash; the CLI sends it unless told otherwise.
 */
public final class AdminToken {
    public static final String FILE = "token";

    private AdminToken() {}

    public static Path file(Path stateDir) {
        return stateDir.toAbsolutePath().resolve(FILE);
    }

    /** The state dir's token, made (owner-only) if there is none yet. */
    public static String ensure(Path stateDir) {
        return ensureFile(file(stateDir));
    }

    /** The token in {@code f}, made (owner-only) if there is none yet. */
    public static String ensureFile(Path f) {
        var existing = read(f);
        if (existing.isPresent()) return existing.get();
        String token = ApiToken.generate();
        try {
            Files.createDirectories(f.getParent());
            Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, token + "\n");
            Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new CliException("cannot write the admin token " + f + ": " + e.getMessage());
        }
        return token;
    }

    /** The token in {@code file}, if it exists; a file that holds no token is an error naming it. */
    public static Optional<String> read(Path file) {
        if (!Files.isRegularFile(file)) return Optional.empty();
        try {
            String t = Files.readString(file).strip();
            if (ApiToken.id(t).isEmpty()) throw new CliException(file + " holds no spottrain API token (expected st.<id>.<secret> on one line)");
            return Optional.of(t);
        } catch (IOException e) {
            throw new CliException("cannot read the API token " + file + ": " + e.getMessage());
        }
    }
}
