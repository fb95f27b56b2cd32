package io.spottrain.coordinator.scheduling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.coordinator.launch.NodeLauncher.NodeShape;
import io.spottrain.protocol.spec.JobSpecParser;
import io.spottrain.protocol.spec.NodeMarket;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Admission as a table: the job's constraint against a fleet of 1-GPU Spot g5s and 4-GPU on-demand g5.12xlarge (at most 2). */
class AdmissionTest {
    static final List<NodeShape> FLEET = List.of(new NodeShape(NodeMarket.SPOT, "g5.xlarge", 1, 0.42, 0),
            new NodeShape(NodeMarket.ON_DEMAND, "g5.12xlarge", 4, 5.67, 2));

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource(delimiter = '|', textBlock = """
            {min: 4, gpusPerWorker: 1}              | {market: spot}                                  | admitted
            {min: 2, gpusPerWorker: 4}              | {market: on-demand}                             | admitted
            {min: 3, gpusPerWorker: 4}              | {market: on-demand}                             | spec.workers.min: 3 workers, but this cluster's fleet has at most 2 fitting nodes
            {min: 1, gpusPerWorker: 8}              | {market: spot-with-fallback}                    | spec.workers.gpusPerWorker: 8 GPUs per worker, but the largest node of this cluster's fleet has 4
            {min: 1, gpusPerWorker: 2}              | {market: spot}                                  | spec.workers.gpusPerWorker: 2 GPUs per worker, but the largest node of this cluster's fleet has 1
            {min: 1}                                | {market: spot, instanceTypes: [p4d.24xlarge]}   | spec.placement.instanceTypes: none of [p4d.24xlarge] is in this cluster's fleet (g5.xlarge)
            {min: 1}                                | {market: spot, maxPricePerHour: 0.1}            | spec.placement.maxPricePerHour: $0.1/h is below every fitting node's price (cheapest $0.42/h)
            {min: 1, gpusPerWorker: 4}              | {market: spot-with-fallback, maxPricePerHour: 6} | admitted
            {min: 1}                                | {market: spot-with-fallback, gpuModels: [A10G]}  | admitted
            {min: 1}                                | {market: spot-with-fallback, minGpuMemoryGiB: 40} | spec.placement.minGpuMemoryGiB: no node of this cluster's fleet has it (g5.xlarge A10G 24 GiB, g5.12xlarge A10G 24 GiB)
            {min: 1}                                | {market: spot, gpuModels: [H100, A100]}          | spec.placement.gpuModels: no node of this cluster's fleet has it (g5.xlarge A10G 24 GiB)
            {min: 1}                                | {market: spot, gpuModels: [A10G], minGpuMemoryGiB: 48} | spec.placement.minGpuMemoryGiB: no node of this cluster's fleet has it (g5.xlarge A10G 24 GiB)
            """)
    void aJobIsAdmittedOrRefusedNamingTheConstraint(String workers, String placement, String expected) throws Exception {
        var spec = JobSpecParser.parse("""
                apiVersion: spottrain/v1
                kind: TrainingJob
                metadata: {name: j}
                spec: {workers: %s, command: [x], placement: %s}
                """.formatted(workers, placement));
        assertEquals(expected.equals("admitted") ? Optional.empty() : Optional.of(expected), Admission.unfit(spec, FLEET));
        assertEquals(Optional.empty(), Admission.unfit(spec, List.of()), "no fleet declared: everything is admitted");
    }

    @ParameterizedTest(name = "{0} allowed {1} -> {2}")
    @CsvSource(delimiter = '|', textBlock = """
            s3://spottrain/checkpoints/team-a     | s3://spottrain/checkpoints  | admitted
            s3://spottrain/checkpoints            | s3://spottrain/checkpoints/ | admitted
            s3://spottrain/checkpoints/           | s3://spottrain/checkpoints  | admitted
            s3://spottrain/checkpoints-evil/x     | s3://spottrain/checkpoints  | refused
            s3://spottrain/checkpoints/../secrets | s3://spottrain/checkpoints  | refused
            s3://other-bucket/checkpoints         | s3://spottrain/checkpoints  | refused
            s3://spottrain                        | s3://spottrain/checkpoints  | refused
            s3://spottrain/checkpoints/x          | ''                          | refused
            """)
    void aJobsOwnRemoteMustLieInsideAnAllowedOne(String remote, String allowed, String expected) throws Exception {
        var spec = JobSpecParser.parse("""
                apiVersion: spottrain/v1
                kind: TrainingJob
                metadata: {name: j}
                spec: {workers: {min: 1}, command: [x], checkpoint: {remote: "%s"}}
                """.formatted(remote));
        var refused = Admission.remoteRefused(spec, allowed.isEmpty() ? List.of() : List.of(allowed));
        assertEquals(expected, refused.isPresent() ? "refused" : "admitted", refused::toString);
        refused.ifPresent(r -> assertTrue(r.startsWith("spec.checkpoint.remote: " + remote + " is outside"), r));
    }

    @Test
    void aJobWithoutItsOwnRemoteUsesTheDefaultAndIsNeverRefusedForIt() throws Exception {
        var spec = JobSpecParser.parse("""
                apiVersion: spottrain/v1
                kind: TrainingJob
                metadata: {name: j}
                spec: {workers: {min: 1}, command: [x]}
                """);
        assertEquals(Optional.empty(), Admission.remoteRefused(spec, List.of()));
    }
}
