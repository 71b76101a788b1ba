package dev.faaspool.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request log ({@code --request-log FILE|-}): one line per request, written by a thread of its own.
 *
 * <p>A record becomes one slf4j event on the logger {@value #LOGGER} with the record's fields as
 * structured key-values ({@link #FIELDS}, in that order); the logger writes nowhere but to this log
 * (not additive) through a {@link DroppingAsyncAppender}, so an event loop's {@link #record} costs the
 * event and one queue insert, never a write: when the disk cannot keep up, lines are dropped and
 * counted ({@link #dropped()}), and the count is logged when the log closes.
 *
 * <p>Text lines are logfmt, a field absent written {@code -}:
 * <pre>time=2026-12-02T18:30:03.123456Z function=hello client=127.0.0.1:50432 slot=hello-3 start=warm dispatch_us=85 service_ms=1.234 outcome=served status=-</pre>
 * JSON lines have the same fields, numbers as numbers and an absent field {@code null} (every line has every field).
 */
public final class RequestLog implements RequestSink, AutoCloseable {
    /** The logger the request log is written through. */
    public static final String LOGGER = "faas-pool.requests";
    /** The fields of a line, in order. */
    public static final List<String> FIELDS = List.of("time", "function", "client", "slot", "start", "dispatch_us",
            "service_ms", "outcome", "status");
    /** Lines queued for the writer at most; beyond, they are dropped. */
    static final int QUEUE = 8192;
    private static final Logger log = LoggerFactory.getLogger(RequestLog.class);

    private final ch.qos.logback.classic.Logger logger;
    private final DroppingAsyncAppender async;
    private final Clock clock;
    private final Object absent;
    private final String where;
    private boolean closed;

    RequestLog(LoggerContext context, String loggerName, Appender<ILoggingEvent> out, LogFormat format, Clock clock,
            int queueSize, String where) {
        this.clock = clock;
        // JSON: a field with a null value would be left out; JSON null keeps every line's fields the same.
        this.absent = format == LogFormat.TEXT ? "-" : NullNode.getInstance();
        this.where = where;
        this.async = new DroppingAsyncAppender(context, out, queueSize);
        async.start();
        this.logger = context.getLogger(loggerName);
        if (logger.iteratorForAppenders().hasNext()) {
            async.stop();
            throw new IllegalStateException("a request log is open already (logger " + loggerName + ")");
        }
        logger.setAdditive(false);
        logger.setLevel(Level.INFO);
        logger.addAppender(async);
    }

    /**
     * Opens the request log of {@code settings}: appends to its file, or writes to standard output.
     *
     * @return null when the request log is off
     * @throws IOException naming the file when it cannot be opened for appending
     */
    public static RequestLog open(LogSettings settings) throws IOException {
        if (!settings.requestLogOn()) {
            return null;
        }
        LoggerContext context = LogSetup.context();
        Path target = settings.requestLog();
        Encoder<ILoggingEvent> encoder = settings.format() == LogFormat.JSON ? Encoders.requestJson(context)
                : Encoders.requestText(context);
        OutputStreamAppender<ILoggingEvent> out;
        String where;
        if (target.equals(LogSettings.STDOUT)) {
            ConsoleAppender<ILoggingEvent> c = new ConsoleAppender<>();
            c.setTarget("System.out");
            out = c;
            where = "standard output";
        } else {
            try { // logback would only note a file it cannot open in its status list; say it here, at start
                FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)
                        .close();
            } catch (IOException | RuntimeException e) {
                throw new IOException("--request-log " + target + ": cannot append to it: " + e, e);
            }
            FileAppender<ILoggingEvent> f = new FileAppender<>();
            f.setFile(target.toString());
            f.setAppend(true);
            out = f;
            where = target.toString();
        }
        out.setName("request-log");
        out.setContext(context);
        out.setEncoder(encoder);
        RequestLog r = new RequestLog(context, LOGGER, out, settings.format(), Clock.systemUTC(), QUEUE, where);
        if (!out.isStarted()) {
            r.close();
            throw new IOException("--request-log " + target + ": cannot be opened");
        }
        return r;
    }

    @Override
    public Instant now() {
        return clock.instant();
    }

    /** Queues {@code r}'s line; from any thread, never blocks. */
    @Override
    public void record(RequestRecord r) {
        logger.atInfo()
                .addKeyValue("time", new LogTime(r.time()))
                .addKeyValue("function", or(r.function()))
                .addKeyValue("client", or(r.client()))
                .addKeyValue("slot", or(r.slot()))
                .addKeyValue("start", r.start() == null ? absent : r.start().word())
                .addKeyValue("dispatch_us", r.dispatchNanos() == RequestRecord.NONE ? absent : r.dispatchNanos() / 1_000)
                .addKeyValue("service_ms", BigDecimal.valueOf(r.serviceNanos() / 1_000, 3))
                .addKeyValue("outcome", r.outcome().word())
                .addKeyValue("status", r.outcome().answered() ? r.outcome().status() : absent)
                .setMessage("request")
                .log();
    }

    private Object or(String value) {
        return value == null ? absent : value;
    }

    /** Lines dropped so far because the writer could not keep up. */
    public long dropped() {
        return async.dropped();
    }

    /** Writes what is queued (waiting up to 2 s) and closes the file; records after this are ignored. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        logger.setLevel(Level.OFF);
        logger.detachAppender(async);
        async.stop();
        long d = async.dropped();
        if (d > 0) {
            log.warn("request log {}: {} line(s) dropped: writing could not keep up (queue of {})", where, d,
                    async.getQueueSize());
        }
    }
}
