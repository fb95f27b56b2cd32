package io.spottrain.launchers.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** When a coordinator maps the class data archive: only for the java and the exact set of jars it was made for, none newer. */
class CoordinatorArchiveTest {
    @TempDir
    Path target;

    Path jar;
    Path a;
    Path b;
    Path archive;
    String java = "/usr/lib/jvm/x/bin/java";

    @BeforeEach
    void distribution() throws Exception {
        Files.createDirectories(target.resolve("lib"));
        jar = Files.writeString(target.resolve("spottrain-launchers.jar"), "jar");
        b = Files.writeString(target.resolve("lib/b.jar"), "b");
        a = Files.writeString(target.resolve("lib/a.jar"), "a");
        Files.writeString(target.resolve("lib/notes.txt"), "not a jar");
        Files.createDirectories(target.resolve("cds"));
        archive = Files.writeString(target.resolve("cds/coordinator.jsa"), "archive");
        for (Path p : List.of(jar, a, b)) Files.setLastModifiedTime(p, FileTime.from(Instant.parse("2026-12-01T00:00:00Z")));
        Files.setLastModifiedTime(archive, FileTime.from(Instant.parse("2026-12-02T00:00:00Z")));
        Files.write(target.resolve("cds/coordinator.classpath"), List.of(java, CoordinatorArchive.VM_VERSION, cp(jar, a, b)));
    }

    static String cp(Path... entries) {
        return CoordinatorArchive.join(List.of(entries));
    }

    JavaCommand command(String classpath) {
        return new JavaCommand(java, classpath, List.of("-Xmx512m"));
    }

    @Test
    void theDistributionIsTheJarThenItsLibJarsByName() {
        assertEquals(List.of(jar, a, b), CoordinatorArchive.distribution(target).orElseThrow());
        assertTrue(CoordinatorArchive.distribution(target.resolve("lib")).isEmpty(), "no launchers jar there");
    }

    @Test
    void theSameJarsInAnyOrderMapTheArchiveInItsOwnOrder() {
        JavaCommand mapped = CoordinatorArchive.mapped(command(cp(b, jar, a)));
        assertEquals(cp(jar, a, b), mapped.classpath());
        assertEquals(List.of("-Xmx512m", "-XX:SharedArchiveFile=" + archive, "-Xshare:auto", "-Xlog:cds=off", "-Xlog:cds+dynamic=off"),
                mapped.jvmFlags());
    }

    @Test
    void anythingElseStartsWithoutIt() throws Exception {
        // a jar more or less, a test classpath with directories, another java
        for (JavaCommand c : List.of(command(cp(jar, a)), command(cp(jar, a, b, target.resolve("test-classes"))),
                command(cp(a, b)), new JavaCommand("/opt/other/bin/java", cp(jar, a, b), List.of()))) {
            assertSame(c, CoordinatorArchive.mapped(c), c.toString());
        }
        // the same java path at another build (a JDK updated in place)
        Files.write(target.resolve("cds/coordinator.classpath"), List.of(java, "17.0.0-other", cp(jar, a, b)));
        JavaCommand updated = command(cp(jar, a, b));
        assertSame(updated, CoordinatorArchive.mapped(updated));
        Files.write(target.resolve("cds/coordinator.classpath"), List.of(java, CoordinatorArchive.VM_VERSION, cp(jar, a, b)));
        // a jar rebuilt after the archive was made
        Files.setLastModifiedTime(b, FileTime.from(Instant.parse("2026-12-03T00:00:00Z")));
        JavaCommand rebuilt = command(cp(jar, a, b));
        assertSame(rebuilt, CoordinatorArchive.mapped(rebuilt));
        Files.setLastModifiedTime(b, FileTime.from(Instant.parse("2026-12-01T00:00:00Z")));
        // a jar of the archive's classpath gone, or no sidecar
        Files.delete(a);
        JavaCommand missing = command(cp(jar, a, b));
        assertSame(missing, CoordinatorArchive.mapped(missing));
        Files.writeString(a, "a");
        Files.setLastModifiedTime(a, FileTime.from(Instant.parse("2026-12-01T00:00:00Z")));
        Files.delete(target.resolve("cds/coordinator.classpath"));
        JavaCommand noSidecar = command(cp(jar, a, b));
        assertSame(noSidecar, CoordinatorArchive.mapped(noSidecar));
    }
}
