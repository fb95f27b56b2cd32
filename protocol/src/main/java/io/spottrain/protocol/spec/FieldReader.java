package io.spottrain.protocol.spec;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The job spec parser's typed field readers: each reads one field at a dotted path, reports its
 * own error (with the source line) and returns null on a bad value, so that one pass finds every
 * error. {@link JobSpecParser}'s reader adds the spec's sections on top.
 */
abstract class FieldReader {
    final List<FieldError> errors = new ArrayList<>();
    final String source;
    final Map<String, Integer> lines = new HashMap<>();

    FieldReader(String source) {
        this.source = source;
    }

    // ---- typed field readers: each reports its own error and returns null on a bad value ----

    /** The mapping at {@code field}; an empty one when it is absent, so that its required fields are reported. */
    ObjectNode object(ObjectNode parent, String parentPath, String field) {
        String path = join(parentPath, field);
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            return JsonNodeFactory.instance.objectNode();
        }
        if (!n.isObject()) {
            error(path, "must be a mapping, got " + describe(n));
            return null;
        }
        unknownFields((ObjectNode) n, path);
        return (ObjectNode) n;
    }

    String string(ObjectNode parent, String parentPath, String field, boolean required) {
        String path = join(parentPath, field);
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            if (required) error(path, "required");
            return null;
        }
        if (!n.isTextual()) {
            error(path, "must be a string, got " + describe(n));
            return null;
        }
        if (required && n.asText().isBlank()) {
            error(path, "must not be empty");
            return null;
        }
        return n.asText();
    }

    /** An optional int: {@code dflt} when absent, null (with an error) when it is not an int. */
    Integer integer(ObjectNode parent, String parentPath, String field, Integer dflt) {
        return integer(parent, parentPath, field, dflt, false);
    }

    Integer integer(ObjectNode parent, String parentPath, String field, Integer dflt, boolean required) {
        String path = join(parentPath, field);
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            if (required) error(path, "required");
            return dflt;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            error(path, "must be an integer, got " + describe(n));
            return null;
        }
        return n.asInt();
    }

    Double number(ObjectNode parent, String parentPath, String field, Double dflt) {
        String path = join(parentPath, field);
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) return dflt;
        if (!n.isNumber()) {
            error(path, "must be a number, got " + describe(n));
            return null;
        }
        return n.asDouble();
    }

    List<String> stringList(ObjectNode parent, String parentPath, String field, boolean required) {
        String path = join(parentPath, field);
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            if (required) {
                error(path, "required");
                return null;
            }
            return List.of();
        }
        if (!n.isArray()) {
            error(path, "must be a list of strings, got " + describe(n)
                    + (n.isTextual() ? " (write [" + n.asText().split(" ")[0] + ", ...] )" : ""));
            return null;
        }
        var out = new ArrayList<String>();
        boolean ok = true;
        for (int i = 0; i < n.size(); i++) {
            JsonNode e = n.get(i);
            if (e.isTextual() || e.isNumber() || e.isBoolean()) {
                out.add(e.asText());
            } else {
                error(path + "[" + i + "]", "must be a string, got " + describe(e));
                ok = false;
            }
        }
        return ok ? out : null;
    }

    /** A mapping of names to scalars (numbers and booleans become their text); empty when absent. */
    Map<String, String> stringMap(ObjectNode parent, String parentPath, String field) {
        String path = join(parentPath, field);
        JsonNode n = parent.get(field);
        var out = new LinkedHashMap<String, String>();
        if (n == null || n.isNull()) return out;
        if (!n.isObject()) {
            error(path, "must be a mapping of names to values, got " + describe(n));
            return out;
        }
        n.fields().forEachRemaining(e -> {
            JsonNode v = e.getValue();
            if (v.isValueNode() && !v.isNull()) {
                out.put(e.getKey(), v.asText());
            } else {
                error(path + "." + e.getKey(), "must be a string, got " + describe(v));
            }
        });
        return out;
    }

    void unknownFields(ObjectNode node, String path) {
        List<String> known = JobSpecParser.FIELDS.get(path);
        node.fieldNames().forEachRemaining(name -> {
            if (!known.contains(name)) {
                String hint = JobSpecParser.didYouMean(name, known);
                error(join(path, name), "unknown field" + (hint == null
                        ? "; known fields here: " + String.join(", ", known)
                        : " (did you mean \"" + hint + "\"?)"));
            }
        });
    }

    void error(String path, String message) {
        errors.add(new FieldError(path, message, lineOf(path)));
    }

    /** Line of the nearest existing ancestor of {@code path} in the source, or 0. */
    int lineOf(String path) {
        String p = path;
        while (!p.isEmpty()) {
            Integer line = lines.get(p);
            if (line != null) return line;
            int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
            p = cut < 0 ? "" : p.substring(0, cut);
        }
        return 0;
    }

    /** Remembers the line of every field and list element, keyed by our dotted path form. */
    void indexLines(ObjectMapper yaml) {
        try (JsonParser p = yaml.getFactory().createParser(source)) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                if (t == JsonToken.FIELD_NAME || p.getParsingContext().inArray()) {
                    String pointer = p.getParsingContext().pathAsPointer().toString();
                    lines.putIfAbsent(dotted(pointer), p.currentTokenLocation().getLineNr());
                }
            }
        } catch (IOException ignored) {
            // readTree already succeeded; line numbers are a convenience only
        }
    }

    static String dotted(String pointer) {
        var sb = new StringBuilder();
        for (String part : pointer.split("/")) {
            if (part.isEmpty()) continue;
            if (part.chars().allMatch(Character::isDigit)) {
                sb.append('[').append(part).append(']');
            } else {
                if (sb.length() > 0) sb.append('.');
                sb.append(part.replace("~1", "/").replace("~0", "~"));
            }
        }
        return sb.toString();
    }

    static String join(String parent, String field) {
        return parent.isEmpty() ? field : parent + "." + field;
    }

    static String describe(JsonNode n) {
        if (n.isTextual()) return "string \"" + n.asText() + "\"";
        if (n.isArray()) return "a list";
        if (n.isObject()) return "a mapping";
        if (n.isBoolean()) return "boolean " + n.asText();
        if (n.isNumber()) return "number " + n.asText();
        return n.getNodeType().toString().toLowerCase();
    }
}
