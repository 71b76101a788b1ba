package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The request log on the real pool: one line per request, with the outcome each request really had,
 * and {@code --log-format json} making every line faas-pool writes a JSON object.
 */
class RequestLogIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A fork-mode function of one container, with timeouts short enough to provoke each outcome quickly. */
    private static final String FUNCTION = """
            image: faas-test-hostile:latest
            mode: fork
            pool: { min: 1, max: 1 }
            timeouts: { request: 2s, acquire: 400ms, first-byte: 500ms }
            """;

    @TempDir
    Path work;
    private final OneFunction fn = new OneFunction();

    @AfterEach
    void cleanUp() throws Exception {
        fn.close();
    }

    /** The request log's fields of one text line, {@code key=value} split on spaces (values are tokens). */
    private static Map<String, String> fields(String line) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String kv : line.split(" ")) {
            int eq = kv.indexOf('=');
            assertTrue(eq > 0, "not key=value: '" + kv + "' in " + line);
            m.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return m;
    }

    @Test
    void everyRequestHasOneLineWithTheOutcomeItHad() throws Exception {
        Path requests = work.resolve("requests.log");
        InetSocketAddress front = new InetSocketAddress(InetAddress.getLoopbackAddress(), PoolProcess.freePort());
        PoolProcess pool = fn.start(work, "reqlog", FUNCTION, "--request-log", requests.toString(),
                "--http", "127.0.0.1:" + front.getPort());
        InetSocketAddress address = fn.address();
        pool.awaitStdout(Pattern.compile("fn: 1/1 warm"), Duration.ofSeconds(60));

        // 200: the handler answers, on the function's own listener and through the front listener.
        assertEquals(200, HttpProbe.get(address, "/", 30_000).status());
        awaitIdle(pool);
        assertEquals(200, HttpProbe.get(front, "/function/fn/", 30_000).status());
        awaitIdle(pool);
        // 404: the front listener knows no such function.
        assertEquals(404, HttpProbe.get(front, "/function/nope/", 30_000).status());
        // 502: the handler exits 3 before writing a byte.
        assertEquals(502, HttpProbe.get(address, "/exit?code=3", 30_000).status());
        awaitIdle(pool);
        // 408: a client that sends nothing within the first-byte timeout; no container is touched.
        int idlePort;
        try (Socket idle = new Socket()) {
            idle.connect(address, 5_000);
            idle.setSoTimeout(10_000);
            idlePort = idle.getLocalPort();
            assertEquals(408, HttpProbe.read(idle.getInputStream()).status());
        }
        // 504 for a handler that never answers, and meanwhile 503 for the request that finds no container in time.
        CompletableFuture<HttpProbe.Response> hang = CompletableFuture.supplyAsync(() -> {
            try {
                return HttpProbe.get(address, "/hang", 30_000);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        pool.awaitFunction("fn", f -> f.get("busy").asInt() == 1, Duration.ofSeconds(10));
        assertEquals(503, HttpProbe.get(address, "/", 30_000).status());
        assertEquals(504, hang.get().status());
        assertEquals(0, pool.stop(Duration.ofSeconds(60)));

        List<String> lines = Files.readAllLines(requests);
        assertEquals(7, lines.size(), "one line per request:\n" + String.join("\n", lines));
        List<Map<String, String>> f = lines.stream().map(RequestLogIT::fields).toList();
        for (Map<String, String> line : f) {
            assertEquals(List.of("time", "function", "client", "slot", "start", "dispatch_us", "service_ms", "outcome",
                    "status"), List.copyOf(line.keySet()), line.toString());
            Instant.parse(line.get("time"));
            assertEquals(line.get("outcome").equals("not_found") ? "-" : "fn", line.get("function"), line.toString());
            assertTrue(line.get("client").matches("127\\.0\\.0\\.1:\\d+"), line.toString());
            Double.parseDouble(line.get("service_ms"));
        }
        assertEquals(List.of("served", "served", "not_found", "bad_gateway", "first_byte_timeout", "unavailable",
                "timed_out"), f.stream().map(m -> m.get("outcome")).toList());
        assertEquals(List.of("-", "-", "404", "502", "408", "503", "504"), f.stream().map(m -> m.get("status")).toList());
        assertEquals("127.0.0.1:" + idlePort, f.get(4).get("client"), "the 408's client is the idle socket");
        // Handed to a slot (served, 502 and 504): which one, warm or cold, and the hand-off took microseconds.
        for (int i : new int[] {0, 1, 3, 6}) {
            Map<String, String> line = f.get(i);
            assertTrue(line.get("slot").matches("fn-\\d+"), line.toString());
            assertTrue(line.get("start").matches("warm|cold"), line.toString());
            assertTrue(Long.parseLong(line.get("dispatch_us")) >= 0, line.toString());
        }
        // Answered by faas-pool without a slot.
        for (int i : new int[] {2, 4, 5}) {
            Map<String, String> line = f.get(i);
            assertEquals("-", line.get("slot"), line.toString());
            assertEquals("-", line.get("start"), line.toString());
            assertEquals("-", line.get("dispatch_us"), line.toString());
        }
        assertTrue(Double.parseDouble(f.get(4).get("service_ms")) >= 450, "the 408 after the first-byte timeout: " + f.get(4));
        assertTrue(Double.parseDouble(f.get(5).get("service_ms")) >= 350, "the 503 after the acquire timeout: " + f.get(5));
        assertTrue(Double.parseDouble(f.get(6).get("service_ms")) >= 1900, "the 504 after the request timeout: " + f.get(6));
    }

    /**
     * {@code --log-format json --request-log -}: every line on standard error is a JSON log event, and
     * standard output has nothing but the request log's JSON lines.
     */
    @Test
    void inJsonEveryLineOfTheLogAndOfTheRequestLogIsAJsonObject() throws Exception {
        PoolProcess pool = fn.start(work, "reqjson", FUNCTION, "--log-format", "json", "--request-log", "-");
        InetSocketAddress address = fn.address();
        pool.awaitLog(Pattern.compile("\"message\":\"fn: 1/1 warm"), Duration.ofSeconds(60));
        assertEquals(200, HttpProbe.get(address, "/", 30_000).status());
        awaitIdle(pool);
        assertEquals(502, HttpProbe.get(address, "/exit?code=3", 30_000).status()); // logs a WARN and an INFO
        awaitIdle(pool);
        // A client that leaves before sending anything: dropped.
        try (Socket gone = new Socket()) {
            gone.connect(address, 5_000);
        }
        awaitDropped(pool);
        // What is printed to standard error rather than logged (here, a function added while its port is taken)
        // is a log event too.
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Files.writeString(work.resolve("pool.yaml"), "  g:\n    image: faas-test-hostile:latest\n    listen: 127.0.0.1:"
                    + taken.getLocalPort() + "\n    pool: { min: 0, max: 1 }\n", StandardOpenOption.APPEND);
            pool.awaitLog(Pattern.compile("\"message\":\"[^\"]*function 'g' cannot listen on"), Duration.ofSeconds(30));
        }
        assertEquals(0, pool.stop(Duration.ofSeconds(60)));

        List<String> err = pool.stderr().lines().toList();
        assertTrue(err.size() >= 4, "the warm-up, admin, handler and summary lines at least: " + err);
        boolean warned = false;
        for (String line : err) {
            JsonNode e = parse(line);
            for (String field : List.of("time", "level", "logger", "thread", "message")) {
                assertTrue(e.hasNonNull(field), field + " in " + line);
            }
            Instant.parse(e.get("time").asText());
            warned |= e.get("level").asText().equals("WARN") && e.get("message").asText().contains("exited with status 3");
        }
        assertTrue(warned, "the handler's failure is in the log: " + err);
        assertTrue(err.stream().anyMatch(l -> l.contains("p99 ms")), "the latency summary's lines are log events too");

        List<String> out = pool.stdout().lines().toList();
        assertEquals(3, out.size(), "standard output is the request log, one line per request: " + out);
        List<JsonNode> lines = out.stream().map(RequestLogIT::parse).toList();
        assertEquals(List.of("served", "bad_gateway", "dropped"), lines.stream().map(l -> l.get("outcome").asText()).toList());
        JsonNode served = lines.get(0);
        assertTrue(served.get("dispatch_us").isIntegralNumber() && served.get("service_ms").isNumber(), served.toString());
        assertTrue(served.get("status").isNull(), served.toString());
        assertEquals(502, lines.get(1).get("status").asInt());
        assertTrue(lines.get(2).get("slot").isNull() && lines.get(2).get("status").isNull(), lines.get(2).toString());
    }

    private static JsonNode parse(String line) {
        try {
            JsonNode n = JSON.readTree(line);
            assertTrue(n.isObject(), line);
            return n;
        } catch (IOException e) {
            throw new AssertionError("not a JSON line: " + line, e);
        }
    }

    private static void awaitIdle(PoolProcess pool) throws Exception {
        pool.awaitFunction("fn", f -> f.get("warm").asInt() == 1 && f.get("busy").asInt() == 0, Duration.ofSeconds(30));
    }

    private static void awaitDropped(PoolProcess pool) throws Exception {
        pool.awaitFunction("fn", f -> f.get("requests").get("clientGone").asInt() == 1, Duration.ofSeconds(10));
    }
}
