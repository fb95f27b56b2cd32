package io.spottrain.checkpoint.remote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.spottrain.checkpoint.Progress;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What every {@link ObjectStore} backend must do, against a real S3 API server. */
abstract class ObjectStoreContract {
    @TempDir
    Path tmp;

    /** A store on a fresh bucket, part size 5 MiB. */
    abstract ObjectStore store();

    @Test
    void smallObjectsRoundTripAndMissingOnesAreEmpty() throws Exception {
        ObjectStore s = store();
        s.ensureBucket();
        s.ensureBucket(); // idempotent
        assertTrue(s.putBytes("a/b/one", "hello".getBytes(StandardCharsets.UTF_8), false));
        assertEquals("hello", new String(s.getBytes("a/b/one").orElseThrow(), StandardCharsets.UTF_8));
        assertEquals(Optional.of(5L), s.size("a/b/one"));
        assertEquals(Optional.empty(), s.getBytes("a/b/none"));
        assertEquals(Optional.empty(), s.size("a/b/none"));
    }

    @Test
    void multipartUploadRoundTripsBitForBitWithProgress() throws Exception {
        ObjectStore s = store();
        s.ensureBucket();
        Path big = tmp.resolve("big.bin");
        byte[] data = new byte[12 * 1024 * 1024 + 12345]; // 3 parts of 5 MiB
        new Random(1).nextBytes(data);
        Files.write(big, data);
        var up = new AtomicLong();
        s.putFile("job/step-1/big.bin", big, CheckpointDir.sha256(data), (done, total) -> up.set(done));
        assertEquals(data.length, up.get());
        assertEquals(Optional.of((long) data.length), s.size("job/step-1/big.bin"));
        Path back = tmp.resolve("back.bin");
        var down = new AtomicLong();
        s.getFile("job/step-1/big.bin", back, (done, total) -> down.set(done));
        assertEquals(data.length, down.get());
        assertEquals(CheckpointDir.sha256(data), CheckpointDir.sha256(back));
        assertFalse(Files.exists(tmp.resolve("back.bin.part")));
    }

    @Test
    void aFileThatDoesNotHashToItsManifestEntryIsRefusedWhereTheServerChecks() throws Exception {
        ObjectStore s = store();
        s.ensureBucket();
        Path f = tmp.resolve("one.bin");
        byte[] data = new byte[1024 * 1024];
        new Random(2).nextBytes(data);
        Files.write(f, data);
        s.putFile("job/step-2/ok.bin", f, CheckpointDir.sha256(data), Progress.NONE); // the right hash passes everywhere
        assertEquals(Optional.of((long) data.length), s.size("job/step-2/ok.bin"));
        assumeTrue(s.serverChecksSha256(data.length), s.describe() + " does not check checksums (S3Proxy): restores verify instead");
        data[7] ^= 1; // what the manifest says differs from the bytes sent
        assertThrows(IOException.class, () -> s.putFile("job/step-2/bad.bin", f, CheckpointDir.sha256(data), Progress.NONE));
        assertEquals(Optional.empty(), s.size("job/step-2/bad.bin"), "nothing stored");
    }

    @Test
    void listIsSortedAndScopedToThePrefixAndDeleteRemoves() throws Exception {
        ObjectStore s = store();
        s.ensureBucket();
        for (String k : List.of("p/j/step-10/x", "p/j/step-2/x", "p/k/step-1/x", "q/z")) s.putBytes(k, new byte[] {1}, false);
        assertEquals(List.of("p/j/step-10/x", "p/j/step-2/x"), s.list("p/j/"));
        s.delete("p/j/step-2/x");
        assertEquals(List.of("p/j/step-10/x"), s.list("p/j/"));
    }

    @Test
    void createOnlyWritesAreHonouredWhereTheServerSupportsThem() throws Exception {
        ObjectStore s = store();
        s.ensureBucket();
        assertTrue(s.putBytes("cas/key", new byte[] {1}, true));
        boolean second = s.putBytes("cas/key", new byte[] {2}, true);
        if (s.conditionalWrites()) {
            assertFalse(second, "a create-only write of an existing key must be refused");
            assertArrayEquals(new byte[] {1}, s.getBytes("cas/key").orElseThrow());
        } else {
            assertTrue(second, "without conditional writes the write goes through");
        }
    }

    @Test
    void describeNeverShowsCredentials() {
        String d = store().describe();
        assertTrue(d.contains("s3://"), d);
        assertFalse(d.toLowerCase().contains("secret"), d);
    }
}
