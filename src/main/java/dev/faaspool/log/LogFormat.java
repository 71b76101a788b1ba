package dev.faaspool.log;

import java.util.Locale;

/** How faas-pool writes its own log and the request log: {@code --log-format}. */
public enum LogFormat {
    /** Lines for people: the log as {@code HH:mm:ss.SSS [LEVEL] Class - message}, the request log as logfmt. */
    TEXT,
    /** One JSON object per line, for log collectors. */
    JSON;

    /**
     * {@code text} or {@code json}, in any case.
     *
     * @throws IllegalArgumentException naming the option and what it accepts
     */
    public static LogFormat parse(String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "text" -> TEXT;
            case "json" -> JSON;
            default -> throw new IllegalArgumentException("--log-format must be text or json (was '" + value + "')");
        };
    }
}
