package io.spottrain.coordinator.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WatchedFileTest {

    /** A parser that takes a number and refuses anything else, naming the file. */
    private static Integer number(String source, String text) {
        try {
            return Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(source + ": not a number: " + text.strip());
        }
    }

    private static void write(Path f, String text, long secondsAfterEpoch) throws Exception {
        Files.writeString(f, text);
        Files.setLastModifiedTime(f, FileTime.from(Instant.ofEpochSecond(1_700_000_000L + secondsAfterEpoch)));
    }

    @Test
    void readsOnceThenOnlyWhenTheFileChangesAndABadVersionChangesNothingAndIsToldOnce(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("limits.yaml");
        write(f, "5", 0);
        var watched = new WatchedFile<Integer>(f, WatchedFileTest::number);
        assertEquals(new WatchedFile.Changed<>(5), watched.poll(), "the first poll reads it");
        assertInstanceOf(WatchedFile.Unchanged.class, watched.poll(), "nothing changed: not read again");

        write(f, "7", 10);
        assertEquals(new WatchedFile.Changed<>(7), watched.poll());

        write(f, "seven", 20); // a typo while the cluster runs
        var refused = watched.poll();
        assertInstanceOf(WatchedFile.Refused.class, refused);
        assertTrue(((WatchedFile.Refused<Integer>) refused).why().contains("not a number: seven"), refused.toString());
        assertInstanceOf(WatchedFile.Unchanged.class, watched.poll(), "the same bad version is told once");

        write(f, "9", 20); // fixed within the same second: the size tells it apart
        assertEquals(new WatchedFile.Changed<>(9), watched.poll());

        Files.delete(f);
        assertEquals(new WatchedFile.Refused<Integer>(f + " does not exist"), watched.poll());
        assertInstanceOf(WatchedFile.Unchanged.class, watched.poll(), "told once");
        write(f, "9", 20); // back as it was, stamp and all: read again all the same (the file in force may have been another)
        assertEquals(new WatchedFile.Changed<>(9), watched.poll(), "back: read again");
    }
}
