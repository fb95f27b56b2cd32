package io.spottrain.coordinator.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** How the API answers from a rank log's remote copy ({@link RankLogRoutes#fromCopy}) and which file a member's path names. */
class RankLogCopyTest {
    // the copy holds bytes 100..130 of the rank's file
    static final LogArchive.Copy COPY = new LogArchive.Copy("s3://b/p/_logs/job/g1-rank1-node2.log", "node2", "/w/logs/job-g1-rank1.log",
            100, 130, "2026-12-03T12:00:00Z", "step 1\nstep 2\nstep 3 ünï\nend\n");

    @Test
    void theEndOfTheCopyFromAWholeLine() {
        var all = RankLogRoutes.fromCopy("job", 1, 1, COPY, 1000, null);
        assertEquals(COPY.text(), all.text());
        assertEquals("/w/logs/job-g1-rank1.log", all.file(), "the file on its node: a follower sees the same file");
        assertEquals("s3://b/p/_logs/job/g1-rank1-node2.log", all.copyLocation());
        assertEquals("node2", all.nodeId());
        assertEquals("2026-12-03T12:00:00Z", all.copiedAt());
        assertEquals(130, all.size());
        assertEquals(130, all.next(), "the copy's end in the file (masked secrets change the text's length)");
        assertNull(all.error());
        assertEquals("end\n", RankLogRoutes.fromCopy("job", 1, 1, COPY, 6, null).text(), "6 bytes: only the whole last line");
        assertEquals("step 3 ünï\nend\n", RankLogRoutes.fromCopy("job", 1, 1, COPY, 17, null).text(), "17 bytes: that line in UTF-8 and the last");
    }

    @Test
    void followingFromAnOffsetOfTheFile() {
        assertEquals("step 2\nstep 3 ünï\nend\n", RankLogRoutes.fromCopy("job", 1, 1, COPY, 1000, 107L).text());
        assertEquals("step 3 ünï\nend\n", RankLogRoutes.fromCopy("job", 1, 1, COPY, 1000, 109L).text(), "inside a line: the next");
        assertEquals(COPY.text(), RankLogRoutes.fromCopy("job", 1, 1, COPY, 1000, 3L).text(), "before the copy: all of it");
        var at = RankLogRoutes.fromCopy("job", 1, 1, COPY, 1000, 130L);
        assertEquals("", at.text(), "the reader has all the copy has");
        assertEquals(130, at.next());
        var past = RankLogRoutes.fromCopy("job", 1, 1, COPY, 1000, 500L);
        assertEquals("", past.text(), "a copy older than what the reader has: nothing, and it goes on from where it was");
        assertEquals(500, past.next());
    }

    @Test
    void theFileAMembersPathNames() {
        assertEquals(new RankLogRoutes.FileId(1, 2), RankLogRoutes.FileId.of("/w/logs/job-7-g1-rank2.log", 4, 0), "re-formed in place");
        assertEquals(new RankLogRoutes.FileId(4, 0), RankLogRoutes.FileId.of(null, 4, 0));
        assertEquals(new RankLogRoutes.FileId(4, 0), RankLogRoutes.FileId.of("/w/other.txt", 4, 0));
    }
}
