package io.spottrain.agent;

import com.typesafe.config.Config;
import io.spottrain.agent.checkpoint.CheckpointAgent;
import io.spottrain.agent.checkpoint.RemoteSettings;
import io.spottrain.agent.gpu.GpuProbe;
import io.spottrain.agent.node.InstanceMetadata;
import io.spottrain.agent.node.InterruptionWatcher;
import io.spottrain.agent.supervision.JobSecrets;
import io.spottrain.agent.supervision.ProcessSupervisor;
import io.spottrain.agent.supervision.RunAs;
import io.spottrain.protocol.tls.ClusterSslEngineProvider;
import io.spottrain.protocol.tls.NodeTls;
import io.spottrain.protocol.wire.AgentProtocol;
import io.spottrain.protocol.wire.ClusterConfig;
import io.spottrain.protocol.wire.NodeInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A worker node: a Pekko cluster member with role {@code worker} running the {@link Agent}. */
public final class WorkerAgent implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WorkerAgent.class);

    private final ActorSystem<?> system;
    private final NodeInfo node;
    private final ProcessSupervisor supervisor;

    private WorkerAgent(ActorSystem<?> system, NodeInfo node, ProcessSupervisor supervisor) {
        this.system = system;
        this.node = node;
        this.supervisor = supervisor;
    }

    /**
     * Joins the cluster through {@code seeds} (host:port of control nodes) and starts the agent.
     * {@code overrides} carries {@code spottrain.agent.*} and any Pekko setting.
     */
    public static WorkerAgent start(String host, List<String> seeds, Config overrides) {
        Config config = ClusterConfig.node(ClusterConfig.ROLE_WORKER, host, 0, seeds, overrides);
        AgentSettings settings = AgentSettings.create(config);
        CheckpointAgent checkpoints;
        try {
            SSLContext tls = config.hasPath(ClusterSslEngineProvider.DIR)
                    ? NodeTls.in(Path.of(config.getString(ClusterSslEngineProvider.DIR))).sslContext() : null;
            checkpoints = new CheckpointAgent(settings.workDir(), RemoteSettings.create(config, System.getenv()), host,
                    config.getInt("spottrain.agent.checkpoint.peer-port"), tls);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve the local checkpoint tier: " + e.getMessage(), e);
        }
        NodeInfo node = NodeInfoSource.describe(settings, host).withPeerUrl(checkpoints.peerUrl());
        var supervisor = new ProcessSupervisor(settings.nodeId(), settings.workDir(), settings.defaultJobDir(),
                RunAs.of(config.getString("spottrain.agent.run-as"), settings.workDir()), new JobSecrets(
                config.getString("spottrain.agent.job-secrets-dir").isBlank() ? null : Path.of(config.getString("spottrain.agent.job-secrets-dir"))));
        var gpus = GpuProbe.start(config.getString("spottrain.agent.gpu.nvidia-smi"), config.getDuration("spottrain.agent.gpu.sample-interval"));
        ActorSystem<AgentProtocol.Command> system = ActorSystem.create(
                Agent.create(node, supervisor, checkpoints, settings.stopGrace(), gpus::latest,
                        config.getDuration("spottrain.agent.logs.archive-interval")), ClusterConfig.SYSTEM_NAME, config);
        InstanceMetadata imds = settings.imdsEndpoint().isBlank() ? null : new InstanceMetadata(
                settings.imdsEndpoint().equals("auto") ? InstanceMetadata.EC2_ENDPOINT : URI.create(settings.imdsEndpoint()),
                settings.imdsTimeout());
        var watcher = new InterruptionWatcher(imds, config.getDuration("spottrain.agent.interruption.poll-interval"),
                n -> system.tell(new Agent.NoticeSeen(n)));
        system.getWhenTerminated().thenRun(() -> {
            gpus.close();
            watcher.close();
            checkpoints.close();
        });
        // SIGTERM is a notice too: tell the job manager first, then (a later phase) stop the ranks
        CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "interruption-notice", () -> {
            if (CoordinatedShutdown.get(system).getShutdownReason().filter(r -> r instanceof CoordinatedShutdown.JvmExitReason$)
                    .isPresent()) {
                watcher.sigterm(settings.stopGrace());
            }
            return CompletableFuture.completedFuture(Done.getInstance());
        });
        // A node that leaves (SIGTERM, downing) takes its training processes with it.
        CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceStop(), "stop-ranks", () -> {
            if (supervisor.runningCount() > 0) {
                log.info("agent {} stopping {} training process(es)", node.nodeId(), supervisor.runningCount());
            }
            // after a notice the job manager checkpoints and stops our ranks itself: give it the grace to do so
            long deadline = System.currentTimeMillis() + settings.stopGrace().toMillis();
            while (watcher.interrupted() && supervisor.runningCount() > 0 && System.currentTimeMillis() < deadline) {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            supervisor.stopAll(settings.stopGrace());
            try {
                if (!checkpoints.drain(5_000)) log.warn("agent {}: uploads still pending at shutdown stay on the local tier", node.nodeId());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return CompletableFuture.completedFuture(Done.getInstance());
        });
        return new WorkerAgent(system, node, supervisor);
    }

    public NodeInfo node() {
        return node;
    }

    public ActorSystem<?> system() {
        return system;
    }

    @Override
    public void close() {
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(Duration.ofSeconds(30).toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.warn("agent {} did not stop within 30s: {}", node.nodeId(), e.toString());
        }
    }
}
