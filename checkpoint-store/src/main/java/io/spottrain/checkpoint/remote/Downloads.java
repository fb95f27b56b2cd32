package io.spottrain.checkpoint.remote;

import io.spottrain.checkpoint.Progress;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Shared by the backends: an object's bytes into a file, via {@code <file>.part}, renamed when complete. */
final class Downloads {
    private Downloads() {}

    static void toFile(InputStream in, Path dest, long total, Progress progress) throws IOException {
        Path tmp = dest.resolveSibling(dest.getFileName() + ".part");
        try (in; var out = Files.newOutputStream(tmp)) {
            byte[] buf = new byte[1 << 16];
            long done = 0;
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                done += n;
                progress.update(done, total);
            }
        }
        Files.move(tmp, dest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
