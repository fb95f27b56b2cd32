package io.spottrain.coordinator.settings;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A configuration file an operator may edit while the control plane runs (budgets, team quotas): {@link #poll} reads it
 * again when its modification time or size changed since the last look, and says whether the new text can be used. A
 * version that cannot be used (a typo, half written) changes nothing: the caller keeps what is in force, and the same
 * version is not reported twice. Not thread-safe: owned by one actor.
 */
public final class WatchedFile<T> {

    /** Parses the file's text; {@code source} names the file in errors. */
    public interface Parser<T> {
        T parse(String source, String text) throws Exception;
    }

    /** What a poll found: nothing new, a new value to use, or a new version that cannot be used and why. */
    public sealed interface Change<T> permits Unchanged, Changed, Refused {}

    public record Unchanged<T>() implements Change<T> {}

    public record Changed<T>(T value) implements Change<T> {}

    public record Refused<T>(String why) implements Change<T> {}

    private record Stamp(long modifiedMillis, long size) {}

    private final Path path;
    private final Parser<T> parser;
    private Stamp seen;
    private String unreadable;

    public WatchedFile(Path path, Parser<T> parser) {
        this.path = path;
        this.parser = parser;
    }

    public Path path() {
        return path;
    }

    /**
     * Reads the file if it changed since the last poll (the first poll always reads it). A file that cannot be read (gone,
     * no permission) is told once and tried again at every poll: fixing it without changing its contents is seen.
     */
    public Change<T> poll() {
        Stamp now;
        String text;
        try {
            now = new Stamp(Files.getLastModifiedTime(path).toMillis(), Files.size(path));
            if (Objects.equals(now, seen)) return new Unchanged<>();
            text = Files.readString(path);
        } catch (NoSuchFileException e) {
            return unreadable(path + " does not exist");
        } catch (IOException e) {
            return unreadable(path + " cannot be read: " + e.getMessage());
        }
        seen = now;
        unreadable = null;
        try {
            return new Changed<>(parser.parse(path.toString(), text));
        } catch (Exception e) {
            return new Refused<>(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
    }

    private Change<T> unreadable(String why) {
        seen = null; // read it again once it can be, even unchanged
        if (why.equals(unreadable)) return new Unchanged<>();
        unreadable = why;
        return new Refused<>(why);
    }
}
