package io.spottrain.launchers.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Stopping local processes together with everything they started, every wait bounded. */
public final class ProcessTree {
    private ProcessTree() {}

    /** SIGTERM, wait up to {@code grace}, then SIGKILL the process and all its descendants. Returns true if it ran. */
    public static boolean stop(long pid, Duration grace) {
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isEmpty() || !h.get().isAlive()) return false;
        List<ProcessHandle> descendants = h.get().descendants().toList();
        h.get().destroy();
        awaitExit(h.get(), grace);
        kill(h.get(), descendants);
        return true;
    }

    /** SIGKILL at once: the process first (so it cannot react), then what it started. */
    public static boolean kill(long pid) {
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isEmpty() || !h.get().isAlive()) return false;
        kill(h.get(), h.get().descendants().toList());
        return true;
    }

    private static void kill(ProcessHandle root, List<ProcessHandle> descendantsBefore) {
        var all = new ArrayList<ProcessHandle>();
        all.add(root);
        all.addAll(descendantsBefore);
        all.addAll(root.descendants().toList());
        all.forEach(ProcessHandle::destroyForcibly);
        all.forEach(p -> awaitExit(p, Duration.ofSeconds(5)));
    }

    public static boolean awaitExit(ProcessHandle p, Duration timeout) {
        try {
            p.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            return !p.isAlive();
        }
    }

    public static boolean alive(long pid) {
        return pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** A pid written by {@link #writePid}, or 0 when the file is missing or unreadable. */
    public static long readPid(Path file) {
        try {
            return Long.parseLong(Files.readString(file).strip());
        } catch (Exception e) {
            return 0;
        }
    }

    public static void writePid(Path file, long pid) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, pid + "\n");
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The last {@code lines} lines of a text file, for error messages ("" when unreadable). */
    public static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (Exception e) {
            return "";
        }
    }
}
