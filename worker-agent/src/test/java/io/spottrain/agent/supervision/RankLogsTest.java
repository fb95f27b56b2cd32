package io.spottrain.agent.supervision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.protocol.wire.AgentProtocol;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
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

    /** A multi-line secret (a PEM key) that began before the window: starting at a whole line is not enough, its rest is skipped. */
    @Test
    void aMultiLineSecretAcrossTheWindowsStartIsNotShown() throws Exception {
        String pem = "-----BEGIN KEY-----\nAAAAsecretline1\nBBBBsecretline2\n-----END KEY-----";
        String tail = "after the key\nstep 1\n";
        Path log = Files.writeString(dir.resolve("pem.log"), "before\n" + pem + "\n" + tail);
        var redactor = new Redactor(List.of(pem));
        // a window that starts inside the key's second line
        int bytes = (int) Files.size(log) - ("before\n".length() + 25);
        var r = RankLogs.read("node1", log, ask(bytes), redactor);
        assertEquals(tail, r.text(), "after the key, from a whole line");
        assertEquals(Files.size(log), r.next());
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

    static AgentProtocol.TailRankLog from(long offset, int bytes) {
        return new AgentProtocol.TailRankLog("job-1", 2, 0, null, bytes, offset, null);
    }

    /** Following: whole lines from an offset, {@code next} after the last; a secret is never cut in two, a replaced file starts at 0. */
    @Test
    void followingReadsWholeLinesOnFromWhereTheLastReadEnded() throws Exception {
        Path log = dir.resolve("rank.log");
        var redactor = new Redactor(List.of("s3cr3t-value-123"));
        Files.writeString(log, "one\ntwo token=s3cr3t-value-123\nthr");
        var first = RankLogs.read("node1", log, from(0, 1000), redactor);
        assertEquals("one\ntwo token=[redacted]\n", first.text(), "a line still being written waits");
        assertEquals(31, first.next());
        Files.writeString(log, "ee\n", StandardOpenOption.APPEND);
        var second = RankLogs.read("node1", log, from(first.next(), 1000), redactor);
        assertEquals("three\n", second.text());
        assertEquals(Files.size(log), second.next());
        // a small window: several reads, none showing any part of the secret
        var sb = new StringBuilder();
        long at = 0;
        for (int i = 0; i < 40 && at < Files.size(log); i++) {
            var r = RankLogs.read("node1", log, from(at, 12), redactor);
            sb.append(r.text());
            at = r.next();
        }
        assertEquals("one\ntwo token=[redacted]\nthree\n", sb.toString());
        // a line longer than the window: given in pieces, each holding back what could start a secret
        Path longLine = dir.resolve("long.log");
        Files.writeString(longLine, "x".repeat(30) + "s3cr3t-value-123" + "y".repeat(30) + "\n");
        var pieces = new StringBuilder();
        at = 0;
        for (int i = 0; i < 40 && at < Files.size(longLine); i++) {
            var r = RankLogs.read("node1", longLine, from(at, 20), redactor);
            pieces.append(r.text());
            assertTrue(!r.text().contains("s3cr3t") && !r.text().contains("value-123"), "no part of the secret: " + r.text());
            at = r.next();
        }
        assertTrue(pieces.toString().endsWith("y\n"), pieces.toString());
        // an offset past the end: the file was replaced (another generation's): from its start
        assertTrue(RankLogs.read("node1", dir.resolve("rank.log"), from(1_000_000, 4), redactor).text().startsWith("one\n"));
    }

    /** Found in review: half a secret at the end of the file, a secret with a newline in it, bytes that are not UTF-8, a last line with no newline. */
    @Test
    void noPartOfASecretEverShowsAndOffsetsAreBytes() throws Exception {
        var redactor = new Redactor(List.of("s3cr3t-value-123", "line-one-of-key\nline-two-of-key"));
        Path log = dir.resolve("half.log");
        Files.writeString(log, "a line\nx token=s3cr3");
        var tail = RankLogs.read("node1", log, ask(1000), redactor);
        assertEquals("a line\nx token=", tail.text(), "the tail stops where the secret may be starting");
        assertEquals(15, tail.next(), "and a follower goes on from there");
        assertEquals("a line\n", RankLogs.read("node1", log, from(0, 1000), redactor).text(), "a line still being written waits");
        Files.setLastModifiedTime(log, FileTime.from(Instant.now().minusSeconds(10)));
        assertEquals("a line\nx token=", RankLogs.read("node1", log, from(0, 1000), redactor).text(),
                "a quiet file's last line is whole, still without the half secret");
        // a secret with a newline in it: its first line alone is held back
        Path pem = dir.resolve("pem.log");
        Files.writeString(pem, "before\nline-one-of-key\n");
        assertEquals("before\n", RankLogs.read("node1", pem, from(0, 1000), redactor).text());
        Files.writeString(pem, "line-two-of-key\nafter\n", StandardOpenOption.APPEND);
        assertEquals("before\n[redacted]\nafter\n", RankLogs.read("node1", pem, from(0, 1000), redactor).text());
        // next is a byte offset: multi-byte characters and a byte that is not UTF-8
        Path bytes = dir.resolve("bytes.log");
        byte[] line = "\u00e9t\u00e9 \u00fc\n".getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[line.length + 3];
        System.arraycopy(line, 0, all, 0, line.length);
        all[line.length] = (byte) 0xFF;
        all[line.length + 1] = 'z';
        all[line.length + 2] = '\n';
        Files.write(bytes, all);
        var first = RankLogs.read("node1", bytes, from(0, 1000), redactor);
        assertEquals(all.length, first.next(), "the offset counts the file's bytes, not re-encoded text");
        assertEquals("", RankLogs.read("node1", bytes, from(first.next(), 1000), redactor).text(), "nothing read twice");
    }
}
