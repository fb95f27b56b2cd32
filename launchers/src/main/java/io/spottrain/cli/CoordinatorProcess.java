package io.spottrain.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.spottrain.checkpoint.remote.EmbeddedS3;
import io.spottrain.client.CliException;
import io.spottrain.coordinator.Coordinator;
import io.spottrain.coordinator.launch.NodeLauncher;
import io.spottrain.coordinator.settings.FreePorts;
import io.spottrain.launchers.ec2.Ec2Config;
import io.spottrain.launchers.ec2.Ec2ConfigParser;
import io.spottrain.launchers.ec2.Ec2Launcher;
import io.spottrain.launchers.ec2.EnrollmentServer;
import io.spottrain.launchers.local.AdminToken;
import io.spottrain.launchers.local.ClusterPki;
import io.spottrain.launchers.local.ClusterState;
import io.spottrain.launchers.local.ControlNodeState;
import io.spottrain.launchers.local.JavaCommand;
import io.spottrain.launchers.local.LocalCluster;
import io.spottrain.launchers.local.LocalFleet;
import io.spottrain.launchers.local.LocalProcessLauncher;
import io.spottrain.protocol.tls.NodeTls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The coordinator process of a local cluster (started by {@code up} and {@code demo}); it launches the agents. */
@Command(name = "coordinator", hidden = true, description = "Run a control node and launch local worker agents.")
final class CoordinatorProcess implements Callable<Integer> {
    @Option(names = "--state-dir", required = true)
    Path stateDir;

    @Option(names = "--workers", defaultValue = "0")
    int workers;

    @Option(names = "--on-demand-workers", defaultValue = "0")
    int onDemand;

    @Option(names = "--jobs-dir", description = "working directory of jobs with relative commands")
    Path jobsDir;

    @Option(names = "--host", defaultValue = "127.0.0.1")
    String host;

    @Option(names = "--port", defaultValue = "0", description = "cluster (Artery) port")
    int port;

    @Option(names = "--api-port", defaultValue = "0")
    int apiPort;

    @Option(names = "--s3-endpoint", description = "an S3-compatible server for the remote tier (default: an embedded one under --state-dir/s3)")
    String s3Endpoint;

    @Option(names = "--s3-uri", defaultValue = "s3://spottrain/checkpoints", description = "remote tier root")
    String s3Uri;

    @Option(names = "--no-s3", description = "no remote tier: checkpoints stay on the nodes' local tiers")
    boolean noS3;

    @Option(names = "--no-replacements", description = "do not launch a replacement when a job's node is lost or gives notice")
    boolean noReplacements;

    @Option(names = "--agent-nvidia-smi", hidden = true, description = "the command local agents sample GPUs with (tests: a stand-in)")
    String agentNvidiaSmi;

    @Option(names = "--store", defaultValue = "ignite", description = "control-plane state: ignite (persistent, under --state-dir/control) or memory")
    String store;

    @Option(names = "--node-id", defaultValue = "control1", description = "this control node's name (and its Ignite consistent id)")
    String nodeId;

    @Option(names = "--seed", description = "host:port of a control node to join (repeatable; a node of a control plane run as a service "
            + "lists every control node, itself too, the same on each). A node with seeds launches no local agents; with --launcher ec2 "
            + "it launches and replaces EC2 nodes like any other, so the job manager has a launcher wherever it runs")
    List<String> seeds = new ArrayList<>();

    @Option(names = "--ca-dir", description = "the cluster CA (ca.crt, ca.key), which must exist there: the same on every control node "
            + "(spottrain pki init --dir DIR). Default: <state-dir>/pki, made if missing (a local cluster)")
    Path caDir;

    @Option(names = "--store-comm-port", defaultValue = "0", description = "Ignite communication port of this node (0: a free one; "
            + "a service fixes it for its firewall rules)")
    int storeCommPort;

    @Option(names = "--token-file", description = "the admin API token's file (made, owner-only, if missing). Default: <state-dir>/token")
    Path tokenFile;

    @Option(names = "--scale-up-cooldown", description = "how old a generation must be before its job grows into free nodes (default 60s)")
    String scaleUpCooldown;

    @Option(names = "--notice-swap-margin", description = "a noticed node trains on while its replacement boots; the swap starts this "
            + "long before the notice's deadline at the latest (default 15s)")
    String noticeSwapMargin;

    @Option(names = "--api-tls-cert", description = "serve the API over HTTPS with this PEM certificate (chain)")
    Path apiTlsCert;

    @Option(names = "--api-tls-key", description = "... and this PKCS#8 PEM key")
    Path apiTlsKey;

    @Option(names = "--store-port", defaultValue = "0", description = "Ignite discovery port of this node (0: a free one)")
    int storePort;

    @Option(names = "--launcher", defaultValue = "local", converter = LauncherKind.Converter.class,
            description = "local: worker agents are processes here; ec2: EC2 instances per --ec2-config (AWS credentials from the SDK's "
                    + "default chain: environment, profile or instance role)")
    LauncherKind launcherKind;

    @Option(names = "--aws-identity-cert", description = "AWS's public certificate (PEM) for the region that signs EC2 instance identity "
            + "documents: with the fleet config's agent.enrollPort, agents enroll here for certificates of their own")
    Path awsIdentityCert;

    @Option(names = "--ec2-config", description = "the EC2 fleet config (kind: Ec2Fleet) for --launcher ec2")
    Path ec2Config;

    @Option(names = "--autoscale", description = "the cluster's autoscaling policy (examples/cluster/autoscale.yaml)")
    Path autoscale;

    @Option(names = "--budgets", description = "the cluster's budgets (examples/cluster/budgets.yaml)")
    Path budgets;

    @Option(names = "--quotas", description = "the cluster's per-team quotas (examples/cluster/quotas.yaml)")
    Path quotas;

    @Option(names = "--autoscale-time-scale", defaultValue = "1.0", description = "multiplies the policy's cooldowns and the loop's tick")
    double autoscaleTimeScale;

    @Option(names = "--store-peers", split = ",", description = "Ignite discovery addresses (host:port) of the other control nodes")
    List<String> storePeers = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (launcherKind == LauncherKind.EC2 && (ec2Config == null || workers > 0)) {
            throw new CliException(ec2Config == null ? "--launcher ec2 needs --ec2-config FILE (kind: Ec2Fleet, see examples/cluster/ec2.yaml)"
                    : "--workers starts local agent processes; with --launcher ec2 the workers are EC2 instances (launched through "
                            + "POST /api/v1/nodes and as replacements)");
        }
        Ec2Config fleet = launcherKind == LauncherKind.EC2 ? fleetConfig() : null; // a bad config fails before anything starts
        if (fleet != null && fleet.agent().enrollPort() != null && (awsIdentityCert == null || !Files.isReadable(awsIdentityCert))) {
            throw new CliException("the fleet config's agent.enrollPort needs --aws-identity-cert FILE (readable): AWS's public certificate "
                    + "for region " + fleet.region() + " that signs instance identity documents (docs/security.md)");
        }
        Path dir = stateDir.toAbsolutePath();
        Path jobs = jobsDir == null ? Path.of("").toAbsolutePath() : jobsDir.toAbsolutePath();
        var stopping = new AtomicBoolean();
        var holder = new Object() {
            Coordinator coordinator;
            NodeLauncher launcher;
            EmbeddedS3 s3;
            EnrollmentServer enrollment;
        };
        Runnable shutdown = () -> {
            if (!stopping.compareAndSet(false, true)) return;
            if (holder.enrollment != null) holder.enrollment.close();
            if (holder.launcher != null) holder.launcher.close(); // agents leave (and drain uploads) while S3 still runs
            if (holder.coordinator != null) holder.coordinator.close();
            if (holder.s3 != null) holder.s3.close();
            if (seeds.isEmpty()) ClusterState.delete(dir);
            ControlNodeState.delete(dir, nodeId);
        };
        Runtime.getRuntime().addShutdownHook(new Thread(shutdown, "spottrain-shutdown"));
        var launcherRef = new AtomicReference<NodeLauncher>();
        int discovery = storePort > 0 ? storePort : freePort();
        var peers = new ArrayList<>(storePeers);
        peers.add(host + ":" + discovery);
        // this control node's key and certificate from the cluster CA: Artery and Ignite speak mutual TLS
        Path tlsDir = ClusterPki.dir(dir).resolve("nodes").resolve(nodeId);
        // a service's control node runs for months: its certificate lasts a year (a local cluster's, 30 days); restart it within that
        NodeTls tls = caDir == null ? ClusterPki.ensure(dir).issueControl(nodeId, tlsDir, ClusterPki.NODE_VALIDITY)
                : ClusterPki.existingIn(caDir).issueControl(nodeId, tlsDir, ClusterPki.CONTROL_VALIDITY);
        Path token = tokenFile == null ? AdminToken.file(dir) : tokenFile.toAbsolutePath();
        AdminToken.ensureFile(token);
        var conf = new HashMap<String, Object>(Map.of(
                "spottrain.coordinator.api.host", host,
                "spottrain.coordinator.api.port", apiPort,
                "spottrain.coordinator.node-id", nodeId,
                "spottrain.coordinator.store.kind", store,
                "spottrain.coordinator.store.dir", dir.resolve("control").resolve(nodeId).toString(),
                "spottrain.coordinator.store.discovery-port", discovery,
                "spottrain.coordinator.store.communication-port", storeCommPort,
                "spottrain.coordinator.store.peers", peers,
                "spottrain.coordinator.security.token-file", token.toString(),
                "spottrain.coordinator.store.tls-dir", tlsDir.toString()));
        if (scaleUpCooldown != null) conf.put("spottrain.coordinator.scale-up-cooldown", scaleUpCooldown);
        if (budgets != null) conf.put("spottrain.coordinator.budgets-file", Autoscaling.checkBudgets(budgets).toString());
        if (quotas != null) conf.put("spottrain.coordinator.quotas-file", Autoscaling.checkQuotas(quotas).toString());
        if (autoscale != null) {
            conf.put("spottrain.coordinator.autoscale.policy-file", Autoscaling.check(autoscale).toString());
            conf.put("spottrain.coordinator.autoscale.time-scale", autoscaleTimeScale);
        }
        if (noticeSwapMargin != null) conf.put("spottrain.coordinator.notice-swap-margin", noticeSwapMargin);
        String scheme = "http";
        if (apiTlsCert != null || apiTlsKey != null) {
            if (apiTlsCert == null || apiTlsKey == null) throw new CliException("--api-tls-cert and --api-tls-key go together");
            conf.put("spottrain.coordinator.api.tls-cert-file", apiTlsCert.toAbsolutePath().toString());
            conf.put("spottrain.coordinator.api.tls-key-file", apiTlsKey.toAbsolutePath().toString());
            // this cluster's clients trust the API's certificate
            Files.copy(apiTlsCert, LocalCluster.apiCertificate(dir), StandardCopyOption.REPLACE_EXISTING);
            scheme = "https";
        }
        String api = scheme + "://" + host + ":";
        // jobs may name their own remote tier only inside the cluster's
        conf.put("spottrain.coordinator.security.allowed-remotes", noS3 ? List.of() : List.of(s3Uri));
        Config overrides = ConfigFactory.parseMap(conf).withFallback(tls.artery());
        if (!seeds.isEmpty()) {
            // a control node that joins the cluster, serves the API, may host the job manager: with EC2 it launches and replaces
            // nodes like the others (the machines outlive it; the launcher reconciles by tags), locally it starts no agents
            if (launcherKind == LauncherKind.EC2) {
                holder.launcher = Ec2Launcher.connect(fleet);
                launcherRef.set(holder.launcher);
            }
            holder.coordinator = Coordinator.start(host, port, seeds, overrides, () -> {
                shutdown.run();
                System.exit(0);
            }, launcherRef, launcherKind == LauncherKind.EC2 && !noReplacements);
            ControlNodeState.write(dir, new ControlNodeState(nodeId, api + holder.coordinator.apiPort(),
                    ProcessHandle.current().pid(), host + ":" + discovery,
                    holder.coordinator.clusterEndpoint()));
            holder.enrollment = enrollment(fleet, holder.launcher, host, tls, dir, holder.coordinator);
            if (caDir != null) { // run as a service: the remote tier is this node's own setting
                if (!noS3) holder.coordinator.useLogArchive(S3LogArchive.service(dir, s3Uri, s3Endpoint));
            } else {
                holder.coordinator.useLogArchive(S3LogArchive.lazy(dir)); // once the first control node has written the cluster's state
            }
            holder.coordinator.system().getWhenTerminated().toCompletableFuture().join();
            return 0;
        }
        // The local agents start while this coordinator starts (its state store and actor system take ~5 s, an agent's JVM 3-7 s):
        // they join as soon as the cluster port answers (Pekko retries the join every seed-node-timeout). For that the cluster
        // port is chosen here, and the S3 server the agents upload to starts first.
        // (a cluster of 0 workers too: the autoscaler and the API launch agents later, with these seeds)
        int clusterPort = port == 0 && launcherKind == LauncherKind.LOCAL ? freePort() : port;
        var agentArgs = new ArrayList<String>();
        var agentEnv = new HashMap<String, String>();
        String endpoint = null;
        if (!noS3) {
            if (s3Endpoint == null) {
                // the local demo's remote tier: a real S3 API server over <state-dir>/s3, with its own keys
                holder.s3 = EmbeddedS3.start(dir.resolve("s3"));
                endpoint = holder.s3.endpoint().toString();
                S3Credentials.write(dir, holder.s3.accessKey(), holder.s3.secretKey());
                agentEnv.put("SPOTTRAIN_S3_ACCESS_KEY", holder.s3.accessKey());
                agentEnv.put("SPOTTRAIN_S3_SECRET_KEY", holder.s3.secretKey());
                agentArgs.add("--s3-checksums-when-required");
            } else {
                endpoint = s3Endpoint; // keys come from this process's environment, inherited by the agents
            }
            agentArgs.addAll(List.of("--s3-uri", s3Uri, "--s3-endpoint", endpoint));
        }
        if (agentNvidiaSmi != null) agentArgs.addAll(List.of("--nvidia-smi", agentNvidiaSmi));
        if (launcherKind == LauncherKind.EC2) {
            // the machines outlive this process: closing the launcher terminates nothing; set at once (nodes that register
            // again after a restart are priced by it)
            holder.launcher = Ec2Launcher.connect(fleet);
            launcherRef.set(holder.launcher);
        } else {
            holder.launcher = new LocalProcessLauncher(JavaCommand.current(List.of()).withClusterFlags(JavaCommand.AGENT_FLAGS),
                    List.of(host + ":" + clusterPort), dir, jobs, Duration.ofSeconds(10), agentArgs, agentEnv);
        }
        // at most a core's worth (+1) of agents start at once: on 2 cores, 5 JVMs starting together took 14-24 s each and the
        // coordinator downed some of them as unreachable (their heartbeats starved); each further one waits for a registration
        int wave = Math.min(workers, Runtime.getRuntime().availableProcessors() + 1);
        NodeLauncher launcher = holder.launcher;
        // on another thread: each launch issues the node's key and certificate (RSA, ~0.5 s)
        var firstWave = CompletableFuture.runAsync(() -> {
            try {
                for (int i = 1; i <= wave; i++) launcher.launch(LocalFleet.node(i, i <= workers - onDemand));
            } catch (NodeLauncher.LaunchException e) {
                throw new CliException("cannot launch the local agents: " + e.getMessage());
            }
        });
        holder.coordinator = Coordinator.start(host, clusterPort, List.of(), overrides, () -> {
                    shutdown.run();
                    System.exit(0);
                }, launcherRef, !noReplacements);
        try {
            firstWave.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        // the API launches and preempts nodes through it; the job manager replaces lost nodes with it and runs its upkeep
        launcherRef.set(holder.launcher);
        for (int i = wave + 1; i <= workers; i++) {
            awaitRegistered(holder.coordinator, i - wave, Duration.ofSeconds(30));
            holder.launcher.launch(LocalFleet.node(i, i <= workers - onDemand));
        }
        new ClusterState(api + holder.coordinator.apiPort(), holder.coordinator.clusterEndpoint(),
                ProcessHandle.current().pid(), workers, Instant.now().toString(), endpoint, noS3 ? null : s3Uri).write(dir);
        holder.enrollment = enrollment(fleet, holder.launcher, host, tls, dir, holder.coordinator);
        // rank output outlives its node: the API reads the copies agents keep in the remote tier when a node cannot answer
        S3LogArchive.of(dir).ifPresent(holder.coordinator::useLogArchive);
        ControlNodeState.write(dir, new ControlNodeState(nodeId, api + holder.coordinator.apiPort(),
                ProcessHandle.current().pid(), host + ":" + discovery,
                    holder.coordinator.clusterEndpoint()));
        holder.coordinator.system().getWhenTerminated().toCompletableFuture().join();
        return 0;
    }

    /** The agents' enrollment endpoint where the EC2 fleet config asks for one (null: none). */
    private EnrollmentServer enrollment(Ec2Config fleet, NodeLauncher launcher, String host, NodeTls tls, Path dir, Coordinator coordinator)
            throws IOException {
        if (fleet == null || !(launcher instanceof Ec2Launcher ec2)) return null;
        var ca = caDir != null ? ClusterPki.existingIn(caDir) : ClusterPki.ensure(dir);
        var claims = EnrollmentServer.Claims.of(coordinator::claimEnrollment, coordinator::enrollment);
        return EnrollmentServer.forControlNode(host, fleet, ec2, ca, tls, awsIdentityCert, claims).orElse(null);
    }

    /** Waits (bounded; then goes on) until {@code n} worker nodes have registered. */
    private static void awaitRegistered(Coordinator coordinator, int n, Duration atMost) throws InterruptedException {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (coordinator.reads().workers(false).size() < n && System.nanoTime() < deadline) Thread.sleep(100);
    }

    private Ec2Config fleetConfig() {
        try {
            return Ec2Launcher.readConfig(ec2Config);
        } catch (Ec2ConfigParser.Ec2ConfigException e) {
            throw new CliException(e.getMessage());
        } catch (IOException e) {
            throw new CliException("cannot read --ec2-config " + ec2Config + ": " + e);
        }
    }

    /** Below the ephemeral range: the agents that start meanwhile bind and connect there (FreePorts). */
    private static int freePort() {
        return FreePorts.pick();
    }
}
