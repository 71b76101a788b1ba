package dev.faaspool.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * pool-config/schema.json, what editors check a file against, and the loader, what faas-pool checks it with,
 * accept the same keys: every example is valid by the schema, every key the loader reads is in it, and a
 * misspelt key is refused by both.
 */
class ConfigSchemaTest {
    private static final Path SCHEMA = Path.of("pool-config", "schema.json");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Schema schema;
    private static JsonNode schemaTree;

    @TempDir
    Path dir;

    @BeforeAll
    static void readSchema() throws IOException {
        schemaTree = JSON.readTree(SCHEMA.toFile());
        try (InputStream in = Files.newInputStream(SCHEMA)) {
            schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(in);
        }
    }

    static Stream<Path> examples() throws ConfigException {
        return new ConfigLoader().files(Path.of("pool-config")).stream();
    }

    @ParameterizedTest
    @MethodSource("examples")
    void everyExampleIsValidByTheSchemaAndNamesIt(Path example) throws Exception {
        String text = Files.readString(example);
        assertTrue(text.startsWith("# yaml-language-server: $schema=./schema.json\n"), example + " names the schema first");
        assertEquals(List.of(), errors(text), example.toString());
        new ConfigLoader().load(example); // and by the loader
    }

    /** The sections of the loader, each with where the schema describes it. */
    static List<Object[]> sections() {
        return List.of(
                new Object[] {"top", ConfigLoader.TOP, "/properties"},
                new Object[] {"host", ConfigLoader.HOST, "/properties/host/properties"},
                new Object[] {"function", ConfigLoader.FUNCTION, "/$defs/function/properties"},
                new Object[] {"pool", ConfigLoader.POOL, "/$defs/pool/properties"},
                new Object[] {"schedule", ConfigLoader.SCHEDULE, "/$defs/schedule/properties"},
                new Object[] {"limits", ConfigLoader.LIMITS, "/$defs/limits/properties"},
                new Object[] {"timeouts", ConfigLoader.TIMEOUTS, "/$defs/timeouts/properties"},
                new Object[] {"admission", ConfigLoader.ADMISSION, "/$defs/admission/properties"});
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sections")
    void theSchemaHasExactlyTheKeysTheLoaderAccepts(String section, Set<String> loaderKeys, String pointer) {
        JsonNode props = schemaTree.at(pointer);
        assertFalse(props.isMissingNode(), pointer);
        Set<String> schemaKeys = new TreeSet<>();
        props.fieldNames().forEachRemaining(schemaKeys::add);
        assertEquals(new TreeSet<>(loaderKeys), schemaKeys, section);
        JsonNode object = schemaTree.at(pointer.substring(0, pointer.length() - "/properties".length()));
        assertEquals(false, object.get("additionalProperties").asBoolean(true), section + " refuses other keys");
        for (String key : schemaKeys) {
            JsonNode p = props.get(key);
            boolean described = p.has("description")
                    || p.has("$ref") && schemaTree.at(p.get("$ref").asText().substring(1)).has("description");
            assertTrue(described, section + "." + key + " has a description for editors");
        }
    }

    /** A configuration with every section, and every new key, that both accept. */
    private Map<String, Object> full() throws IOException {
        Files.writeString(dir.resolve("api.env"), "TOKEN=x\n");
        Map<String, Object> fn = new LinkedHashMap<>();
        fn.put("image", "img");
        fn.put("listen", "127.0.0.1:9001");
        fn.put("env", new LinkedHashMap<>(Map.of("MODE", "prod")));
        fn.put("env-file", "api.env");
        fn.put("network", "backend");
        fn.put("hosts", List.of("api.example.com", "*.apps.example.com"));
        fn.put("mode", "fork");
        fn.put("pool", new LinkedHashMap<>(Map.of("min", 1, "max", 4, "schedules",
                List.of(new LinkedHashMap<>(Map.of("days", "mon-fri", "from", "08:00", "to", "18:00", "min", 1))))));
        fn.put("limits", new LinkedHashMap<>(Map.of("memory", "64Mi", "tmp", "16m", "cpus", 0.5, "user", "1000:1000")));
        fn.put("timeouts", new LinkedHashMap<>(Map.of("acquire", "1s", "request", "30s")));
        fn.put("admission", new LinkedHashMap<>(Map.of("connections", 100, "queued", 10)));
        Map<String, Object> plain = new LinkedHashMap<>(Map.of("image", "img"));
        Map<String, Object> functions = new LinkedHashMap<>();
        functions.put("api", fn);
        functions.put("routed", plain);
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("http", "127.0.0.1:8080");
        root.put("host", new LinkedHashMap<>(Map.of("memory", "1Gi", "timezone", "UTC")));
        root.put("functions", functions);
        return root;
    }

    @Test
    void aConfigurationWithEveryKeyIsValidByBoth() throws Exception {
        Map<String, Object> root = full();
        assertEquals(List.of(), errors(root));
        PoolConfig c = new ConfigLoader().load(write(root));
        assertEquals(List.of("api.example.com", "*.apps.example.com"), c.functions().getFirst().hosts());
    }

    /** Where to misspell a key in {@link #full()}: each section of the loader. */
    static List<Object[]> misspellings() {
        List<Object[]> out = new ArrayList<>();
        out.add(new Object[] {"top", (Function<Map<String, Object>, Map<String, Object>>) r -> r});
        out.add(new Object[] {"host", path("host")});
        out.add(new Object[] {"function", path("functions", "api")});
        out.add(new Object[] {"pool", path("functions", "api", "pool")});
        out.add(new Object[] {"limits", path("functions", "api", "limits")});
        out.add(new Object[] {"timeouts", path("functions", "api", "timeouts")});
        out.add(new Object[] {"admission", path("functions", "api", "admission")});
        out.add(new Object[] {"schedule", (Function<Map<String, Object>, Map<String, Object>>) r ->
                cast(((List<?>) path("functions", "api", "pool").apply(r).get("schedules")).getFirst())});
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("misspellings")
    void aMisspeltKeyIsRefusedByBoth(String section, Function<Map<String, Object>, Map<String, Object>> where)
            throws Exception {
        Map<String, Object> root = full();
        Map<String, Object> target = where.apply(root);
        String key = target.keySet().iterator().next();
        Object value = target.remove(key);
        target.put(key + "s", value); // memory -> memorys, image -> images, http -> https, ...
        assertFalse(errors(root).isEmpty(), section + ": the schema refuses " + key + "s");
        ConfigException e = assertThrows(ConfigException.class, () -> new ConfigLoader().load(write(root)));
        assertTrue(e.problems().stream().anyMatch(p -> p.reason().startsWith("unknown field")
                && p.field().endsWith(key + "s")), e.getMessage());
    }

    @Test
    void theSchemaRefusesValuesTheLoaderRefuses() throws Exception {
        for (Map.Entry<String, Object> bad : Map.<String, Object>of("network", "host", "mode", "forked",
                "hosts", List.of("api.example.com:8080"), "stdio", "maybe").entrySet()) {
            Map<String, Object> root = full();
            path("functions", "api").apply(root).put(bad.getKey(), bad.getValue());
            assertFalse(errors(root).isEmpty(), bad.toString());
            assertThrows(ConfigException.class, () -> new ConfigLoader().load(write(root)), bad.toString());
        }
        Map<String, Object> root = full();
        path("functions", "api", "limits").apply(root).put("memory", "64MiB");
        assertFalse(errors(root).isEmpty());
        assertThrows(ConfigException.class, () -> new ConfigLoader().load(write(root)));
    }

    private static Function<Map<String, Object>, Map<String, Object>> path(String... keys) {
        return root -> {
            Map<String, Object> m = root;
            for (String k : keys) {
                m = cast(m.get(k));
            }
            return m;
        };
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object o) {
        return (Map<String, Object>) o;
    }

    private Path write(Map<String, Object> root) throws IOException {
        return Files.writeString(dir.resolve("pool.yaml"), new Yaml().dump(root));
    }

    private static List<String> errors(Map<String, Object> root) throws IOException {
        return errors(new Yaml().dump(root));
    }

    /** The schema's errors for a YAML document, read as editors read it: the values SnakeYAML makes of it. */
    private static List<String> errors(String yaml) {
        Object doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
        List<Error> errors = schema.validate(JSON.valueToTree(doc));
        List<String> out = new ArrayList<>();
        for (Iterator<Error> i = errors.iterator(); i.hasNext(); ) {
            Error e = i.next();
            out.add(e.getInstanceLocation() + ": " + e.getMessage());
        }
        return out;
    }
}
