package dev.faaspool.config;

import java.nio.file.Path;
import java.util.List;

/**
 * A configuration that cannot be used, with where and why: {@code file:line: field: reason}.
 * Thrown at start-up (or on a reload) before anything of the configuration takes effect.
 *
 * <p>The loader reports every error it finds (one per function at most, and every file's), not only the
 * first: {@link #problems()} holds them in file order, each one line; the accessors and the message's first
 * line are the first one's, and the message has one line per problem.
 */
public final class ConfigException extends Exception {
    private final Path file;
    private final int line;
    private final String field;
    private final String reason;
    private final List<ConfigException> problems;

    public ConfigException(Path file, int line, String field, String reason) {
        super(format(file, line, field, reason));
        this.file = file;
        this.line = line;
        this.field = field;
        this.reason = reason;
        this.problems = List.of(this);
    }

    private ConfigException(List<ConfigException> problems) {
        super(String.join("\n", problems.stream().map(Throwable::getMessage).toList()));
        ConfigException first = problems.getFirst();
        this.file = first.file;
        this.line = first.line;
        this.field = first.field;
        this.reason = first.reason;
        this.problems = List.copyOf(problems);
    }

    /**
     * The one exception that reports all of {@code problems} (themselves single problems or lists); the
     * problem itself when there is one.
     *
     * @throws IllegalArgumentException when {@code problems} is empty
     */
    public static ConfigException of(List<ConfigException> problems) {
        List<ConfigException> all = problems.stream().flatMap(p -> p.problems().stream()).toList();
        if (all.isEmpty()) {
            throw new IllegalArgumentException("no problem to report");
        }
        return all.size() == 1 ? all.getFirst() : new ConfigException(all);
    }

    /** Every problem this exception reports, each a single one ({@code file:line: field: reason}); at least this one. */
    public List<ConfigException> problems() {
        return problems;
    }

    private static String format(Path file, int line, String field, String reason) {
        StringBuilder sb = new StringBuilder();
        sb.append(file == null ? "<config>" : file.toString());
        if (line > 0) {
            sb.append(':').append(line);
        }
        sb.append(": ");
        if (field != null && !field.isEmpty()) {
            sb.append(printable(field)).append(": ");
        }
        return sb.append(printable(reason)).toString();
    }

    /**
     * {@code s} with its control characters escaped (a newline as {@code \n}, a NUL as a Unicode escape): a field or a value quoted
     * from the file may hold any (a YAML key or value can be quoted with {@code "\n"}), and one error stays one
     * line of the log, whatever it quotes.
     */
    private static String printable(String s) {
        if (s == null || s.chars().noneMatch(Character::isISOControl)) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (Character.isISOControl(c)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
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
