package io.spottrain.checkpoint.archive;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Bundles many small checkpoint files into one {@code .tar.zst} (fewer S3 requests), and extracts
 * such archives safely: every entry must be a plain file whose normalized path stays inside the
 * target directory (no {@code ..}, no absolute paths, no links), else extraction stops with the
 * entry named and nothing outside the directory is touched.
 */
public final class TarZst {
    private TarZst() {}

    /** Packs the named files of {@code dir} (plain names) into {@code archive}. */
    public static void pack(Path dir, List<String> names, Path archive, int level) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(archive));
                var z = new ZstdOutputStream(out, level);
                var tar = new TarArchiveOutputStream(z)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            for (String name : names) {
                Path f = dir.resolve(name);
                var e = new TarArchiveEntry(name);
                e.setSize(Files.size(f));
                tar.putArchiveEntry(e);
                Files.copy(f, tar);
                tar.closeArchiveEntry();
            }
            tar.finish();
        }
    }

    /** Extracts into {@code dir} (created); returns the names extracted. */
    public static List<String> unpack(Path archive, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path root = dir.toAbsolutePath().normalize();
        var names = new ArrayList<String>();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(archive));
                var z = new ZstdInputStream(in);
                var tar = new TarArchiveInputStream(z)) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                String name = e.getName();
                if (!e.isFile()) {
                    throw new IOException("archive " + archive.getFileName() + ": entry \"" + name + "\" is not a plain file");
                }
                Path target = root.resolve(name).normalize();
                if (name.startsWith("/") || !target.startsWith(root) || target.equals(root)) {
                    throw new IOException("archive " + archive.getFileName() + ": entry \"" + name + "\" escapes " + dir);
                }
                Files.createDirectories(target.getParent());
                Files.copy(tar, target, StandardCopyOption.REPLACE_EXISTING);
                names.add(root.relativize(target).toString());
            }
        }
        return names;
    }
}
