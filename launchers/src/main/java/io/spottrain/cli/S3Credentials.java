package io.spottrain.cli;

import io.spottrain.client.CliException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Properties;

/**
 * The embedded S3 server's keys of a local cluster, in {@code <state-dir>/s3.credentials}
 * (owner-only), so that {@code checkpoints pull} can read the remote tier. Never printed.
 * For a real S3, keys come from the environment ({@code SPOTTRAIN_S3_ACCESS_KEY},
 * {@code SPOTTRAIN_S3_SECRET_KEY}) or the AWS default chain.
 */
final class S3Credentials {
    static final String FILE = "s3.credentials";

    private S3Credentials() {}

    static void write(Path stateDir, String access, String secret) throws IOException {
        Path f = stateDir.resolve(FILE);
        Files.deleteIfExists(f);
        Files.createFile(f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        var p = new Properties();
        p.setProperty("access", access);
        p.setProperty("secret", secret);
        try (var out = Files.newOutputStream(f)) {
            p.store(out, "keys of the local cluster's embedded S3 server");
        }
    }

    /** {access, secret}: from the state dir, else the environment, else nulls (AWS default chain). */
    static String[] read(Path stateDir) {
        Path f = stateDir.resolve(FILE);
        if (Files.isRegularFile(f)) {
            var p = new Properties();
            try (var in = Files.newInputStream(f)) {
                p.load(in);
                return new String[] {p.getProperty("access"), p.getProperty("secret")};
            } catch (IOException e) {
                throw new CliException("cannot read " + f + ": " + e.getMessage());
            }
        }
        return new String[] {System.getenv("SPOTTRAIN_S3_ACCESS_KEY"), System.getenv("SPOTTRAIN_S3_SECRET_KEY")};
    }
}
