package io.spottrain.protocol.spec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A training job as the user wrote it, after defaults were filled in. Built only by
 * {@link JobSpecParser}, so an instance is always valid. Field reference: {@code docs/job-spec.md}.
 */
public record JobSpec(String apiVersion, String kind, Metadata metadata, Spec spec) {

    public static final String API_VERSION = "spottrain/v1";
    public static final String KIND = "TrainingJob";

    public record Metadata(String name, Map<String, String> labels) {
        public Metadata {
            labels = Map.copyOf(labels);
        }
    }

    public record Spec(
            Workers workers,
            List<String> command,
            List<String> args,
            Map<String, String> env,
            String workingDir,
            Placement placement,
            Checkpoint checkpoint,
            int priority,
            int maxRestarts,
            Elastic elastic,
            List<String> secrets) {
        public Spec {
            command = List.copyOf(command);
            args = List.copyOf(args);
            env = Map.copyOf(env);
            secrets = secrets == null ? List.of() : List.copyOf(secrets); // specs stored before the field existed
            elastic = elastic == null ? Elastic.WAIT : elastic; // specs stored before the field existed
        }

        /** The full argv: command then args. */
        public List<String> argv() {
            var all = new ArrayList<>(command);
            all.addAll(args);
            return List.copyOf(all);
        }
    }

    /**
     * Elastic behaviour: {@code capacityTimeoutSeconds} is how long the job may wait for {@code min}
     * workers (to start, or to resume after a recovery) before it fails naming what it waited for;
     * 0 waits for good, asking for capacity again and again. {@code scaleUp}: whether a running job
     * below its max grows into free nodes that fit it (at a checkpoint, no step lost).
     */
    public record Elastic(long capacityTimeoutSeconds, ScaleUp scaleUp) {
        public static final Elastic WAIT = new Elastic(0, ScaleUp.AUTO);

        public Elastic {
            scaleUp = scaleUp == null ? ScaleUp.AUTO : scaleUp; // specs stored before the field existed
        }

        public Elastic(long capacityTimeoutSeconds) {
            this(capacityTimeoutSeconds, ScaleUp.AUTO);
        }

        public Optional<Duration> capacityTimeout() {
            return capacityTimeoutSeconds > 0 ? Optional.of(Duration.ofSeconds(capacityTimeoutSeconds)) : Optional.empty();
        }
    }

    /** How many workers (one rank per worker node) the job runs with; it starts with at least {@code min}. */
    public record Workers(int min, int max, int gpusPerWorker) {}

    /**
     * Where ranks may run. {@code maxPricePerHour} is 0 when there is no cap. {@code gpuModels} (any
     * of; empty: any) and {@code minGpuMemoryGiB} (0: any) are matched against the node's instance
     * type in {@link GpuCatalog}. {@code maxInterruptRisk} (0: any) bounds the Spot interruption
     * risk of the pools (instance type x zone) its ranks run in, in interruptions per node-hour as the
     * coordinator estimates them from the removals it observed, with a prior.
     */
    public record Placement(Market market, List<String> instanceTypes, double maxPricePerHour, List<String> gpuModels, int minGpuMemoryGiB,
            double maxInterruptRisk) {
        public Placement {
            instanceTypes = List.copyOf(instanceTypes);
            gpuModels = gpuModels == null ? List.of() : List.copyOf(gpuModels);
        }

        public Placement(Market market, List<String> instanceTypes, double maxPricePerHour, List<String> gpuModels, int minGpuMemoryGiB) {
            this(market, instanceTypes, maxPricePerHour, gpuModels, minGpuMemoryGiB, 0);
        }

        public Placement(Market market, List<String> instanceTypes, double maxPricePerHour) {
            this(market, instanceTypes, maxPricePerHour, List.of(), 0, 0);
        }
    }

    /**
     * {@code intervalSteps} is 0 when the interval is {@code auto} (Young/Daly from observed cost
     * and interruption rate); {@code remote} is an {@code s3://bucket/prefix} URI or null for the
     * cluster default.
     */
    public record Checkpoint(int intervalSteps, boolean auto, int keep, String remote) {}
}
