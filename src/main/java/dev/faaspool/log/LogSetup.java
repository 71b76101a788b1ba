package dev.faaspool.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.FilterOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies {@code --log-level} and {@code --log-format} to faas-pool's own log, which the bundled
 * {@code logback.xml} sets up as text on standard error at INFO.
 *
 * <ul>
 *   <li>The level is the root logger's; the libraries' loggers (docker-java, junixsocket) stay at WARN
 *       unless the level is more severe: their INFO and DEBUG is about their own workings.
 *   <li>JSON replaces the {@value #CONSOLE} appender with one that writes JSON lines to standard error
 *       ({@link Encoders#logJson}), and turns whatever else is printed there into log events: every
 *       line on standard error is JSON. Other appenders (a function's log file, say) are left alone.
 * </ul>
 */
public final class LogSetup {
    /** The name of the appender of faas-pool's own log, as {@code logback.xml} calls it. */
    static final String CONSOLE = "STDERR";
    /** The logger that the human-facing standard output lines go to in JSON mode ({@link #console}). */
    public static final String CONSOLE_LOGGER = "faas-pool.console";
    /** The logger that what is printed to {@code System.err} goes to in JSON mode. */
    public static final String STDERR_LOGGER = "faas-pool.stderr";
    /** The logger of the functions' lines that {@code --log-handlers} also prints, in JSON mode. */
    public static final String HANDLER_LOGGER = "faas-pool.handler";
    private static final List<String> LIBRARIES = List.of("com.github.dockerjava", "org.newsclub");

    private LogSetup() {}

    /** logback's context, which faas-pool is built with. */
    static LoggerContext context() {
        ILoggerFactory f = LoggerFactory.getILoggerFactory();
        if (f instanceof LoggerContext c) {
            return c;
        }
        throw new IllegalStateException("faas-pool logs through logback, but slf4j is bound to "
                + f.getClass().getName());
    }

    /** Sets the level and format of faas-pool's own log; once at start, before the service runs. */
    public static void configure(LogSettings s) {
        LoggerContext context = context();
        Level level = Level.toLevel(s.level().name());
        context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(level);
        Level libraries = level.isGreaterOrEqual(Level.WARN) ? level : Level.WARN;
        LIBRARIES.forEach(name -> context.getLogger(name).setLevel(libraries));
        if (s.format() == LogFormat.JSON) {
            json(context);
        }
    }

    /**
     * JSON lines on standard error, and nothing else there: what is still printed to {@code System.err}
     * (by faas-pool, a library or the JVM) becomes a WARN event of {@value #STDERR_LOGGER}.
     */
    private static void json(LoggerContext context) {
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        Appender<ILoggingEvent> text = root.getAppender(CONSOLE);
        PrintStream stderr = System.err;
        OutputStreamAppender<ILoggingEvent> json = new OutputStreamAppender<>();
        json.setContext(context);
        json.setName(CONSOLE);
        json.setEncoder(Encoders.logJson(context));
        json.setOutputStream(new FilterOutputStream(stderr) {
            @Override
            public void write(byte[] b, int off, int len) {
                stderr.write(b, off, len);
            }

            @Override
            public void close() {
                stderr.flush(); // the process's standard error stays open
            }
        });
        json.start();
        root.addAppender(json); // the JSON one first, so that no line is lost in between
        if (text != null) {
            root.detachAppender(text);
            text.stop();
        }
        System.setErr(lines(STDERR_LOGGER, org.slf4j.event.Level.WARN));
    }

    /**
     * Where the human-facing lines (warm-up, status, latency summary) go in {@code format}: {@code out}
     * as they are in text; in JSON, each line becomes an INFO event of {@value #CONSOLE_LOGGER} in the log
     * on standard error, so that every line faas-pool writes there is JSON and standard output carries
     * nothing but the request log, when it is {@code -}.
     */
    public static PrintStream console(LogFormat format, PrintStream out) {
        if (format == LogFormat.TEXT) {
            return out;
        }
        return lines(CONSOLE_LOGGER, org.slf4j.event.Level.INFO);
    }

    /**
     * Where {@code --log-handlers} prints the functions' lines ({@code <function>/<slot>: text}): standard
     * error in text; in JSON, each line an INFO event of {@value #HANDLER_LOGGER}, not a WARN of
     * {@value #STDERR_LOGGER}: a handler's output is not faas-pool's warning.
     */
    public static PrintStream handlerLines(LogFormat format) {
        if (format == LogFormat.TEXT) {
            return System.err;
        }
        return lines(HANDLER_LOGGER, org.slf4j.event.Level.INFO);
    }

    /** A stream whose every line is an event of {@code logger} at {@code level}. */
    private static PrintStream lines(String logger, org.slf4j.event.Level level) {
        return new PrintStream(new LogLineStream(LoggerFactory.getLogger(logger), level), true, StandardCharsets.UTF_8);
    }
}
