package io.spottrain.launchers.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.protocol.json.Json;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The store's write-time percentile between two stats reads, from the coordinator's cumulative buckets. */
class ScaleBenchTest {
    static JsonNode stats(Long... byMillis) {
        return Json.MAPPER.valueToTree(Map.of("store", Map.of("writesByMillis", List.of(byMillis),
                "writeBucketsMillis", List.of(1, 2, 5, 10))));
    }

    @Test
    void thePercentileIsTheBoundOfTheBucketThatHoldsItCountingOnlyWritesBetweenTheReads() {
        var before = stats(100L, 0L, 0L, 0L, 0L);
        // between the reads: 98 writes <= 1 ms, 1 <= 5 ms, 1 longer than 10 ms
        var after = stats(198L, 0L, 1L, 0L, 1L);
        assertEquals(1, ScaleBench.writeMillis(after, before, 50));
        assertEquals(1, ScaleBench.writeMillis(after, before, 98));
        assertEquals(5, ScaleBench.writeMillis(after, before, 99));
        assertEquals(ScaleBench.BEYOND_BUCKETS, ScaleBench.writeMillis(after, before, 100), "the slowest was beyond the last bound");
        assertEquals(-1, ScaleBench.writeMillis(before, before, 99), "no write between the reads");
        assertEquals(5, ScaleBench.writeMillis(stats(0L, 0L, 3L, 0L, 0L), stats(0L, 0L, 0L, 0L, 0L), 100));
        var older = Json.MAPPER.valueToTree(Map.of("store", Map.of("writes", 3)));
        assertEquals(ScaleBench.NOT_REPORTED, ScaleBench.writeMillis(older, older, 99), "a coordinator without the buckets");
    }
}
