package io.spottrain.cli;

import io.spottrain.client.CliException;
import io.spottrain.launchers.local.ClusterState;
import io.spottrain.launchers.local.JavaCommand;
import io.spottrain.launchers.local.LocalCluster;
import io.spottrain.protocol.json.Json;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "up", description = "Start a local cluster in the background: a coordinator and N worker agents.")
final class UpCommand implements Callable<Integer> {
    @Option(names = "--workers", description = "worker agents to start here (default: 3; none with --autoscale or --launcher ec2)")
    Integer workers;

    @Option(names = "--on-demand-workers", defaultValue = "0",
            description = "how many of them are on-demand; the rest are Spot (default: ${DEFAULT-VALUE})")
    int onDemand;

    @Option(names = "--jobs-dir", description = "working directory of jobs whose command is a relative path (default: the current directory)")
    Path jobsDir;

    @Option(names = "--s3-endpoint", description = "use this S3-compatible server for the remote tier (keys from $SPOTTRAIN_S3_ACCESS_KEY/_SECRET_KEY) instead of the embedded one")
    String s3Endpoint;

    @Option(names = "--no-s3", description = "no remote tier: checkpoints stay on the nodes' local tiers")
    boolean noS3;

    @Option(names = "--no-replacements", description = "do not launch a replacement when a job's node is lost or gives notice")
    boolean noReplacements;

    @Option(names = "--control-nodes", defaultValue = "1",
            description = "control processes (role control; each holds the state store and can host the job manager) (default: ${DEFAULT-VALUE})")
    int controlNodes;

    @Option(names = "--timeout", defaultValue = "120", description = "seconds to wait for the cluster (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Option(names = "--launcher", defaultValue = "local", converter = LauncherKind.Converter.class,
            description = "local (default): worker agents are processes here; ec2: EC2 instances per --ec2-config, launched through the API "
                    + "and as replacements (AWS credentials from the SDK's default chain, never a flag)")
    LauncherKind launcher;

    @Option(names = "--ec2-config", description = "the EC2 fleet config (kind: Ec2Fleet; examples/cluster/ec2.yaml) for --launcher ec2")
    Path ec2Config;

    @Option(names = "--autoscale", description = "run the autoscaler with this policy (examples/cluster/autoscale.yaml): it launches "
            + "nodes for waiting jobs and releases idle ones; with --workers 0 the fleet is the autoscaler's")
    Path autoscale;

    @Option(names = "--budgets", description = "check these budgets (examples/cluster/budgets.yaml) every 15 s: alert, or block the "
            + "autoscaler's scale-up for the jobs a budget selects once it is exceeded (./spottrain cost budgets)")
    Path budgets;

    @Option(names = "--quotas", description = "per-team quotas (examples/cluster/quotas.yaml): the GPUs, and on-demand GPUs, the jobs "
            + "labelled team=T may hold at once; a job that would go over waits, held")
    Path quotas;

    @Option(names = "--autoscale-time-scale", defaultValue = "1.0",
            description = "multiplies the policy's cooldowns and the loop's tick, e.g. 0.01 for demos and tests (default: ${DEFAULT-VALUE})")
    double autoscaleTimeScale;

    @Option(names = "--tls-cert", description = "serve the API over HTTPS with this PEM certificate (chain); the CLI then trusts it")
    Path tlsCert;

    @Option(names = "--tls-key", description = "the PKCS#8 PEM key of --tls-cert")
    Path tlsKey;

    @Mixin
    Options.Cluster cluster;

    @Mixin
    Options.Output output;

    /** The coordinator's remote-tier arguments from {@code --s3-endpoint} / {@code --no-s3}. */
    static List<String> storageArgs(String s3Endpoint, boolean noS3) {
        if (noS3) return List.of("--no-s3");
        return s3Endpoint == null ? List.of() : List.of("--s3-endpoint", s3Endpoint);
    }

    private List<String> coordinatorArgs() {
        var args = new ArrayList<>(storageArgs(s3Endpoint, noS3));
        if (noReplacements) args.add("--no-replacements");
        if (budgets != null) args.addAll(List.of("--budgets", Autoscaling.checkBudgets(budgets).toString()));
        if (quotas != null) args.addAll(List.of("--quotas", Autoscaling.checkQuotas(quotas).toString()));
        if (autoscale != null) {
            if (!(autoscaleTimeScale > 0 && autoscaleTimeScale <= 1)) {
                throw new CliException("--autoscale-time-scale must be > 0 and <= 1, got " + autoscaleTimeScale);
            }
            args.addAll(List.of("--autoscale", Autoscaling.check(autoscale).toString(), "--autoscale-time-scale",
                    Double.toString(autoscaleTimeScale)));
        }
        if (launcher == LauncherKind.EC2) {
            if (ec2Config == null) throw new CliException("--launcher ec2 needs --ec2-config FILE (kind: Ec2Fleet, see examples/cluster/ec2.yaml)");
            args.addAll(List.of("--launcher", "ec2", "--ec2-config", ec2Config.toAbsolutePath().toString()));
        } else if (ec2Config != null) {
            throw new CliException("--ec2-config goes with --launcher ec2");
        }
        if ((tlsCert == null) != (tlsKey == null)) throw new CliException("--tls-cert and --tls-key go together");
        if (tlsCert != null) {
            args.addAll(List.of("--api-tls-cert", tlsCert.toAbsolutePath().toString(), "--api-tls-key", tlsKey.toAbsolutePath().toString()));
        }
        return args;
    }

    @Override
    public Integer call() {
        // with an autoscaler or on EC2 the fleet is launched for the jobs: no local workers unless asked for
        int workers = this.workers != null ? this.workers : launcher == LauncherKind.EC2 || autoscale != null ? 0 : 3;
        if (launcher == LauncherKind.EC2 && workers > 0) {
            throw new CliException("--workers starts local agent processes; with --launcher ec2 the workers are EC2 instances (launched "
                    + "through POST /api/v1/nodes and as replacements)");
        }
        Path dir = cluster.stateDir();
        ClusterState s = LocalCluster.start(dir, new LocalCluster.Shape(workers, onDemand, controlNodes),
                (jobsDir == null ? Path.of("") : jobsDir).toAbsolutePath(),
                Duration.ofSeconds(timeoutSeconds), JavaCommand.current(JavaCommand.COORDINATOR_FLAGS), coordinatorArgs());
        if (output.json()) {
            System.out.println(Json.pretty(s));
        } else {
            System.out.println("cluster up: API " + s.apiUrl() + (controlNodes > 1 ? " (+" + (controlNodes - 1) + " more control node"
                    + (controlNodes > 2 ? "s" : "") + ")" : "") + ", " + workers + " worker" + (workers == 1 ? "" : "s")
                    + (workers > 0 ? " (node1..node" + workers + ", " + (workers - onDemand) + " spot, " + onDemand + " on-demand)" : "")
                    + ", state and logs in " + dir);
        }
        return 0;
    }
}
