package io.spottrain.protocol.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointDirTest {
    @TempDir
    Path root;

    static Map<String, byte[]> files(String tag) {
        var m = new LinkedHashMap<String, byte[]>();
        m.put("params.bin", ("params-" + tag).getBytes(StandardCharsets.UTF_8));
        m.put("optimizer.bin", ("opt-" + tag).getBytes(StandardCharsets.UTF_8));
        return m;
    }

    @Test
    void writeCommitsWithAManifestListingSizesAndHashes() throws Exception {
        var dir = new CheckpointDir(root);
        CheckpointManifest m = dir.write(10, 3, 2, "job-1", files("a"), Map.of(), Map.of("loss", "0.5"));
        assertEquals(List.of(10L), dir.committedSteps());
        assertEquals(CheckpointManifest.FORMAT, m.format());
        assertEquals(3, m.worldSize());
        assertEquals(2, m.generation());
        assertEquals(List.of("params.bin", "optimizer.bin"), m.files().stream().map(ManifestFile::name).toList());
        assertEquals(CheckpointDir.sha256("params-a".getBytes(StandardCharsets.UTF_8)), m.files().get(0).sha256());
        assertEquals(ManifestFile.REPLICATED, m.files().get(0).sharding());
        assertArrayEquals("opt-a".getBytes(StandardCharsets.UTF_8), dir.read(10).get("optimizer.bin"));
        assertTrue(Files.notExists(root.resolve("step-10/MANIFEST.json.tmp")));
    }

    @Test
    void aDirectoryWithoutManifestIsNotACheckpointAndIsReplacedOnRewrite() throws Exception {
        var dir = new CheckpointDir(root);
        dir.write(10, 1, 1, "j", files("a"), Map.of(), Map.of());
        // a crash after the shards, before the manifest
        Files.createDirectories(root.resolve("step-20"));
        Files.writeString(root.resolve("step-20/params.bin"), "half");
        assertEquals(List.of(10L), dir.committedSteps());
        var skipped = new ArrayList<String>();
        assertEquals(Optional.of(10L), dir.newestIntact(skipped));
        dir.write(20, 1, 1, "j", files("b"), Map.of(), Map.of());
        assertEquals(List.of(20L, 10L), dir.committedSteps());
        assertArrayEquals("params-b".getBytes(StandardCharsets.UTF_8), dir.read(20).get("params.bin"));
    }

    @Test
    void corruptionAndMissingFilesAreNamedAndSkipped() throws Exception {
        var dir = new CheckpointDir(root);
        dir.write(10, 1, 1, "j", files("a"), Map.of(), Map.of());
        dir.write(20, 1, 1, "j", files("b"), Map.of(), Map.of());
        byte[] b = Files.readAllBytes(root.resolve("step-20/optimizer.bin"));
        b[0] ^= 0x20;
        Files.write(root.resolve("step-20/optimizer.bin"), b);
        var e = assertThrows(CheckpointException.class, () -> dir.verify(20));
        assertTrue(e.getMessage().startsWith("step 20: file optimizer.bin is corrupt (sha256 "), e.getMessage());
        var skipped = new ArrayList<String>();
        assertEquals(Optional.of(10L), dir.newestIntact(skipped));
        assertEquals(1, skipped.size());

        Files.delete(root.resolve("step-10/params.bin"));
        assertEquals("step 10: file params.bin is missing", assertThrows(CheckpointException.class, () -> dir.read(10)).getMessage());
        Files.writeString(root.resolve("step-20/optimizer.bin"), "x");
        assertTrue(assertThrows(CheckpointException.class, () -> dir.verify(20)).getMessage().contains("has 1 bytes, manifest says"));
    }

    @Test
    void committedStepsAreNeverOverwrittenAndNamesAreChecked() throws Exception {
        var dir = new CheckpointDir(root);
        dir.write(5, 1, 1, "j", files("a"), Map.of(), Map.of());
        assertThrows(IOException.class, () -> dir.write(5, 1, 1, "j", files("b"), Map.of(), Map.of()));
        assertArrayEquals("params-a".getBytes(StandardCharsets.UTF_8), dir.read(5).get("params.bin"));
        for (String bad : List.of("../x", "a/b", "MANIFEST.json", "x.tmp", "")) {
            assertThrows(IOException.class, () -> dir.write(6, 1, 1, "j", Map.of(bad, new byte[1]), Map.of(), Map.of()), bad);
        }
    }

    @Test
    void aManifestOfAnotherStepOrFormatIsRejected() throws Exception {
        var dir = new CheckpointDir(root);
        dir.write(7, 1, 1, "j", files("a"), Map.of(), Map.of());
        Files.createDirectories(root.resolve("step-8"));
        Files.copy(root.resolve("step-7/MANIFEST.json"), root.resolve("step-8/MANIFEST.json"));
        assertTrue(assertThrows(CheckpointException.class, () -> dir.manifest(8)).getMessage().contains("is not a spottrain-checkpoint/v1 manifest of step 8"));
        Files.writeString(root.resolve("step-8/MANIFEST.json"), "{not json");
        assertTrue(assertThrows(CheckpointException.class, () -> dir.manifest(8)).getMessage().startsWith("step 8: cannot read"));
    }
}
