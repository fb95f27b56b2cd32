package io.spottrain.coordinator.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ParsedDocumentsTest {

    @Test
    void parsesOncePerDistinctJsonAndAgainWhenItChanges() {
        var parses = new AtomicInteger();
        var cache = new ParsedDocuments<String>(json -> {
            parses.incrementAndGet();
            return json.toUpperCase();
        }, 24); // room for three 7-character documents
        String first = cache.get(new String("{\"a\":1}"));
        assertSame(first, cache.get(new String("{\"a\":1}")), "an equal JSON string (a fresh copy from the store) is not parsed again");
        assertEquals(1, parses.get());
        assertEquals("{\"A\":2}", cache.get("{\"a\":2}"), "a changed document is parsed");
        assertEquals(2, parses.get());
        cache.get("{\"a\":3}");
        cache.get("{\"a\":4}"); // 28 characters: past the bound, the cache starts again
        cache.get("{\"a\":1}");
        assertEquals(5, parses.get(), "bounded by the JSON held: entries dropped at the bound are parsed again");
    }
}
