package io.spottrain.agent.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.protocol.wire.AgentProtocol.GpuSample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GpuProbeTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "one GPU | 0, 87, 40536, 81559 | 1",
            "eight GPUs, CRLF | 0, 1, 2, 3\\r\\n1, 1, 2, 3\\r\\n2, 1, 2, 3\\r\\n3, 1, 2, 3\\r\\n4, 1, 2, 3\\r\\n5, 1, 2, 3\\r\\n6, 1, 2, 3\\r\\n7, 1, 2, 3 | 8",
            "a GPU that reports no utilisation is left out | 0, [N/A], 1024, 81559\\n1, 12, 1024, 81559 | 1",
            "an error message instead of samples | NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver. | 0",
            "nothing | '' | 0"})
    void parsesNvidiaSmiCsv(String what, String csv, int expected) {
        assertEquals(expected, GpuProbe.parse(csv.replace("\\r\\n", "\r\n").replace("\\n", "\n")).size());
    }

    @Test
    void aSampleReadsEveryField() {
        assertEquals(List.of(new GpuSample(0, 87.0, 40536, 81559), new GpuSample(1, 0.0, 3, 81559)),
                GpuProbe.parse("0, 87, 40536, 81559\n1, 0, 3, 81559\n"));
    }

    /** The query is run as nvidia-smi takes it; here a script stands in for the real command (no GPU on this machine). */
    @Test
    void aProbeSamplesTheCommandAndAMissingCommandMeansNoGpus() throws Exception {
        Path fake = dir.resolve("nvidia-smi");
        Files.writeString(fake, "#!/bin/sh\n[ \"$1\" = \"--query-gpu=index,utilization.gpu,memory.used,memory.total\" ] || exit 6\n"
                + "[ \"$2\" = \"--format=csv,noheader,nounits\" ] || exit 6\necho '0, 42, 1000, 81559'\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
        try (var probe = GpuProbe.start(fake.toString(), Duration.ofHours(1))) {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (probe.latest().isEmpty() && System.nanoTime() < deadline) Thread.sleep(20);
            assertEquals(List.of(new GpuSample(0, 42.0, 1000, 81559)), probe.latest(), "the fake command's sample (exit 6: wrong arguments)");
        }
        try (var none = GpuProbe.start(dir.resolve("no-such-command").toString(), Duration.ofMillis(10))) {
            none.sampleNow();
            assertTrue(none.latest().isEmpty());
        }
        try (var off = GpuProbe.start("", Duration.ofMillis(10))) {
            off.sampleNow();
            assertTrue(off.latest().isEmpty());
        }
    }

    /** A sample that worked and then fails leaves no frozen reading behind, and one that works again is reported again. */
    @Test
    void aFailingSampleAfterAGoodOneReportsNothingUntilItWorksAgain() throws Exception {
        Path fake = dir.resolve("flaky-smi");
        Path broken = dir.resolve("broken");
        Files.writeString(fake, "#!/bin/sh\n[ -e '" + broken + "' ] && { echo 'Unable to determine the device handle'; exit 15; }\n"
                + "echo '0, 3, 10, 81559'\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
        try (var probe = GpuProbe.start(fake.toString(), Duration.ofHours(1))) {
            probe.sampleNow();
            assertEquals(List.of(new GpuSample(0, 3.0, 10, 81559)), probe.latest());
            Files.writeString(broken, "");
            probe.sampleNow();
            assertTrue(probe.latest().isEmpty(), "a failed sample leaves none: " + probe.latest());
            Files.delete(broken);
            probe.sampleNow();
            assertEquals(1, probe.latest().size(), "it is asked again after a failure (not given up like a missing command)");
        }
    }
}
