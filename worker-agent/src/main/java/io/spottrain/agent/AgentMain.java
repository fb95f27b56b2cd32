package io.spottrain.agent;

import com.typesafe.config.ConfigFactory;
import io.spottrain.protocol.tls.NodeTls;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A worker agent process: what a GPU machine image runs at boot ({@code bin/spottrain-agent} of the
 * agent distribution, under {@code spottrain-agent.service}; docs/agent-distribution.md), and what
 * {@code spottrain agent} runs for local clusters.
 */
@Command(name = "agent", mixinStandardHelpOptions = true, description = "Run a worker agent that joins the cluster with role worker.")
public final class AgentMain implements Callable<Integer> {

    public static void main(String[] args) {
        // bin/spottrain-agent turns the unit's environment into options first: an argument given after them wins
        System.exit(new CommandLine(new AgentMain()).setOverwrittenOptionsAllowed(true).execute(args));
    }

    @Option(names = "--seed", required = true, description = "host:port of a control node (repeatable)")
    List<String> seeds;

    @Option(names = "--node-id", description = "node name (default: the host name)")
    String nodeId;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "address other nodes reach this one at")
    String host;

    @Option(names = "--work-dir", defaultValue = ".", description = "local checkpoint tier and rank logs")
    Path workDir;

    @Option(names = "--jobs-dir", description = "working directory of jobs with relative commands")
    Path jobsDir;

    @Option(names = "--market", description = "spot, on-demand or reserved (an on-demand machine paid by a reservation or savings plan: instance metadata cannot tell)")
    String market;

    @Option(names = "--instance-type")
    String instanceType;

    @Option(names = "--gpus")
    Integer gpus;

    @Option(names = "--price", description = "USD per hour this node costs")
    Double price;

    @Option(names = "--on-demand-price", description = "USD per hour of the same machine on-demand")
    Double onDemandPrice;

    @Option(names = "--launched-at", description = "when the machine was asked for (ISO-8601; default: now)")
    String launchedAt;

    @Option(names = "--zone")
    String zone;

    @Option(names = "--s3-uri", description = "default remote tier, s3://bucket/prefix (keys from $SPOTTRAIN_S3_ACCESS_KEY/_SECRET_KEY)")
    String s3Uri;

    @Option(names = "--s3-endpoint", description = "S3 API endpoint of an S3-compatible server (default: AWS)")
    String s3Endpoint;

    @Option(names = "--s3-backend", description = "aws or minio")
    String s3Backend;

    @Option(names = "--s3-checksums-when-required", description = "for servers that reject trailing checksums (S3Proxy)")
    boolean s3ChecksumsWhenRequired;

    @Option(names = "--interruption-poll", description = "how often IMDS is asked for a Spot notice (default 5s)")
    String interruptionPoll;

    @Option(names = "--imds", description = "instance metadata: auto (on EC2), a URL, or empty for none (default)")
    String imds;

    @Option(names = "--nvidia-smi", description = "command that samples the node's GPUs for the metrics (default: nvidia-smi on PATH; "
            + "empty: off)")
    String nvidiaSmi;

    @Option(names = "--run-as", description = "run training processes as this unprivileged user (the agent runs as root)")
    String runAs;

    @Option(names = "--job-secrets-dir", description = "secrets this node holds for jobs: one file per secret, named as its variable")
    Path jobSecretsDir;

    @Option(names = "--tls-dir", required = true,
            description = "node.crt, node.key (0600) and ca.crt of the cluster's CA: the agent joins over mutually authenticated TLS")
    Path tlsDir;

    @Override
    public Integer call() {
        var o = new HashMap<String, Object>();
        o.put("pekko.coordinated-shutdown.exit-jvm", "on");
        o.put("spottrain.agent.work-dir", workDir.toAbsolutePath().toString());
        if (nodeId != null) o.put("spottrain.agent.node-id", nodeId);
        if (jobsDir != null) o.put("spottrain.agent.default-job-dir", jobsDir.toAbsolutePath().toString());
        if (market != null) o.put("spottrain.agent.market", market);
        if (instanceType != null) o.put("spottrain.agent.instance-type", instanceType);
        if (gpus != null) o.put("spottrain.agent.gpus", gpus);
        if (price != null) o.put("spottrain.agent.price-per-hour", price);
        if (onDemandPrice != null) o.put("spottrain.agent.on-demand-price-per-hour", onDemandPrice);
        if (zone != null) o.put("spottrain.agent.zone", zone);
        if (launchedAt != null) o.put("spottrain.agent.launched-at", launchedAt);
        if (nvidiaSmi != null) o.put("spottrain.agent.gpu.nvidia-smi", nvidiaSmi);
        if (imds != null) o.put("spottrain.agent.imds.endpoint", imds);
        if (runAs != null) o.put("spottrain.agent.run-as", runAs);
        if (jobSecretsDir != null) o.put("spottrain.agent.job-secrets-dir", jobSecretsDir.toAbsolutePath().toString());
        if (interruptionPoll != null) o.put("spottrain.agent.interruption.poll-interval", interruptionPoll);
        if (s3Uri != null) o.put("spottrain.agent.checkpoint.remote.uri", s3Uri);
        if (s3Endpoint != null) o.put("spottrain.agent.checkpoint.remote.endpoint", s3Endpoint);
        if (s3Backend != null) o.put("spottrain.agent.checkpoint.remote.backend", s3Backend);
        if (s3ChecksumsWhenRequired) o.put("spottrain.agent.checkpoint.remote.checksums-when-required", "true");
        WorkerAgent agent = WorkerAgent.start(host, seeds, ConfigFactory.parseMap(o).withFallback(NodeTls.in(tlsDir).artery()));
        agent.system().getWhenTerminated().toCompletableFuture().join();
        return 0;
    }
}
