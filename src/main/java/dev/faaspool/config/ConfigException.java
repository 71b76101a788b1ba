package dev.faaspool.config;

import java.nio.file.Path;

/**
 * A configuration that cannot be used, with where and why: {@code file:line: field: reason}.
 * Thrown at start-up (or on a reload) before anything of the configuration takes effect.
 */
public final class ConfigException extends Exception {
    private final Path file;
    private final int line;
    private final String field;
    private final String reason;

    public ConfigException(Path file, int line, String field, String reason) {
        super(format(file, line, field, reason));
        this.file = file;
        this.line = line;
        this.field = field;
        this.reason = reason;
    }

    private static String format(Path file, int line, String field, String reason) {
        StringBuilder sb = new StringBuilder();
        sb.append(file == null ? "<config>" : file.toString());
        if (line > 0) {
            sb.append(':').append(line);
        }
        sb.append(": ");
        if (field != null && !field.isEmpty()) {
            sb.append(field).append(": ");
        }
        return sb.append(reason).toString();
    }

    /** The file at fault, or null for a setting that came from the command line. */
    public Path file() {
        return file;
    }

    /** 1-based line of the offending value, or 0 when no single line is at fault. */
    public int line() {
        return line;
    }

    /** Dotted path of the offending field, for example {@code functions.hello.pool.warm}. */
    public String field() {
        return field;
    }

    public String reason() {
        return reason;
    }
}
