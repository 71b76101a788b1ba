package dev.faaspool.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.event.Level;

/** The request log's lines, as a log collector reads them, and its writer never holding up a caller. */
@Timeout(30)
class RequestLogTest {
    private static final Instant T = Instant.parse("2026-12-02T18:30:03.123456789Z");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final RequestRecord SERVED = new RequestRecord(T, "hello", "127.0.0.1:50432", "hello-3",
            RequestRecord.Start.WARM, 85_400, 1_234_567, Outcome.SERVED);
    private static final RequestRecord REJECTED = new RequestRecord(T, "hello", "[0:0:0:0:0:0:0:1]:7", null, null,
            RequestRecord.NONE, 1_000_000_000, Outcome.UNAVAILABLE);
    private static final RequestRecord NOT_FOUND = RequestRecord.answered(T, null, null, 2_000, Outcome.NOT_FOUND);

    private final LoggerContext context = new LoggerContext();

    {
        context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter()); // a context of its own has none
    }
    private final ByteArrayOutputStream written = new ByteArrayOutputStream();

    @TempDir
    Path tmp;

    @AfterEach
    void stop() {
        context.stop();
    }

    private RequestLog log(LogFormat format) {
        OutputStreamAppender<ILoggingEvent> out = new OutputStreamAppender<>();
        out.setContext(context);
        out.setEncoder(format == LogFormat.JSON ? Encoders.requestJson(context) : Encoders.requestText(context));
        out.setOutputStream(written);
        return new RequestLog(context, RequestLog.LOGGER, out, format, Clock.fixed(T, ZoneOffset.UTC), 64, "test");
    }

    private List<String> lines() {
        return written.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void aTextLineIsLogfmtWithEveryFieldInOrderAndDashForWhatIsAbsent() {
        try (RequestLog log = log(LogFormat.TEXT)) {
            log.record(SERVED);
            log.record(REJECTED);
            log.record(NOT_FOUND);
        }
        assertEquals(List.of(
                "time=2026-12-02T18:30:03.123456Z function=hello client=127.0.0.1:50432 slot=hello-3 start=warm"
                        + " dispatch_us=85 service_ms=1.234 outcome=served status=-",
                "time=2026-12-02T18:30:03.123456Z function=hello client=[0:0:0:0:0:0:0:1]:7 slot=- start=-"
                        + " dispatch_us=- service_ms=1000.000 outcome=unavailable status=503",
                "time=2026-12-02T18:30:03.123456Z function=- client=- slot=- start=- dispatch_us=- service_ms=0.002"
                        + " outcome=not_found status=404"), lines());
    }

    @Test
    void aJsonLineHasTheSameFieldsTypedNumbersAsNumbersAbsentAsNull() throws IOException {
        try (RequestLog log = log(LogFormat.JSON)) {
            log.record(SERVED);
            log.record(REJECTED);
        }
        List<String> lines = lines();
        assertEquals(2, lines.size(), lines.toString());
        JsonNode served = JSON.readTree(lines.get(0));
        List<String> names = new ArrayList<>();
        served.fieldNames().forEachRemaining(names::add);
        assertEquals(RequestLog.FIELDS, names, "the fields, and only those, in order");
        assertEquals(T.truncatedTo(java.time.temporal.ChronoUnit.MICROS), Instant.parse(served.get("time").asText()));
        assertEquals("hello", served.get("function").asText());
        assertEquals("127.0.0.1:50432", served.get("client").asText());
        assertEquals("hello-3", served.get("slot").asText());
        assertEquals("warm", served.get("start").asText());
        assertTrue(served.get("dispatch_us").isIntegralNumber(), served.toString());
        assertEquals(85, served.get("dispatch_us").asLong());
        assertTrue(served.get("service_ms").isNumber() && !served.get("service_ms").isIntegralNumber(), served.toString());
        assertEquals(1.234, served.get("service_ms").asDouble(), 1e-9);
        assertEquals("served", served.get("outcome").asText());
        assertTrue(served.get("status").isNull(), "faas-pool wrote no status: " + served);

        JsonNode rejected = JSON.readTree(lines.get(1));
        assertTrue(rejected.get("slot").isNull() && rejected.get("start").isNull() && rejected.get("dispatch_us").isNull(),
                rejected.toString());
        assertTrue(rejected.get("status").isInt(), rejected.toString());
        assertEquals(503, rejected.get("status").asInt());
        assertEquals("unavailable", rejected.get("outcome").asText());
    }

    /** A writer stuck (a full disk, a stalled pipe) costs callers nothing: the queue fills, the rest is dropped and counted. */
    @Test
    void aStuckWriterDropsAndCountsInsteadOfBlockingTheCaller() throws Exception {
        CountDownLatch stuck = new CountDownLatch(1);
        List<ILoggingEvent> got = java.util.Collections.synchronizedList(new ArrayList<>());
        AppenderBase<ILoggingEvent> slow = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent e) {
                try {
                    stuck.await();
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
                got.add(e);
            }
        };
        slow.setContext(context);
        int queue = 4;
        RequestLog log = new RequestLog(context, RequestLog.LOGGER, slow, LogFormat.TEXT, Clock.systemUTC(), queue, "test");
        long t0 = System.nanoTime();
        for (int i = 0; i < 1000; i++) {
            log.record(SERVED);
        }
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(tookMillis < 2_000, "1000 records with the writer stuck took " + tookMillis + " ms");
        // The queue's size of lines is in flight (one with the stuck writer, the rest queued); every other one was dropped.
        assertEquals(1000 - queue, log.dropped());
        stuck.countDown();
        log.close();
        assertEquals(queue, got.size(), "what was queued is written at close");
    }

    @Test
    void aFileIsAppendedToAndOneThatCannotBeOpenedIsNamedAtStart() throws IOException {
        Path file = tmp.resolve("requests.log");
        Files.writeString(file, "earlier\n");
        try (RequestLog log = RequestLog.open(new LogSettings(Level.INFO, LogFormat.TEXT, file))) {
            log.record(SERVED);
        }
        List<String> lines = Files.readAllLines(file);
        assertEquals(2, lines.size(), lines.toString());
        assertEquals("earlier", lines.get(0));
        assertTrue(lines.get(1).endsWith("outcome=served status=-"), lines.get(1));

        IOException e = assertThrows(IOException.class,
                () -> RequestLog.open(new LogSettings(Level.INFO, LogFormat.TEXT, tmp)));
        assertTrue(e.getMessage().startsWith("--request-log " + tmp + ": cannot append to it"), e.getMessage());
        assertEquals(null, RequestLog.open(LogSettings.DEFAULT), "off: no log, and the dispatcher holds null");
    }

    @Test
    void recordsAfterCloseAreIgnored() {
        RequestLog log = log(LogFormat.TEXT);
        log.close();
        log.record(SERVED);
        log.close();
        assertEquals(List.of(), lines());
    }

    /** A front router passes what it could not match as null: a value that would split a text line is refused. */
    @Test
    void aValueThatIsNotAPlainTokenIsRefused() {
        for (String hostile : List.of("a b", "x\nstatus=200", "fn\"", "", "é")) {
            assertThrows(IllegalArgumentException.class,
                    () -> RequestRecord.answered(T, hostile, null, 0, Outcome.NOT_FOUND), hostile);
            assertThrows(IllegalArgumentException.class,
                    () -> RequestRecord.answered(T, "fn", hostile, 0, Outcome.NOT_FOUND), hostile);
        }
        assertThrows(IllegalArgumentException.class,
                () -> RequestRecord.answered(T, "fn", null, -5, Outcome.NOT_FOUND));
    }
}
