package dev.faaspool.config;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The host names of a function's {@code hosts:}: what the front HTTP listener matches a request's
 * {@code Host:} header against.
 *
 * <p>A name is a lower-case DNS name of RFC 1123 labels ({@code [a-z0-9]}, inner {@code -}, 1..63 characters
 * each, at most 253 in all), without a port or a trailing dot. It may start with {@code *.}: {@code *.example.com}
 * matches every name with at least one more label ({@code a.example.com}, {@code a.b.example.com}), never
 * {@code example.com} itself. An exact name wins over a wildcard, and a longer wildcard over a shorter one,
 * as nginx's {@code server_name} does.
 */
public final class HostNames {
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    public static final int MAX_LENGTH = 253;

    private HostNames() {}

    /** What is wrong with {@code name} as an entry of {@code hosts:}, or null. */
    public static String problem(String name) {
        if (name.isEmpty()) {
            return "must not be empty";
        }
        if (!name.equals(name.toLowerCase(Locale.ROOT))) {
            return "must be lower case (was '" + name + "')";
        }
        if (name.length() > MAX_LENGTH) {
            return "must be at most " + MAX_LENGTH + " characters (was " + name.length() + ")";
        }
        if (name.contains(":")) {
            return "must be a host name without a port: the front listener has one port for all (was '" + name + "')";
        }
        String rest = name.startsWith("*.") ? name.substring(2) : name;
        List<String> labels = List.of(rest.split("\\.", -1));
        for (String label : labels) {
            if (!LABEL.matcher(label).matches()) {
                return (label.contains("*") ? "a wildcard may only be a whole first label, as in *.example.com"
                        : "must be a DNS name of labels [a-z0-9], inner '-', 1..63 characters each, for example"
                                + " api.example.com") + " (was '" + name + "')";
            }
        }
        if (name.startsWith("*.") && labels.size() < 2) {
            return "a wildcard needs at least two labels after it, as in *.example.com (was '" + name + "')";
        }
        return null;
    }

    /** {@code name} as it is written in {@code hosts:}: lower case, as DNS names compare. */
    public static String normalize(String name) {
        return name.toLowerCase(Locale.ROOT);
    }

    /**
     * The name a request's {@code Host:} value stands for: lower case, without its port and a trailing dot;
     * null when it is not a host name (an IP literal in brackets, text that is no name).
     */
    public static String ofHeader(String value) {
        String v = value.strip().toLowerCase(Locale.ROOT);
        if (v.startsWith("[")) {
            return null;
        }
        int colon = v.indexOf(':');
        if (colon >= 0) {
            v = v.substring(0, colon);
        }
        if (v.endsWith(".")) {
            v = v.substring(0, v.length() - 1);
        }
        return v.isEmpty() || v.startsWith("*") || problem(v) != null ? null : v;
    }

    /** Whether {@code pattern}, an entry of {@code hosts:}, matches {@code host} (a name of {@link #ofHeader}). */
    public static boolean matches(String pattern, String host) {
        if (pattern.startsWith("*.")) {
            String suffix = pattern.substring(1); // ".example.com"
            return host.length() > suffix.length() && host.endsWith(suffix);
        }
        return pattern.equals(host);
    }
}
