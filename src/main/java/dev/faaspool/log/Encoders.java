package dev.faaspool.log;

import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Context;
import ch.qos.logback.core.encoder.Encoder;
import net.logstash.logback.composite.loggingevent.KeyValuePairsJsonProvider;
import net.logstash.logback.composite.loggingevent.LogLevelJsonProvider;
import net.logstash.logback.composite.loggingevent.LoggerNameJsonProvider;
import net.logstash.logback.composite.loggingevent.LoggingEventFormattedTimestampJsonProvider;
import net.logstash.logback.composite.loggingevent.LoggingEventJsonProviders;
import net.logstash.logback.composite.loggingevent.LoggingEventThreadNameJsonProvider;
import net.logstash.logback.composite.loggingevent.MessageJsonProvider;
import net.logstash.logback.composite.loggingevent.StackTraceJsonProvider;
import net.logstash.logback.encoder.LoggingEventCompositeJsonEncoder;

/**
 * The encoders of faas-pool's logs: logback's pattern layout for text, logstash-logback-encoder's
 * composite encoder (Jackson underneath) for JSON lines. Each is returned started.
 *
 * <p>Field names, JSON, own log: {@code time} (ISO-8601 UTC, milliseconds), {@code level}, {@code logger},
 * {@code thread}, {@code message}, then the event's structured key-values as fields of their own, then
 * {@code stack_trace} when there is one. Request log: its {@link RequestLog#FIELDS} and nothing else.
 */
final class Encoders {
    /** A request log text line: its fields as logfmt {@code key=value}, values unquoted (they are tokens). */
    static final String REQUEST_TEXT_PATTERN = "%kvp{NONE}%n";

    private Encoders() {}

    /** faas-pool's own log as JSON lines. */
    static Encoder<ILoggingEvent> logJson(Context context) {
        LoggingEventJsonProviders p = new LoggingEventJsonProviders();
        LoggingEventFormattedTimestampJsonProvider time = new LoggingEventFormattedTimestampJsonProvider();
        time.setFieldName("time");
        time.setPattern("uuuu-MM-dd'T'HH:mm:ss.SSSX");
        time.setTimeZone("UTC");
        p.addTimestamp(time);
        LogLevelJsonProvider level = new LogLevelJsonProvider();
        level.setFieldName("level");
        p.addLogLevel(level);
        LoggerNameJsonProvider logger = new LoggerNameJsonProvider();
        logger.setFieldName("logger");
        p.addLoggerName(logger);
        LoggingEventThreadNameJsonProvider thread = new LoggingEventThreadNameJsonProvider();
        thread.setFieldName("thread");
        p.addThreadName(thread);
        MessageJsonProvider message = new MessageJsonProvider();
        message.setFieldName("message");
        p.addMessage(message);
        p.addKeyValuePairs(new KeyValuePairsJsonProvider());
        StackTraceJsonProvider stack = new StackTraceJsonProvider();
        stack.setFieldName("stack_trace");
        p.addStackTrace(stack);
        return json(context, p);
    }

    /** The request log as JSON lines: the record's key-values, typed (numbers are numbers, absent is null). */
    static Encoder<ILoggingEvent> requestJson(Context context) {
        LoggingEventJsonProviders p = new LoggingEventJsonProviders();
        p.addKeyValuePairs(new KeyValuePairsJsonProvider());
        return json(context, p);
    }

    /** The request log as logfmt lines. */
    static Encoder<ILoggingEvent> requestText(Context context) {
        PatternLayoutEncoder e = new PatternLayoutEncoder();
        e.setContext(context);
        e.setPattern(REQUEST_TEXT_PATTERN);
        e.start();
        return e;
    }

    private static Encoder<ILoggingEvent> json(Context context, LoggingEventJsonProviders providers) {
        LoggingEventCompositeJsonEncoder e = new LoggingEventCompositeJsonEncoder();
        e.setContext(context);
        e.setProviders(providers);
        e.start();
        return e;
    }
}
