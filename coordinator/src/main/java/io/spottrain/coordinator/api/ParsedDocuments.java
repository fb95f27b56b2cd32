package io.spottrain.coordinator.api;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Parsed stored documents, reused while the stored JSON is the same: the API reads the job list
 * and job views on every request, and most documents (ended jobs, specs, a running job between
 * significant changes) do not change between reads. Hashing and comparing the JSON costs far less
 * than parsing it (the 1,000-agent bench spent most of the API's CPU in Jackson). Bounded by the
 * JSON it holds, not by entries (a spec may be 256 KiB): past {@code maxChars} the cache starts
 * again. Thread-safe.
 */
final class ParsedDocuments<T> {
    private final Map<String, T> byJson = new ConcurrentHashMap<>();
    private final Function<String, T> parse;
    private final long maxChars;
    private final AtomicLong chars = new AtomicLong();

    ParsedDocuments(Function<String, T> parse, long maxChars) {
        this.parse = parse;
        this.maxChars = maxChars;
    }

    T get(String json) {
        T value = byJson.get(json);
        if (value != null) return value;
        value = parse.apply(json);
        if (chars.addAndGet(json.length()) > maxChars) {
            byJson.clear();
            chars.set(json.length());
        }
        byJson.put(json, value);
        return value;
    }
}
