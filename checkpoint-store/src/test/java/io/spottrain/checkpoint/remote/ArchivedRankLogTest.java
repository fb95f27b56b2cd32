package io.spottrain.checkpoint.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ArchivedRankLogTest {
    @Test
    void encodesAHeaderLineThenTheTextAndDecodesBothBack() {
        var log = new ArchivedRankLog("job-1", 3, 2, "node4", "/w/logs/job-1-g3-rank2.log", 0, 31, "2026-12-03T12:00:00Z", "line one\nline two: ünïcode\n");
        byte[] bytes = log.encode();
        String s = new String(bytes, StandardCharsets.UTF_8);
        assertTrue(s.startsWith("#spottrain-rank-log {"), s);
        assertTrue(s.endsWith("}\nline one\nline two: ünïcode\n"), s);
        assertEquals(Optional.of(log), ArchivedRankLog.decode(bytes));
        var empty = new ArchivedRankLog("j", 1, 0, "n", null, 0, 0, "t", "");
        assertEquals(Optional.of(empty), ArchivedRankLog.decode(empty.encode()));
    }

    @Test
    void bytesThatAreNoCopyDecodeToNothing() {
        byte[] good = new ArchivedRankLog("j", 1, 0, "n", "f", 0, 3, "t", "abc").encode();
        for (byte[] bad : new byte[][] {new byte[0], "plain text\n".getBytes(StandardCharsets.UTF_8),
                "#spottrain-rank-log {\"jobId\":".getBytes(StandardCharsets.UTF_8), // torn: no end of header
                "#spottrain-rank-log not json\ntext".getBytes(StandardCharsets.UTF_8), Arrays.copyOf(good, 10)}) {
            assertEquals(Optional.empty(), ArchivedRankLog.decode(bad), new String(bad, StandardCharsets.UTF_8));
        }
    }

    @Test
    void theKeyNamesTheJobTheFilesGenerationAndRankAndTheNodeUnderOnePrefixForAllLogs() {
        assertEquals("_logs/job-1/g3-rank2-node4.log", ArchivedRankLog.key("job-1", 3, 2, "node4"));
    }
}
