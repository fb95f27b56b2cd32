package io.spottrain.checkpoint.archive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TarZstTest {
    @TempDir
    Path tmp;

    @Test
    void manySmallFilesRoundTrip() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src"));
        var names = new ArrayList<String>();
        for (int i = 0; i < 200; i++) {
            names.add("shard-" + i + ".bin");
            Files.write(src.resolve("shard-" + i + ".bin"), ("content " + i).repeat(i + 1).getBytes());
        }
        Path archive = tmp.resolve("bundle.tar.zst");
        TarZst.pack(src, names, archive, 3);
        assertTrue(Files.size(archive) < names.stream().mapToLong(n -> src.resolve(n).toFile().length()).sum());
        List<String> out = TarZst.unpack(archive, tmp.resolve("dst"));
        assertEquals(names, out);
        for (String n : names) assertArrayEquals(Files.readAllBytes(src.resolve(n)), Files.readAllBytes(tmp.resolve("dst").resolve(n)));
    }

    @Test
    void entriesThatEscapeTheDirectoryAreRefused() throws Exception {
        for (String evil : List.of("../escaped.txt", "/etc/evil", "a/../../x")) {
            Path archive = tmp.resolve("evil.tar.zst");
            try (var z = new ZstdOutputStream(Files.newOutputStream(archive)); var tar = new TarArchiveOutputStream(z)) {
                var e = new TarArchiveEntry(evil, true);
                e.setSize(3);
                tar.putArchiveEntry(e);
                tar.write("bad".getBytes());
                tar.closeArchiveEntry();
            }
            Path dst = tmp.resolve("dst-" + Math.abs(evil.hashCode()));
            var ex = assertThrows(IOException.class, () -> TarZst.unpack(archive, dst), evil);
            assertTrue(ex.getMessage().contains("escapes") || ex.getMessage().contains("not a plain file"), ex.getMessage());
            assertTrue(Files.notExists(tmp.resolve("escaped.txt")));
        }
    }
}
