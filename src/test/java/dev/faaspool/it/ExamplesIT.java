package dev.faaspool.it;

import static dev.faaspool.config.HandlerMode.FORK;
import static dev.faaspool.config.HandlerMode.ONESHOT;
import static dev.faaspool.config.HandlerMode.PERSISTENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.faaspool.config.HandlerMode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * faas-pool serving the whole of pool-config/ -- every example in every mode it supports -- so the
 * files also load together, and every function answering over HTTP with its handler's exact body.
 * The listen ports are the configuration's (pool-config/README.md has the plan).
 *
 * <p>In fork and persistent modes a container serves request after request: the containers that were
 * warm before a function's requests still run after them, fewer containers than requests served them,
 * and at shutdown the function counts fewer container starts than requests. A oneshot container serves
 * one request, so there every request cost a start.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ExamplesIT {
    private static final Path CONFIG = Path.of("pool-config");
    private static final int REQUESTS = 5;
    private static final Pattern WARM_LINE = Pattern.compile("(?m)^([a-z0-9-]+): (\\d+)/(\\d+) warm (in|after) ");

    /** A function of pool-config/, its image and mode, where it listens and what its handler answers. */
    record Example(String function, String image, HandlerMode mode, int port, String body) {
        @Override
        public String toString() {
            return function + " (" + mode.configName() + ")";
        }
    }

    private static final String HELLO = "Hello from faas-pool!\n";
    private static final String PYTHON = "Hello from my function!\n";
    private static final String NODE = "Hello from Node!\n";
    private static final String GO = "Hello from Go!\n";
    private static final String JAVA = "Hello from Java!\n";

    /** Every function of pool-config/: oneshot on 808x, fork on oneshot + 5, persistent on oneshot + 10. */
    static List<Example> examples() {
        return List.of(
                new Example("hello", "faas-hello:latest", ONESHOT, 8080, HELLO),
                new Example("hello-fork", "faas-hello:latest", FORK, 8085, HELLO),
                new Example("python", "faas-example-python:latest", ONESHOT, 8081, PYTHON),
                new Example("python-fork", "faas-example-python:latest", FORK, 8086, PYTHON),
                new Example("python-persistent", "faas-example-python-persistent:latest", PERSISTENT, 8091, PYTHON),
                new Example("node", "faas-example-node:latest", ONESHOT, 8082, NODE),
                new Example("node-fork", "faas-example-node:latest", FORK, 8087, NODE),
                new Example("node-persistent", "faas-example-node-persistent:latest", PERSISTENT, 8092, NODE),
                new Example("go", "faas-example-go:latest", ONESHOT, 8083, GO),
                new Example("go-fork", "faas-example-go:latest", FORK, 8088, GO),
                new Example("go-persistent", "faas-example-go-persistent:latest", PERSISTENT, 8093, GO),
                new Example("java", "faas-example-java:latest", ONESHOT, 8084, JAVA),
                new Example("java-fork", "faas-example-java:latest", FORK, 8089, JAVA),
                new Example("java-persistent", "faas-example-java-persistent:latest", PERSISTENT, 8094, JAVA));
    }

    @TempDir
    static Path work;
    private static PoolProcess pool;
    /** Requests each function answered in {@link #answersWithItsHandlersBody}, for the shutdown summary's counts. */
    private static final Map<String, Integer> answered = new HashMap<>();

    @BeforeAll
    static void startThePoolOfTheWholeConfigDirectory() throws Exception {
        List<String> missing = new ArrayList<>();
        for (String image : examples().stream().map(Example::image).distinct().toList()) {
            try {
                Docker.run("image", "inspect", "-f", "{{.Id}}", image);
            } catch (IOException notThere) {
                missing.add(image);
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

    /** Ids of the running containers of {@code function}. */
    private static Set<String> containersOf(String function) throws Exception {
        return new HashSet<>(Docker.run("ps", "-q", "--no-trunc", "--filter", "label=" + Docker.INSTANCE_LABEL + "="
                + pool.instance, "--filter", "label=dev.faaspool.function=" + function));
    }

    private static JsonNode awaitIdle(Example example) throws Exception {
        return pool.awaitFunction(example.function(), f -> f.get("busy").asInt() == 0 && f.get("starting").asInt() == 0,
                Duration.ofSeconds(60));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    @Order(1)
    void answersWithItsHandlersBody(Example example) throws Exception {
        JsonNode status = awaitIdle(example);
        assertEquals(example.mode().configName(), status.get("mode").asText(), "the mode pool-config/ declares");
        Set<String> before = containersOf(example.function());
        assertFalse(before.isEmpty(), "warm containers before the requests");

        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), example.port());
        for (int i = 0; i < REQUESTS; i++) {
            HttpProbe.Response r = HttpProbe.get(address, "/", 30_000);
            assertEquals(200, r.status(), example + " request " + i + ": " + r);
            assertEquals(example.body(), r.body(), example + " request " + i + ": " + r);
            // The request has ended for the pool too (DONE, or the oneshot container's exit): the next one
            // finds a warm container, in fork and persistent modes the same one again.
            awaitIdle(example);
        }
        answered.put(example.function(), REQUESTS);

        JsonNode requests = pool.function(example.function()).get("requests");
        assertEquals(REQUESTS, requests.get("warm").asLong() + requests.get("cold").asLong(), "counted: " + requests);
        assertEquals(0, requests.get("failed").asLong(), "failed: " + requests);
        assertEquals(0, requests.get("rejected").asLong(), "rejected: " + requests);

        if (example.mode().reusesContainers()) {
            Set<String> after = containersOf(example.function());
            assertTrue(after.containsAll(before), example + ": the containers warm before the " + REQUESTS
                    + " requests still run after them (none was used up): before " + before + ", after " + after);
            assertTrue(after.size() < REQUESTS, example + ": " + REQUESTS + " requests were served by "
                    + after.size() + " containers, so one served several: " + after);
        }
    }

    @Test
    @Order(2)
    void everyPoolRefillsAndShutdownLeavesNoContainers() throws Exception {
        for (Example e : examples()) {
            pool.awaitFunction(e.function(), f -> f.get("warm").asInt() >= f.get("min").asInt()
                    && f.get("busy").asInt() == 0 && f.get("starting").asInt() == 0, Duration.ofSeconds(60));
        }
        Map<String, Integer> min = new HashMap<>();
        for (JsonNode f : pool.status().get("functions")) {
            min.put(f.get("name").asText(), f.get("min").asInt());
        }
        assertEquals(0, pool.stop(Duration.ofSeconds(60)), "faas-pool's exit code");
        assertEquals(List.of(), Docker.containersOf(pool.instance), "containers left after shutdown");

        // The run's summary: how many containers each function started for the requests it served.
        String summary = Files.readString(pool.summaryFile());
        for (Example e : examples()) {
            Integer served = answered.get(e.function());
            if (served == null) {
                continue; // its own test failed already
            }
            Map<String, Long> counts = EndToEndIT.summaryCounts(summary, e.function());
            assertEquals(served.longValue(), counts.get("warm") + counts.get("cold"), e + ": " + counts);
            assertEquals(served.longValue(), counts.get("service"),
                    e + ", the end of every request is known: " + counts);
            long starts = counts.get("start");
            if (e.mode().reusesContainers()) {
                assertTrue(starts < served,
                        e + ": " + served + " requests, " + starts + " container starts: " + counts);
            } else {
                assertTrue(starts >= served + min.get(e.function()), e + ": a start per request, and the refill: "
                        + counts);
            }
        }
    }
}
