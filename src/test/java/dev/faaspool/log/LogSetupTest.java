package dev.faaspool.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/** faas-pool's own log as JSON lines, and the options that set it. */
class LogSetupTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final LoggerContext context = new LoggerContext();

    {
        context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter()); // a context of its own has none
    }

    @AfterEach
    void stop() {
        context.stop();
    }

    @Test
    void aJsonLineHasTimeLevelLoggerMessageTheKeyValuesAndTheStackTrace() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        OutputStreamAppender<ILoggingEvent> out = new OutputStreamAppender<>();
        out.setContext(context);
        out.setEncoder(Encoders.logJson(context));
        out.setOutputStream(bytes);
        out.start();
        Logger logger = context.getLogger("dev.faaspool.pool.Pool");
        logger.addAppender(out);
        logger.atWarn().addKeyValue("function", "hello").addKeyValue("slots", 3)
                .log("retiring \"slot\" {}\nsecond line", "hello-1");
        logger.error("failed", new IllegalStateException("boom"));
        out.stop();

        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(2, lines.size(), "one line per event, newlines inside escaped: " + lines);
        JsonNode warn = JSON.readTree(lines.get(0));
        Instant.parse(warn.get("time").asText());
        assertEquals("WARN", warn.get("level").asText());
        assertEquals("dev.faaspool.pool.Pool", warn.get("logger").asText());
        assertEquals("retiring \"slot\" hello-1\nsecond line", warn.get("message").asText());
        assertEquals("hello", warn.get("function").asText());
        assertEquals(3, warn.get("slots").asInt());
        assertTrue(warn.get("slots").isInt());
        assertFalse(warn.has("stack_trace"));
        JsonNode error = JSON.readTree(lines.get(1));
        assertEquals("ERROR", error.get("level").asText());
        assertTrue(error.get("stack_trace").asText().startsWith("java.lang.IllegalStateException: boom"), error.toString());
    }

    @Test
    void consoleLinesBecomeLogEventsInJsonAndStayAsTheyAreInText() {
        PrintStream out = new PrintStream(new ByteArrayOutputStream());
        assertTrue(LogSetup.console(LogFormat.TEXT, out) == out);

        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.setContext(context);
        events.start();
        Logger logger = context.getLogger("console");
        logger.addAppender(events);
        PrintStream json = new PrintStream(new LogLineStream(logger, Level.INFO), true, StandardCharsets.UTF_8);
        json.printf("hello: 4/4 warm in 1.2 s, serving http://127.0.0.1:8080/%n");
        json.print("\r\033[2Khello: 4 warm 0 busy");  // a terminal's status line, redrawn in place
        json.print("\r\033[2K");
        json.print("partial ");
        json.println("line");
        json.println();
        assertEquals(List.of("hello: 4/4 warm in 1.2 s, serving http://127.0.0.1:8080/", "hello: 4 warm 0 busy",
                "partial line"), events.list.stream().map(ILoggingEvent::getFormattedMessage).toList());
        assertTrue(events.list.stream().allMatch(e -> e.getLevel() == ch.qos.logback.classic.Level.INFO));
    }

    /** The process's own logback context: the level is set where faas-pool's loggers look, libraries kept quieter. */
    @Test
    void theLevelIsTheRootsAndTheLibrariesStayAtWarnUnlessItIsMoreSevere() {
        LoggerContext global = LogSetup.context();
        try {
            LogSetup.configure(new LogSettings(Level.DEBUG, LogFormat.TEXT, null));
            assertTrue(org.slf4j.LoggerFactory.getLogger("dev.faaspool.pool.Pool").isDebugEnabled());
            assertFalse(org.slf4j.LoggerFactory.getLogger("com.github.dockerjava.core.X").isInfoEnabled());
            LogSetup.configure(new LogSettings(Level.ERROR, LogFormat.TEXT, null));
            assertFalse(org.slf4j.LoggerFactory.getLogger("dev.faaspool.pool.Pool").isWarnEnabled());
            assertFalse(org.slf4j.LoggerFactory.getLogger("org.newsclub.net.unix.Y").isWarnEnabled());
            assertTrue(global.getLogger(LogSetup.CONSOLE_LOGGER).isErrorEnabled());
        } finally {
            LogSetup.configure(LogSettings.DEFAULT);
        }
        assertTrue(org.slf4j.LoggerFactory.getLogger("dev.faaspool.pool.Pool").isInfoEnabled());
        assertFalse(org.slf4j.LoggerFactory.getLogger("dev.faaspool.pool.Pool").isDebugEnabled());
    }

    @Test
    void levelsAndFormatsAreParsedWithAClearMessage() {
        assertEquals(Level.TRACE, LogSettings.parseLevel("trace"));
        assertEquals(Level.WARN, LogSettings.parseLevel("WARN"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LogSettings.parseLevel("loud"));
        assertEquals("--log-level must be one of trace, debug, info, warn, error (was 'loud')", e.getMessage());
        assertEquals(LogFormat.JSON, LogFormat.parse("json"));
        e = assertThrows(IllegalArgumentException.class, () -> LogFormat.parse("xml"));
        assertEquals("--log-format must be text or json (was 'xml')", e.getMessage());
    }
}
