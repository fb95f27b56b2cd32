package io.spottrain.coordinator.settings;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;

/**
 * The coordinator's runtime settings, read once from {@code spottrain.coordinator} (defaults and
 * comments in {@code reference.conf}).
 */
public record CoordinatorSettings(
        String nodeId,
        String apiHost,
        int apiPort,
        Duration askTimeout,
        Duration generationStartTimeout,
        Duration portAllocationTimeout,
        Duration stallSuspectGrace,
        Duration reattachGrace,
        Duration heartbeatInterval,
        Duration heartbeatTimeout,
        Duration progressFlushInterval,
        Duration endedLinger,
        int replacementAttempts,
        List<String> allowedRemotes,
        Duration capacityRetry,
        Duration autoCheckpointFloor,
        Duration autoCheckpointCeiling,
        double preemptionPrior,
        Duration scaleUpCooldown,
        Duration noticeSwapMargin,
        Duration launcherUpkeepInterval,
        String autoscalePolicyFile,
        double autoscaleTimeScale,
        String budgetsFile,
        Duration interruptionRiskWindow,
        String quotasFile,
        Duration ledgerTick,
        double storageUsdPerGibMonth,
        Duration stallSuspectProbe,
        Duration keptCheckpointsFor,
        double s3PutUsdPer1000,
        double s3GetUsdPer1000) {

    public static CoordinatorSettings create(Config root) {
        Config c = root.getConfig("spottrain.coordinator");
        return new CoordinatorSettings(
                c.getString("node-id"),
                c.getString("api.host"),
                c.getInt("api.port"),
                c.getDuration("ask-timeout"),
                c.getDuration("generation-start-timeout"),
                c.getDuration("port-allocation-timeout"),
                c.getDuration("stall-suspect-grace"),
                c.getDuration("reattach-grace"),
                c.getDuration("agent-heartbeat.interval"),
                c.getDuration("agent-heartbeat.timeout"),
                c.getDuration("progress-flush-interval"),
                c.getDuration("ended-linger"),
                c.getInt("replacement-attempts"),
                List.copyOf(c.getStringList("security.allowed-remotes")),
                c.getDuration("capacity-retry"),
                c.getDuration("auto-checkpoint.floor"),
                c.getDuration("auto-checkpoint.ceiling"),
                c.getDouble("auto-checkpoint.prior-preemptions-per-node-hour"),
                c.getDuration("scale-up-cooldown"),
                c.getDuration("notice-swap-margin"),
                c.getDuration("launcher-upkeep-interval"),
                c.getString("autoscale.policy-file"),
                c.getDouble("autoscale.time-scale"),
                c.getString("budgets-file"),
                c.getDuration("interruption-risk.window"),
                c.getString("quotas-file"),
                c.getDuration("ledger-tick"),
                nonNegative(c, "storage-usd-per-gib-month"),
                c.getDuration("stall-suspect-probe"),
                c.getDuration("kept-checkpoints-for"),
                nonNegative(c, "s3-put-usd-per-1000"),
                nonNegative(c, "s3-get-usd-per-1000"));
    }

    private static double nonNegative(Config c, String key) {
        double v = c.getDouble(key);
        if (v < 0) throw new IllegalArgumentException("spottrain.coordinator." + key + ": " + v + " is below 0");
        return v;
    }

    public CoordinatorSettings withApiPort(int port) {
        return new CoordinatorSettings(nodeId, apiHost, port, askTimeout, generationStartTimeout, portAllocationTimeout, stallSuspectGrace,
                reattachGrace, heartbeatInterval, heartbeatTimeout, progressFlushInterval, endedLinger, replacementAttempts, allowedRemotes, capacityRetry,
                autoCheckpointFloor, autoCheckpointCeiling, preemptionPrior, scaleUpCooldown, noticeSwapMargin, launcherUpkeepInterval, autoscalePolicyFile,
                autoscaleTimeScale, budgetsFile, interruptionRiskWindow, quotasFile, ledgerTick, storageUsdPerGibMonth, stallSuspectProbe, keptCheckpointsFor, s3PutUsdPer1000,
                s3GetUsdPer1000);
    }

    public CoordinatorSettings withGenerationStartTimeout(Duration d) {
        return new CoordinatorSettings(nodeId, apiHost, apiPort, askTimeout, d, portAllocationTimeout, stallSuspectGrace, reattachGrace,
                heartbeatInterval, heartbeatTimeout, progressFlushInterval, endedLinger, replacementAttempts, allowedRemotes, capacityRetry,
                autoCheckpointFloor, autoCheckpointCeiling, preemptionPrior, scaleUpCooldown, noticeSwapMargin, launcherUpkeepInterval, autoscalePolicyFile,
                autoscaleTimeScale, budgetsFile, interruptionRiskWindow, quotasFile, ledgerTick, storageUsdPerGibMonth, stallSuspectProbe, keptCheckpointsFor, s3PutUsdPer1000,
                s3GetUsdPer1000);
    }

    public CoordinatorSettings withReattachGrace(Duration d) {
        return new CoordinatorSettings(nodeId, apiHost, apiPort, askTimeout, generationStartTimeout, portAllocationTimeout, stallSuspectGrace,
                d, heartbeatInterval, heartbeatTimeout, progressFlushInterval, endedLinger, replacementAttempts, allowedRemotes, capacityRetry,
                autoCheckpointFloor, autoCheckpointCeiling, preemptionPrior, scaleUpCooldown, noticeSwapMargin, launcherUpkeepInterval, autoscalePolicyFile,
                autoscaleTimeScale, budgetsFile, interruptionRiskWindow, quotasFile, ledgerTick, storageUsdPerGibMonth, stallSuspectProbe, keptCheckpointsFor, s3PutUsdPer1000,
                s3GetUsdPer1000);
    }
}
