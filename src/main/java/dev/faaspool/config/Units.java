package dev.faaspool.config;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the human units of the configuration: durations ({@code 250ms}, {@code 5s}) and sizes ({@code 64m},
 * {@code 64Mi}).
 * Every parser throws {@link IllegalArgumentException} only, with a message stating the accepted form or
 * range, whatever the text; every duration it returns converts with {@link Duration#toNanos()}.
 */
public final class Units {
    // ASCII only (no UNICODE_CHARACTER_CLASS, no UNICODE_CASE): a digit of another script is no number, and
    // no letter that lower-cases to a unit's (the Kelvin sign to k) is that unit.
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)", Pattern.CASE_INSENSITIVE);
    // A unit letter, then either b (64mb, as before) or i (64Mi, Kubernetes' binary suffix), not both: Kubernetes
    // has no "MiB", and the parser has never read one.
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(?:([kmgtp])(?:i|b)?|b)?", Pattern.CASE_INSENSITIVE);

    /** The longest duration the pool's nanosecond clocks can hold: {@code Long.MAX_VALUE} ns, about 292 years. */
    public static final Duration MAX_DURATION = Duration.ofNanos(Long.MAX_VALUE);

    private static final long MS = 1_000_000L;
    private static final long DAY_MS = 86_400_000L;

    private Units() {}

    /**
     * Parses a duration such as {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h} or {@code 2d}.
     *
     * @throws IllegalArgumentException stating the accepted form, or that it is longer than
     *                                  {@link #MAX_DURATION}
     */
    public static Duration parseDuration(String text) {
        long nanos = nanos(text);
        if (nanos < 0) {
            throw new IllegalArgumentException("'" + text + "' is too long a duration (at most about 292 years)");
        }
        return Duration.ofNanos(nanos);
    }

    /**
     * Parses a duration of at most {@code max}.
     *
     * @throws IllegalArgumentException stating the accepted form, or for a longer one (however long)
     *                                  {@code must be <= max (was text)}
     */
    public static Duration parseDuration(String text, Duration max) {
        long nanos = nanos(text);
        if (nanos < 0 || nanos > max.toNanos()) {
            throw new IllegalArgumentException("must be <= " + format(max) + " (was " + text.trim() + ")");
        }
        return Duration.ofNanos(nanos);
    }

    /** The nanoseconds {@code text} states, or -1 when they do not fit in a long. */
    private static long nanos(String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "'" + text + "' is not a duration; use a number with ms, s, m, h or d, for example 250ms or 5s");
        }
        long unit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "ms" -> MS;
            case "s" -> 1000 * MS;
            case "m" -> 60_000 * MS;
            case "h" -> 3_600_000 * MS;
            default -> DAY_MS * MS;
        };
        try {
            return Math.multiplyExact(Long.parseLong(m.group(1)), unit);
        } catch (NumberFormatException | ArithmeticException e) { // more digits than a long, or too many nanos
            return -1;
        }
    }

    /**
     * Parses a size in bytes such as {@code 65536}, {@code 512k}, {@code 64m}, {@code 1g}, {@code 1t} or
     * {@code 1p}, or in Kubernetes' spelling {@code 512Ki}, {@code 64Mi}, {@code 1Gi}, {@code 1Ti}, {@code 1Pi}.
     * Every unit is binary, whatever its case and spelling: {@code 64m}, {@code 64M}, {@code 64mb} and
     * {@code 64Mi} are all 64 MiB (as Docker's {@code --memory 64m}). Kubernetes' decimal {@code 64M}
     * (64,000,000) is not offered: {@code 64M} kept the meaning it always had here.
     *
     * @throws IllegalArgumentException stating the accepted form, or that it does not fit in a long
     */
    public static long parseBytes(String text) {
        long bytes = bytes(text);
        if (bytes < 0) {
            throw new IllegalArgumentException("'" + text + "' is too large");
        }
        return bytes;
    }

    /**
     * Parses a size of at most {@code max} bytes.
     *
     * @throws IllegalArgumentException stating the accepted form, or for a larger one (however large)
     *                                  {@code must be <= max (was text)}
     */
    public static long parseBytes(String text, long max) {
        long bytes = bytes(text);
        if (bytes < 0 || bytes > max) {
            throw new IllegalArgumentException("must be <= " + formatBytes(max) + " (was " + text.trim() + ")");
        }
        return bytes;
    }

    /** The bytes {@code text} states, or -1 when they do not fit in a long. */
    private static long bytes(String text) {
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "'" + text + "' is not a size; use a number of bytes with k, m, g, t or p (binary: 64m is 64Mi),"
                            + " for example 64m or 64Mi");
        }
        String unit = m.group(2) == null ? "" : m.group(2);
        int shift = switch (unit.toLowerCase(Locale.ROOT)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            case "p" -> 50;
            default -> 0;
        };
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) { // more digits than a long
            return -1;
        }
        return n > (Long.MAX_VALUE >> shift) ? -1 : n << shift;
    }

    /**
     * Formats a duration the way the configuration writes it, in its largest whole unit; a day or less in
     * hours ({@code 24h}), as timeouts are written.
     */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % DAY_MS == 0 && ms > DAY_MS) {
            return ms / DAY_MS + "d";
        }
        if (ms % 3_600_000 == 0 && ms > 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0 && ms > 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }

    /** Formats a size the way the configuration writes it, in its largest whole binary unit ({@code 64m}, {@code 1t}). */
    public static String formatBytes(long bytes) {
        String units = "kmgtp";
        for (int i = units.length(); i > 0; i--) {
            int shift = 10 * i;
            if (bytes != 0 && bytes % (1L << shift) == 0) {
                return (bytes >> shift) + units.substring(i - 1, i);
            }
        }
        return Long.toString(bytes);
    }
}
