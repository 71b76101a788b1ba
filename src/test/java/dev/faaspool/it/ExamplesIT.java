package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The example functions (examples/, built by runtime-init/build-images.sh) as users run them: one
 * faas-pool serving the whole of pool-config/, so the files also load together, and every function
 * answering over HTTP with its handler's exact body. The listen ports are the configuration's.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ExamplesIT {
    private static final Path CONFIG = Path.of("pool-config");
    private static final int REQUESTS = 5;
    private static final Pattern WARM_LINE = Pattern.compile("(?m)^([a-z0-9-]+): (\\d+)/(\\d+) warm (in|after) ");

    /** A function of pool-config/, its image, where it listens and what its handler answers. */
    record Example(String function, String image, int port, String body) {
        @Override
        public String toString() {
            return function;
        }
    }

    static List<Example> examples() {
        return List.of(
                new Example("hello", "faas-hello:latest", 8080, "Hello from faas-pool!\n"),
                new Example("python", "faas-example-python:latest", 8081, "Hello from my function!\n"),
                new Example("node", "faas-example-node:latest", 8082, "Hello from Node!\n"),
                new Example("go", "faas-example-go:latest", 8083, "Hello from Go!\n"),
                new Example("java", "faas-example-java:latest", 8084, "Hello from Java!\n"));
    }

    @TempDir
    static Path work;
    private static PoolProcess pool;

    @BeforeAll
    static void startThePoolOfTheWholeConfigDirectory() throws Exception {
        List<String> missing = new ArrayList<>();
        for (Example e : examples()) {
            try {
                Docker.run("image", "inspect", "-f", "{{.Id}}", e.image());
            } catch (IOException notThere) {
                missing.add(e.image());
            }
        }
        if (!missing.isEmpty()) {
            fail("images missing: " + missing + "; runtime-init/build-images.sh builds them (and says why it could not)");
        }

        pool = PoolProcess.start(work, "examples", "--config", CONFIG.toAbsolutePath().toString());
        // Printed once every function is warm, or after faas-pool's own 2 minutes of waiting.
        pool.awaitStdout(Pattern.compile("(?m)^admin: http://"), Duration.ofMinutes(3));
        Map<String, String> warm = new HashMap<>();
        Matcher m = WARM_LINE.matcher(pool.stdout());
        while (m.find()) {
            warm.put(m.group(1), m.group(0).strip());
            assertEquals(m.group(3), m.group(2), "every container warm: " + m.group(0));
            assertEquals("in", m.group(4), "every container warm: " + m.group(0));
        }
        assertEquals(examples().stream().map(Example::function).sorted().toList(),
                warm.keySet().stream().sorted().toList(), "the functions of pool-config/: " + warm.values());
    }

    @AfterAll
    static void cleanUp() throws Exception {
        if (pool != null) {
            pool.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    @Order(1)
    void answersWithItsHandlersBody(Example example) throws Exception {
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), example.port());
        for (int i = 0; i < REQUESTS; i++) {
            HttpProbe.Response r = HttpProbe.get(address, "/", 30_000);
            assertEquals(200, r.status(), example + " request " + i + ": " + r);
            assertEquals(example.body(), r.body(), example + " request " + i + ": " + r);
        }
        JsonNode requests = pool.function(example.function()).get("requests");
        assertEquals(REQUESTS, requests.get("warm").asLong() + requests.get("cold").asLong(), "counted: " + requests);
        assertEquals(0, requests.get("failed").asLong(), "failed: " + requests);
        assertEquals(0, requests.get("rejected").asLong(), "rejected: " + requests);
    }

    @Test
    @Order(2)
    void everyPoolRefillsAndShutdownLeavesNoContainers() throws Exception {
        for (Example e : examples()) {
            pool.awaitFunction(e.function(), f -> f.get("warm").asInt() >= f.get("min").asInt()
                    && f.get("busy").asInt() == 0 && f.get("starting").asInt() == 0, Duration.ofSeconds(60));
        }
        assertEquals(0, pool.stop(Duration.ofSeconds(60)), "faas-pool's exit code");
        assertEquals(List.of(), Docker.containersOf(pool.instance), "containers left after shutdown");
    }
}
