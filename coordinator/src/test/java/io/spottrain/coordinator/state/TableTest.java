package io.spottrain.coordinator.state;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Locale;
import org.junit.jupiter.api.Test;

/** Sequence keys sort as their numbers do, and are the same keys as stores written before hold. */
class TableTest {
    @Test
    void aSequenceKeyIsTheOwnerAndTwelveZeroPaddedDigitsAsEverWritten() {
        long[] seqs = {0, 1, 9, 10, 42, 999, 123_456_789, 999_999_999_999L, 1_000_000_000_000L, Long.MAX_VALUE, -1, -42};
        for (long seq : seqs) assertEquals("job-1#" + String.format(Locale.ROOT, "%012d", seq), Table.seqKey("job-1", seq), "seq " + seq);
        assertEquals("j#000000000007", Table.seqKey("j", 7));
    }
}
