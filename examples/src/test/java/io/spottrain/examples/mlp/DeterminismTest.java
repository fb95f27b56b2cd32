package io.spottrain.examples.mlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.protocol.checkpoint.CheckpointDir;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example trainer's promise: parameters depend only on the number of steps, never on the
 * world size, nor on an interruption and a resume at another world size.
 */
@Timeout(180)
class DeterminismTest {
    static final String STEPS = "60";

    @TempDir
    Path dir;

    String uninterrupted(int world) throws Exception {
        try (var r = Ranks.start(dir.resolve("w" + world), world, 1, 0, Map.of(), "--steps", STEPS, "--log-every", "20")) {
            assertEquals(Collections.nCopies(world, 0), r.await(90), r::toString);
            String h = r.hash(0);
            for (int i = 1; i < world; i++) assertEquals(h, r.hash(i), "every rank holds the same parameters");
            return h;
        }
    }

    @Test
    void worldSizes1_2_3GiveTheSameParameters() throws Exception {
        String w1 = uninterrupted(1);
        assertEquals(w1, uninterrupted(2));
        assertEquals(w1, uninterrupted(3));
        // and the hash depends on the training, so equality is not vacuous
        try (var r = Ranks.start(dir.resolve("short"), 1, 1, 0, Map.of(), "--steps", "59", "--log-every", "59")) {
            r.await(60);
            assertNotEquals(w1, r.hash(0));
        }
    }

    @Test
    void checkpointAt30OnThreeRanksResumedOnTwoEndsBitIdentical() throws Exception {
        String expected = uninterrupted(1);
        Path first = dir.resolve("gen1");
        try (var r = Ranks.start(first, 3, 1, 0, Map.of(), "--steps", "30", "--checkpoint-every", "30", "--log-every", "10")) {
            assertEquals(List.of(0, 0, 0), r.await(90), r::toString);
            for (int i = 0; i < 3; i++) {
                assertEquals(List.of(30L), new CheckpointDir(r.checkpointDir(i)).committedSteps());
                new CheckpointDir(r.checkpointDir(i)).verify(30);
            }
        }
        // generation 2: two survivors (ranks 0 and 1 keep their local tier) resume from step 30
        Path second = dir.resolve("gen2");
        for (int i = 0; i < 2; i++) {
            copyTree(first.resolve("ckpt-rank" + i), second.resolve("ckpt-rank" + i));
        }
        try (var r = Ranks.start(second, 2, 2, 30, Map.of(), "--steps", STEPS, "--log-every", "10")) {
            assertEquals(List.of(0, 0), r.await(90), r::toString);
            assertTrue(r.output(0).contains("resumed from step 30"), r.output(0));
            assertEquals(expected, r.hash(0));
            assertEquals(expected, r.hash(1));
        }
    }

    @Test
    void aCorruptCheckpointIsRefusedNamingTheFile() throws Exception {
        Path d = dir.resolve("corrupt");
        try (var r = Ranks.start(d, 1, 1, 0, Map.of(), "--steps", "10", "--checkpoint-every", "10")) {
            assertEquals(List.of(0), r.await(60));
        }
        Path params = d.resolve("ckpt-rank0/step-10/params.bin");
        byte[] b = Files.readAllBytes(params);
        b[100] ^= 1;
        Files.write(params, b);
        try (var r = Ranks.start(d, 1, 2, 10, Map.of(), "--steps", "20")) {
            assertEquals(List.of(MlpTrainer.EXIT_BAD_INPUT), r.await(60));
            assertTrue(r.output(0).contains("cannot resume: step 10: file params.bin is corrupt"), r.output(0));
        }
    }

    @Test
    void stateMbTravelsInEveryCheckpointAndIsCheckedOnResume() throws Exception {
        String expected = uninterrupted(1);
        Path first = dir.resolve("state1");
        try (var r = Ranks.start(first, 2, 1, 0, Map.of(), "--steps", "30", "--checkpoint-every", "30", "--state-mb", "8")) {
            assertEquals(List.of(0, 0), r.await(90), r::toString);
            var files = new CheckpointDir(r.checkpointDir(1)).read(30);
            assertEquals(8 << 20, files.get(ExtraState.FILE).length, "8 MiB of state in the checkpoint");
            assertEquals(30, ByteBuffer.wrap(files.get(ExtraState.FILE)).getLong(0), "stamped with its step");
        }
        try (var r = Ranks.start(first, 1, 2, 30, Map.of(), "--steps", STEPS, "--state-mb", "8")) {
            assertEquals(List.of(0), r.await(90), r::toString);
            assertEquals(expected, r.hash(0), "the extra state changes no parameter");
        }
        try (var r = Ranks.start(first, 1, 2, 30, Map.of(), "--steps", STEPS, "--state-mb", "4")) {
            assertEquals(List.of(MlpTrainer.EXIT_BAD_INPUT), r.await(60));
            assertTrue(r.output(0).contains("state.bin has 8388608 bytes, --state-mb asks for 4194304"), r.output(0));
        }
    }

    static void copyTree(Path from, Path to) throws Exception {
        try (var walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t, StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }
}
