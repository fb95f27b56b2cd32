package io.spottrain.agent;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine;

/**
 * Walks the agent's own start path once and exits, so that {@code spottrain-agent --cds-archive}
 * (run by the build and by an image bake) can write a class data archive of what an agent loads:
 * the command line, the settings, the checkpoint agent with its S3 client and peer server, the
 * node's description, Pekko's cluster and the receptionist, the agent actor. It joins no cluster (no
 * seeds), uses no TLS material, reads no instance metadata, and works in a throwaway directory.
 * Without the archive every agent JVM loads ~10,000 classes from jars; a JVM dumping one at exit
 * needs ~10 s, more than a node's stop grace, so archives written at runtime were cut short.
 */
public final class ClassWarmup {
    private ClassWarmup() {}

    public static void main(String[] args) throws Exception {
        Path work = Files.createTempDirectory("spottrain-cds-");
        try {
            new CommandLine(new AgentMain()).getUsageMessage();
            Map<String, Object> o = Map.of(
                    "spottrain.agent.work-dir", work.toString(),
                    "spottrain.agent.node-id", "cds-warmup",
                    "spottrain.agent.imds.endpoint", "",
                    "spottrain.agent.checkpoint.remote.uri", "s3://cds-warmup/checkpoints",
                    "spottrain.agent.checkpoint.remote.access-key", "cds-warmup", // no secret: nothing listens at the endpoint
                    "spottrain.agent.checkpoint.remote.secret-key", "cds-warmup",
                    // nothing listens there: the remote tier's first probe fails fast, as it does while S3 is not up yet
                    "spottrain.agent.checkpoint.remote.endpoint", "http://127.0.0.1:9");
            WorkerAgent agent = WorkerAgent.start("127.0.0.1", List.of(), ConfigFactory.parseMap(o));
            Thread.sleep(1_500); // the receptionist, the remote tier's probe and the peer server run on their own threads
            agent.system().terminate();
            agent.system().getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } finally {
            delete(work);
        }
        System.exit(0); // the JVM writes the archive now (-XX:ArchiveClassesAtExit)
    }

    private static void delete(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the warm-up's directory " + dir, e);
        }
    }
}
