package io.spottrain.protocol.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** docs/jobspec.schema.json names exactly the fields the parser knows, at the same paths. */
class JobSpecSchemaTest {

    @Test
    void schemaFieldsMatchTheParser() throws Exception {
        JsonNode schema = new ObjectMapper().readTree(Path.of("..", "docs", "jobspec.schema.json").toFile());
        var fromSchema = new TreeMap<String, List<String>>();
        collect(schema, "", fromSchema);
        var fromParser = new TreeMap<String, List<String>>();
        JobSpecParser.FIELDS.forEach((k, v) -> fromParser.put(k, v.stream().sorted().toList()));
        assertEquals(fromParser, fromSchema);
    }

    @Test
    void theSchemasGpuModelsAreTheCatalogs() throws Exception {
        JsonNode schema = new ObjectMapper().readTree(Path.of("..", "docs", "jobspec.schema.json").toFile());
        var models = new ArrayList<String>();
        schema.findValue("gpuModels").path("items").path("enum").forEach(n -> models.add(n.asText()));
        assertEquals(GpuCatalog.models(), models);
    }

    private static void collect(JsonNode obj, String path, Map<String, List<String>> out) {
        JsonNode props = obj.get("properties");
        if (props == null) return;
        var names = new ArrayList<String>();
        props.fieldNames().forEachRemaining(names::add);
        out.put(path, names.stream().sorted().toList());
        props.fields().forEachRemaining(e -> {
            if (e.getValue().has("properties")) collect(e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey(), out);
        });
    }
}
