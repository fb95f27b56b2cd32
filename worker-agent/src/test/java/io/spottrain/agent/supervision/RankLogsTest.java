package io.spottrain.agent.supervision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.protocol.wire.AgentProtocol;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RankLogsTest {
    @TempDir
    Path dir;

    static AgentProtocol.TailRankLog ask(int bytes) {
        return new AgentProtocol.TailRankLog("job-1", 2, 0, null, bytes, null);
    }

    @Test
    void theEndOfTheOutputFromAWholeLineWithSecretsMasked() throws Exception {
        Path log = dir.resolve("rank.log");
        var sb = new StringBuilder();
        for (int i = 0; i < 200; i++) sb.append("step ").append(i).append(" loss 0.5 token=s3cr3t-value-123\n");
        Files.writeString(log, sb);
        var redactor = new Redactor(List.of("s3cr3t-value-123"));
        AgentProtocol.RankLog r = RankLogs.read("node1", log, ask(100), redactor);
        assertNull(r.error());
        assertEquals(Files.size(log), r.size());
        assertTrue(r.text().startsWith("step "), "starts at a line boundary: " + r.text());
        assertTrue(r.text().endsWith("step 199 loss 0.5 token=[redacted]\n"), r.text());
        assertTrue(!r.text().contains("s3cr3t") && r.text().length() <= 100, r.text());
        // the whole file when it is small enough (whatever is asked, the cap holds)
        assertEquals(Files.readString(log).replace("s3cr3t-value-123", "[redacted]"), RankLogs.read("node1", log, ask(1 << 20), redactor).text());
        assertTrue(Files.size(log) < AgentProtocol.MAX_LOG_BYTES);
    }

    @Test
    void noSuchOutputOrABadJobIdIsAnErrorNotAFile() throws Exception {
        var sup = new ProcessSupervisor("node1", dir, dir);
        AgentProtocol.RankLog missing = RankLogs.read("node1", sup, ask(1000), new Redactor(List.of()));
        assertTrue(missing.error().startsWith("node node1 has no output of job job-1 generation 2 rank 0"), missing.error());
        assertEquals("", missing.text());
        AgentProtocol.RankLog escape = RankLogs.read("node1", sup, new AgentProtocol.TailRankLog("../../etc/passwd", 1, 0, null, 1000, null),
                new Redactor(List.of()));
        assertEquals("not a job id: ../../etc/passwd", escape.error());
        // the file the rank reported is read (a rank re-formed in place keeps its first file), but only inside the log directory
        Files.createDirectories(sup.logDir());
        Path first = sup.logFile("job-1", 1, 0);
        Files.writeString(first, "generation 1 and 2 output\n");
        var reported = RankLogs.read("node1", sup, new AgentProtocol.TailRankLog("job-1", 2, 0, first.toString(), 1000, null),
                new Redactor(List.of()));
        assertNull(reported.error());
        assertEquals("generation 1 and 2 output\n", reported.text());
        Files.writeString(dir.resolve("node.key"), "private");
        var outside = RankLogs.read("node1", sup, new AgentProtocol.TailRankLog("job-1", 2, 0, sup.logDir() + "/../node.key", 1000, null),
                new Redactor(List.of()));
        assertTrue(outside.error().startsWith("not a rank log of node node1"), outside.error());
        // a link planted under the log name is never followed
        Files.createSymbolicLink(sup.logFile("job-1", 3, 0), dir.resolve("node.key"));
        var link = RankLogs.read("node1", sup, new AgentProtocol.TailRankLog("job-1", 3, 0, null, 1000, null), new Redactor(List.of()));
        assertTrue(link.error() != null && link.text().isEmpty(), link.toString());
    }
}
