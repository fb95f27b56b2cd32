package io.spottrain.agent.supervision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.spottrain.protocol.wire.AgentProtocol;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rank run as an unprivileged user (real setpriv, needs root: skipped otherwise) cannot read the
 * agent's environment through /proc, and can write its checkpoint directory.
 */
class RunAsTest {
    @TempDir
    Path dir;

    @Test
    void aRankRunAsNobodyCannotReadTheAgentsEnvironmentButWritesItsCheckpoints() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")) && Files.isExecutable(Path.of("/usr/bin/setpriv")),
                "needs root and setpriv");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x")); // a temp dir is 0700
        var supervisor = new ProcessSupervisor("node1", dir.resolve("work"), dir, RunAs.of("nobody", dir), JobSecrets.NONE);
        var start = new AgentProtocol.StartGeneration("j", 1, 0, 1, "127.0.0.1", 1, 0, 0, 1, null, List.of(), Map.of(),
                List.of("/bin/sh", "-c", "id -un; (cat /proc/$PPID/environ >/dev/null 2>&1 && echo READ) || echo DENIED; "
                        + "touch \"$SPOTTRAIN_CHECKPOINT_DIR/x\" && echo WROTE; echo HOME=$HOME"),
                Map.of(), List.of(), null, null);
        var rank = supervisor.start(start, m -> { });
        assertTrue(rank.process().waitFor(20, TimeUnit.SECONDS));
        rank.control().close();
        String out = Files.readString(rank.logFile());
        assertEquals(List.of("nobody", "DENIED", "WROTE", "HOME=" + dir.resolve("work").resolve("home")), out.strip().lines().toList(), out);
        assertTrue(Files.exists(supervisor.checkpointDir("j").resolve("x")));
    }

    @Test
    void anUnknownUserIsRefusedNamingTheSetting() {
        assumeTrue("root".equals(System.getProperty("user.name")) && Files.isExecutable(Path.of("/usr/bin/setpriv")),
                "needs root and setpriv");
        var e = assertThrows(IllegalArgumentException.class, () -> RunAs.of("no-such-user-xyz", dir));
        assertEquals("spottrain.agent.run-as: no user no-such-user-xyz on this machine", e.getMessage());
    }
}
