package dev.faaspool.dispatch;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * What the HTTP front listener needs from a request's head to pick its function: the request line's
 * path and the host it names. Read from a {@code MSG_PEEK} copy of the connection's first bytes, so
 * nothing here consumes anything: the handler still reads the whole request itself. Pure.
 *
 * <p>The reading is strict where a lenient one would let a client steer a request past the routing
 * (RFC 9112): one request line {@code METHOD SP target SP HTTP/1.x}, header names as tokens, no
 * obsolete line folding, at most one {@code Host}, and a target in origin form ({@code /path}) or
 * absolute form ({@code http://host/path}, whose host then wins over the header's, RFC 9112 §3.2.2).
 * A bare LF ends a line as CRLF does (RFC 9112 §2.2 allows recipients to accept it).
 *
 * @param method the request's method, as sent
 * @param path   the target's path without its query, as sent (not percent-decoded)
 * @param host   the host the request names, lowercase, without port or a trailing dot; empty when none
 */
public record HttpHead(String method, String path, String host) {

    /** What a peeked prefix of a connection's bytes says. */
    public enum Status {
        /** The whole head is there: {@link Parse#head()} is set. */
        COMPLETE,
        /** A plausible beginning of a request head; more bytes are needed. */
        INCOMPLETE,
        /** Not an HTTP/1 request head: answered 400. */
        NOT_HTTP,
        /** No end of the head within the limit: answered 400. */
        TOO_LARGE
    }

    /** The outcome of {@link #parse}: a head, or why there is none (yet). */
    public record Parse(Status status, HttpHead head, String problem) {
        static Parse incomplete() {
            return new Parse(Status.INCOMPLETE, null, null);
        }

        static Parse notHttp(String problem) {
            return new Parse(Status.NOT_HTTP, null, problem);
        }
    }

    private static final int MAX_METHOD = 32;

    /**
     * Reads the request head from the first {@code length} bytes of {@code b}, the connection's bytes so
     * far; {@code limit} is the most a head may take (with {@code length == limit} and no end of head,
     * it is {@link Status#TOO_LARGE}).
     */
    public static Parse parse(byte[] b, int length, int limit) {
        int lineEnd = indexOf(b, 0, length, (byte) '\n');
        if (lineEnd < 0) {
            String p = requestLinePrefixProblem(b, length);
            if (p != null) {
                return Parse.notHttp(p);
            }
            return length >= limit ? new Parse(Status.TOO_LARGE, null, "request line longer than " + limit + " bytes")
                    : Parse.incomplete();
        }
        String line = line(b, 0, lineEnd);
        int sp1 = line.indexOf(' ');
        int sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
        if (sp1 <= 0 || sp2 < 0 || line.indexOf(' ', sp2 + 1) >= 0) {
            return Parse.notHttp("the request line is not METHOD SP target SP HTTP/1.x");
        }
        String method = line.substring(0, sp1);
        String target = line.substring(sp1 + 1, sp2);
        String version = line.substring(sp2 + 1);
        if (!isToken(method)) {
            return Parse.notHttp("the method is not a token");
        }
        if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
            return Parse.notHttp("not HTTP/1.0 or HTTP/1.1 (" + printable(version) + ")");
        }
        if (target.isEmpty() || !visible(target)) {
            return Parse.notHttp("the request target is empty or has control characters");
        }
        String path;
        String targetHost = null;
        if (target.charAt(0) == '/') {
            path = target;
        } else if (target.regionMatches(true, 0, "http://", 0, 7) || target.regionMatches(true, 0, "https://", 0, 8)) {
            int start = target.indexOf("//") + 2;
            int slash = firstOf(target, start, "/?");
            targetHost = target.substring(start, slash < 0 ? target.length() : slash);
            path = slash < 0 ? "/" : target.substring(slash);
            if (path.charAt(0) == '?') {
                path = "/" + path;
            }
            if (targetHost.isEmpty() || targetHost.indexOf('@') >= 0) {
                return Parse.notHttp("the absolute request target names no host, or user information");
            }
        } else if (target.equals("*") && method.equals("OPTIONS")) {
            path = "*";
        } else {
            return Parse.notHttp("the request target is neither /path nor http://host/path");
        }
        int q = path.indexOf('?');
        if (q >= 0) {
            path = path.substring(0, q);
        }

        String hostHeader = null;
        int pos = lineEnd + 1;
        while (true) {
            int end = indexOf(b, pos, length, (byte) '\n');
            if (end < 0) {
                return length >= limit ? new Parse(Status.TOO_LARGE, null, "request head longer than " + limit + " bytes")
                        : Parse.incomplete();
            }
            String h = line(b, pos, end);
            pos = end + 1;
            if (h.isEmpty()) {
                break; // the empty line: the head is complete
            }
            if (h.charAt(0) == ' ' || h.charAt(0) == '\t') {
                return Parse.notHttp("obsolete line folding in the header section");
            }
            int colon = h.indexOf(':');
            if (colon <= 0 || !isToken(h.substring(0, colon))) {
                return Parse.notHttp("a header line is not name: value");
            }
            if (h.regionMatches(true, 0, "host", 0, 4) && colon == 4) {
                if (hostHeader != null) {
                    return Parse.notHttp("more than one Host header");
                }
                hostHeader = h.substring(colon + 1).strip();
                if (!visible(hostHeader) && !hostHeader.isEmpty()) {
                    return Parse.notHttp("the Host header has control characters");
                }
            }
        }
        String host = targetHost != null ? targetHost : hostHeader == null ? "" : hostHeader;
        return new Parse(Status.COMPLETE, new HttpHead(method, path, normalHost(host)), null);
    }

    /** {@code host} without its port and trailing dot, lowercase: {@code API.example.com.:8080} → {@code api.example.com}. */
    static String normalHost(String host) {
        String h = host;
        if (h.startsWith("[")) {
            int close = h.indexOf(']');
            h = close < 0 ? h : h.substring(0, close + 1); // an IPv6 literal keeps its brackets, loses its port
        } else {
            int colon = h.lastIndexOf(':');
            if (colon >= 0) {
                h = h.substring(0, colon);
            }
        }
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        return h.toLowerCase(Locale.ROOT);
    }

    /**
     * Why the first bytes, with no line end yet, cannot begin a request line; null while they can. It
     * lets a client that speaks something else (TLS, HTTP/2's preface, a binary protocol) be answered at
     * once rather than at the head timeout.
     */
    private static String requestLinePrefixProblem(byte[] b, int length) {
        int i = 0;
        while (i < length && b[i] != ' ') {
            if (!isTokenChar(b[i])) {
                return "the first bytes are not an HTTP method";
            }
            if (++i > MAX_METHOD) {
                return "the method is longer than " + MAX_METHOD + " bytes";
            }
        }
        if (i == 0 && length > 0) {
            return "the request line begins with a space";
        }
        for (; i < length; i++) {
            if (b[i] < 0x20 && b[i] != '\r' || b[i] == 0x7f) {
                return "control characters in the request line";
            }
        }
        return null;
    }

    private static int indexOf(byte[] b, int from, int to, byte v) {
        for (int i = from; i < to; i++) {
            if (b[i] == v) {
                return i;
            }
        }
        return -1;
    }

    private static int firstOf(String s, int from, String chars) {
        for (int i = from; i < s.length(); i++) {
            if (chars.indexOf(s.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }

    /** The bytes from {@code from} to the line feed at {@code lf}, without a CR before it, as ISO-8859-1. */
    private static String line(byte[] b, int from, int lf) {
        int end = lf > from && b[lf - 1] == '\r' ? lf - 1 : lf;
        return new String(b, from, end - from, StandardCharsets.ISO_8859_1);
    }

    private static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c > 0x7e || !isTokenChar((byte) c)) {
                return false;
            }
        }
        return true;
    }

    /** RFC 9110 tchar. */
    private static boolean isTokenChar(byte c) {
        return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }

    /** Visible ASCII only (no space, no control characters, nothing above 0x7e). */
    private static boolean visible(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }

    private static String printable(String s) {
        String t = s.length() > 20 ? s.substring(0, 20) + "..." : s;
        return t.replaceAll("[^\\x21-\\x7e]", "?");
    }
}
