package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Request tracing end to end: faas-pool on real containers (the C and the Rust init, fork mode), a
 * real OTLP/HTTP receiver started here, clients that send a {@code traceparent} and ones that do not,
 * and a handler that answers with the {@code TRACEPARENT} its init gave it. The pool's span joins the
 * client's trace; the handler's parent is the pool's span; with tracing off the handler gets the
 * client's own context, and never one of an earlier request.
 */
class TracingIT {
    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CALLER = "00f067aa0ba902b7";
    private static final String TP = "00-" + TRACE + "-" + CALLER + "-01";
    private static final List<String> FUNCTIONS = List.of("c", "rust");

    @TempDir
    Path work;
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
        pool = functions.start(work, test, fns, options);
    }

    /** The TRACEPARENT the handler of {@code fn} saw, or "none". */
    private String handlerSaw(String fn, String... headers) throws IOException {
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
            assertEquals("fork", s.attributes().get("faaspool.mode"));
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
