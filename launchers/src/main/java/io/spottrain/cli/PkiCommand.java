package io.spottrain.cli;

import io.spottrain.launchers.local.ClusterPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The cluster's certificate authority for a control plane run as a service: made once, copied to every control node. */
@Command(name = "pki", description = "The cluster CA of a control plane run as a service.", subcommands = PkiCommand.Init.class)
final class PkiCommand {

    @Command(name = "init", description = "Make the cluster CA in DIR (ca.crt, ca.key owner-only) unless one is there; print its fingerprint.")
    static final class Init implements Callable<Integer> {
        @Option(names = "--dir", required = true, description = "where the CA lives: every control node's SPOTTRAIN_CA_DIR holds a copy")
        Path dir;

        @Override
        public Integer call() {
            boolean existed = Files.isRegularFile(dir.resolve("ca.crt")) && Files.isRegularFile(dir.resolve("ca.key"));
            var pki = ClusterPki.ensureIn(dir);
            System.out.printf("cluster CA in %s (%s), SHA-256 %s%n", dir.toAbsolutePath(), existed ? "already there, kept" : "made",
                    pki.fingerprint());
            System.out.println("copy ca.crt and ca.key (owner-only) to every control node's SPOTTRAIN_CA_DIR, never to a worker: "
                    + "agents get their certificate signed by it (spottrain ec2 publish-join --ca-dir DIR)");
            return 0;
        }
    }
}
