package dev.faaspool.log;

import java.nio.file.Path;
import java.util.Locale;
import org.slf4j.event.Level;

/**
 * How faas-pool logs, validated: {@code --log-level}, {@code --log-format}, {@code --request-log}.
 *
 * @param level      the least severe level of faas-pool's own log that is written
 * @param format     of both faas-pool's own log and the request log
 * @param requestLog where the request log goes: a file (appended to), {@link #STDOUT}, or null when it is off
 */
public record LogSettings(Level level, LogFormat format, Path requestLog) {
    /** {@code --request-log -}: the request log goes to standard output. */
    public static final Path STDOUT = Path.of("-");
    /** What faas-pool does without options: text at info, no request log. */
    public static final LogSettings DEFAULT = new LogSettings(Level.INFO, LogFormat.TEXT, null);

    public LogSettings {
        if (level == null || format == null) {
            throw new IllegalArgumentException("a log level and a log format are needed");
        }
    }

    /**
     * One of {@code trace debug info warn error}, in any case.
     *
     * @throws IllegalArgumentException naming the option and what it accepts
     */
    public static Level parseLevel(String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "trace" -> Level.TRACE;
            case "debug" -> Level.DEBUG;
            case "info" -> Level.INFO;
            case "warn" -> Level.WARN;
            case "error" -> Level.ERROR;
            default -> throw new IllegalArgumentException("--log-level must be one of trace, debug, info, warn, error (was '"
                    + value + "')");
        };
    }

    /**
     * Whether a status line on a terminal may be redrawn in place: not when its lines are log events
     * (JSON), nor when the request log's lines share standard output with it.
     */
    public boolean redrawsStatusLine() {
        return format == LogFormat.TEXT && !STDOUT.equals(requestLog);
    }

    /** Whether the request log is on. */
    public boolean requestLogOn() {
        return requestLog != null;
    }
}
