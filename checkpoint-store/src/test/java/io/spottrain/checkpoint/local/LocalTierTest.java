package io.spottrain.checkpoint.local;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalTierTest {
    @TempDir
    Path tmp;

    @Test
    void retentionNeverDeletesWhatIsNotYetRemoteNorWhatIsPinned() throws Exception {
        var tier = new LocalTier(tmp);
        for (long s = 1; s <= 5; s++) tier.dir().write(s, 1, 1, "j", Map.of("p.bin", new byte[] {(byte) s}), Map.of(), Map.of());
        Set<Long> uploaded = Set.of(1L, 3L, 4L, 5L); // step 2 is still waiting for S3
        try (var pin = tier.pin(3)) {
            assertEquals(List.of(1L), tier.retain(2, uploaded::contains));
            assertEquals(List.of(5L, 4L, 3L, 2L), tier.dir().committedSteps());
        }
        assertEquals(List.of(3L), tier.retain(2, uploaded::contains));
        assertEquals(List.of(5L, 4L, 2L), tier.dir().committedSteps());
        assertEquals(List.of(2L, 4L), tier.retain(0, s -> true).stream().sorted().toList());
        assertEquals(List.of(5L), tier.dir().committedSteps());
    }
}
