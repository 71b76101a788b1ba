package dev.faaspool.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Map;
import org.junit.jupiter.api.Test;

class RoutesTest {
    private final Routes<String> routes = new Routes<>(Map.of("hello", "hello", "api", "api"),
            Map.of("api.example.com", "api"));

    private String route(String path, String host) {
        return routes.route(new HttpHead("GET", path, host));
    }

    @Test
    void pathPrefixNamesTheFunctionWholeSegmentOnly() {
        assertEquals("hello", route("/function/hello", ""));
        assertEquals("hello", route("/function/hello/", ""));
        assertEquals("hello", route("/function/hello/deep/path", "api.example.com"));
        assertNull(route("/function/hellox", ""));
        assertNull(route("/function/", ""));
        assertNull(route("/function", ""));
        assertNull(route("/functions/hello", ""));
        assertNull(route("/function/%68ello", "")); // matched as sent, never decoded
        assertNull(route("/x/function/hello", ""));
    }

    @Test
    void hostNamesTheFunctionWhenThePathDoesNot() {
        assertEquals("api", route("/", "api.example.com"));
        assertEquals("api", route("/function/unknown", "api.example.com"));
        assertNull(route("/", "other.example.com"));
        assertNull(route("/", ""));
    }
}
