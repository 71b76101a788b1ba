package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Request tracing end to end: faas-pool on real containers (the C and the Rust init, fork mode), a
 * real OTLP/HTTP receiver started here, clients that send a {@code traceparent} and ones that do not,
 * and a handler that answers with the {@code TRACEPARENT} its init gave it; and the Python SDK in
 * persistent mode, whose echo example answers with {@code faas_sdk.traceparent(sock)}. The pool's span joins the
 * client's trace; the handler's parent is the pool's span; with tracing off the handler gets the
 * client's own context, and never one of an earlier request.
 */
class TracingIT {
    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CALLER = "00f067aa0ba902b7";
    private static final String TP = "00-" + TRACE + "-" + CALLER + "-01";
    private static final List<String> FUNCTIONS = List.of("c", "rust", "py");
    /** The Python SDK's echo example on faas-runtime:python, built here and removed after. */
    private static final String PY_IMAGE = "faas-test-trace-python:latest";

    @TempDir
    Path work;

    @BeforeAll
    static void buildPythonImage(@TempDir Path context) throws Exception {
        Files.copy(Path.of("runtime-init/sdk/python/example/echo.py"), context.resolve("echo.py"));
        Files.writeString(context.resolve("Dockerfile"), "FROM faas-runtime:python\nCOPY echo.py /app/echo.py\n"
                + "CMD [\"python3\", \"/app/echo.py\"]\n");
        Process p = new ProcessBuilder("docker", "build", "-q", "-t", PY_IMAGE, context.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, "docker build: " + out);
    }

    @AfterAll
    static void removePythonImage() throws Exception {
        new ProcessBuilder("docker", "image", "rm", "-f", PY_IMAGE).redirectErrorStream(true).start()
                .waitFor(60, TimeUnit.SECONDS);
    }
    private final Functions functions = new Functions();
    private PoolProcess pool;
    private OtlpReceiver otlp;

    @AfterEach
    void stop() throws Exception {
        if (pool != null) {
            pool.close();
        }
        if (otlp != null) {
            otlp.close();
        }
    }

    private void start(String test, String... options) throws Exception {
        Map<String, String> fns = new LinkedHashMap<>();
        fns.put("c", "image: faas-test-hostile:latest\nmode: fork\npool: { min: 1, max: 1, scaling: fixed }\n");
        fns.put("rust", "image: faas-test-hostile:rust\nmode: fork\npool: { min: 1, max: 1, scaling: fixed }\n");
        fns.put("py", "image: " + PY_IMAGE + "\nmode: persistent\npool: { min: 1, max: 1, scaling: fixed }\n");
        pool = functions.start(work, test, fns, options);
    }

    /**
     * The trace context the handler of {@code fn} saw, or "none": the hostile handler's {@code TRACEPARENT}
     * ({@code /trace}), or the Python SDK's {@code traceparent(sock)} (its echo example answers the line
     * {@code traceparent}; the header lines after it are what the pool peeks).
     */
    private String handlerSaw(String fn, String... headers) throws IOException {
        if (fn.equals("py")) {
            try (Socket c = new Socket(functions.address(fn).getAddress(), functions.address(fn).getPort())) {
                c.setSoTimeout(30_000);
                String head = "traceparent\n" + (headers.length == 0 ? "" : headers[0] + "\n") + "\n"; // the echo reads LF lines
                c.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
                InputStream in = c.getInputStream();
                String line = new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip();
                assertTrue(line.startsWith("traceparent "), fn + ": " + line);
                return line.substring("traceparent ".length());
            }
        }
        return hostileSaw(fn, headers);
    }

    private String hostileSaw(String fn, String... headers) throws IOException {
        HttpProbe.Response r = HttpProbe.get(functions.address(fn), "/trace", 30_000, headers);
        assertEquals(200, r.status(), fn + ": " + r);
        return r.body().lines().filter(l -> l.startsWith("traceparent=")).findFirst()
                .orElseThrow(() -> new AssertionError(fn + ": " + r)).substring("traceparent=".length());
    }

    private OtlpReceiver.ReceivedSpan awaitSpan(String spanId) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() - deadline < 0) {
            for (OtlpReceiver.ReceivedSpan s : otlp.spans()) {
                if (s.spanId().equals(spanId)) {
                    return s;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("span " + spanId + " never reached the receiver; it has " + otlp.spans());
    }

    @Test
    void thePoolsSpansReachARealOtlpReceiverAndEachHandlerIsTheChildOfItsRequestsSpan() throws Exception {
        otlp = new OtlpReceiver();
        start("tracing-on", "--otlp-endpoint", otlp.endpoint().toString());
        for (String fn : FUNCTIONS) {
            String seen = handlerSaw(fn, "traceparent: " + TP);
            String[] f = seen.split("-");
            assertEquals(4, f.length, fn + ": " + seen);
            assertEquals(TRACE, f[1], fn + ": the handler is in the client's trace");
            assertNotEquals(CALLER, f[2], fn + ": its parent is the pool's span, not the client's");
            OtlpReceiver.ReceivedSpan s = awaitSpan(f[2]);
            assertEquals(TRACE, s.traceId());
            assertEquals(CALLER, s.parentSpanId(), fn + ": the pool's span is the client's child");
            assertEquals(fn, s.name());
            assertEquals(fn, s.attributes().get("faas.name"));
            assertEquals(fn.equals("py") ? "persistent" : "fork", s.attributes().get("faaspool.mode"));
            assertEquals("served", s.attributes().get("faaspool.outcome"));
            assertTrue(s.attributes().get("faaspool.slot").startsWith(fn + "-"), s.toString());
            assertTrue(s.events().containsAll(List.of("handed off", "ack", "run")), s.toString());

            String root = handlerSaw(fn); // no trace context from the client: the pool's span starts a trace
            String[] r = root.split("-");
            assertEquals(4, r.length, fn + ": " + root);
            assertNotEquals(TRACE, r[1]);
            assertEquals("", awaitSpan(r[2]).parentSpanId(), fn + ": a root span");
        }
        assertTrue(otlp.contentTypes().stream().allMatch(t -> t.equals("application/x-protobuf")), otlp.contentTypes().toString());
    }

    @Test
    void withTracingOffTheHandlerGetsItsClientsTraceContextAndNeverAnEarlierRequests() throws Exception {
        start("tracing-off");
        String other = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
        for (String fn : FUNCTIONS) {
            assertEquals(TP, handlerSaw(fn, "traceparent: " + TP), fn);
            assertEquals("none", handlerSaw(fn), fn + ": the next request had none");
            assertEquals("none", handlerSaw(fn, "traceparent: " + TP.toUpperCase()), fn + ": an invalid one is none");
            assertEquals(other, handlerSaw(fn, "TraceParent: " + other), fn);
        }
    }
}
