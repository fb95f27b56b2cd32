package io.spottrain.coordinator.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** How the API answers from a rank log's remote copy ({@link RankLogRoutes#fromCopy}) and which file a member's path names. */
class RankLogCopyTest {
    // the copy holds bytes 100..130 of the rank's file
    static final LogArchive.Copy COPY = new LogArchive.Copy("s3://b/p/job/logs/g1-rank1.log", "node2", 100, 130, "2026-12-03T12:00:00Z",
            "step 1\nstep 2\nstep 3 ünï\nend\n");

    @Test
    void theEndOfTheCopyFromAWholeLine() {
        var all = RankLogRoutes.fromCopy("job", 1, 1, "node2", COPY, 1000, null);
        assertEquals(COPY.text(), all.text());
        assertEquals("s3://b/p/job/logs/g1-rank1.log", all.file());
        assertEquals("2026-12-03T12:00:00Z", all.copiedAt());
        assertEquals(130, all.size());
        assertEquals(100 + COPY.text().getBytes(StandardCharsets.UTF_8).length, all.next());
        assertNull(all.error());
        assertEquals("end\n", RankLogRoutes.fromCopy("job", 1, 1, "node2", COPY, 6, null).text(), "6 bytes: only the whole last line");
        assertEquals("step 3 ünï\nend\n", RankLogRoutes.fromCopy("job", 1, 1, "node2", COPY, 17, null).text(), "17 bytes: that line in UTF-8 and the last");
    }

    @Test
    void followingFromAnOffsetOfTheFile() {
        assertEquals("step 2\nstep 3 ünï\nend\n", RankLogRoutes.fromCopy("job", 1, 1, "node2", COPY, 1000, 107L).text());
        assertEquals(COPY.text(), RankLogRoutes.fromCopy("job", 1, 1, "node2", COPY, 1000, 3L).text(), "before the copy: all of it");
        var past = RankLogRoutes.fromCopy("job", 1, 1, "node2", COPY, 1000, 500L);
        assertEquals("", past.text(), "nothing after the copy's end");
    }

    @Test
    void theFileAMembersPathNames() {
        assertEquals(new RankLogRoutes.FileId(1, 2), RankLogRoutes.FileId.of("/w/logs/job-7-g1-rank2.log", 4, 0), "re-formed in place");
        assertEquals(new RankLogRoutes.FileId(4, 0), RankLogRoutes.FileId.of(null, 4, 0));
        assertEquals(new RankLogRoutes.FileId(4, 0), RankLogRoutes.FileId.of("/w/other.txt", 4, 0));
    }
}
