package dev.faaspool.trace;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A W3C Trace Context {@code traceparent} (https://www.w3.org/TR/trace-context/): the request's trace,
 * the caller's span, and the flags. What faas-pool reads from a request head and hands a handler with
 * its descriptor (runtime-init/PROTOCOL.md, Trace context), always as version {@code 00}: the 55 bytes
 * {@code 00-<32 hex>-<16 hex>-<2 hex>}. Pure.
 *
 * <p>A value is only ever what parses: lower-case hex of the right lengths, neither id all zeros, a
 * version other than {@code ff}. A later version is read by its first three fields, as the
 * specification asks, and handed on as {@code 00}. Anything else counts as no trace context at all:
 * what faas-pool passes to a handler is never bytes a client chose freely.
 *
 * @param traceId  32 lower-case hex digits, not all zero
 * @param parentId 16 lower-case hex digits, not all zero: the caller's span
 * @param flags    the trace flags (bit 0: sampled)
 */
public record TraceParent(String traceId, String parentId, int flags) {
    /** The length of a version-00 value, and of what the pool sends after the byte {@code T}. */
    public static final int LENGTH = 55;
    private static final int NAME_LENGTH = "traceparent".length();

    public TraceParent {
        if (!hex(traceId, 32) || !hex(parentId, 16) || flags < 0 || flags > 0xff) {
            throw new IllegalArgumentException("not a trace context: " + traceId + " " + parentId + " " + flags);
        }
    }

    /** The header's value as version 00: 55 ASCII characters. */
    public String header() {
        return "00-" + traceId + "-" + parentId + "-" + Character.forDigit(flags >> 4, 16)
                + Character.forDigit(flags & 0xf, 16);
    }

    /** Whether the caller sampled this trace (flag bit 0). */
    public boolean sampled() {
        return (flags & 1) != 0;
    }

    /** The trace context {@code value} (a header's value, without surrounding whitespace) says, or null. */
    public static TraceParent parse(CharSequence value) {
        int n = value.length();
        if (n < LENGTH || value.charAt(2) != '-' || value.charAt(35) != '-' || value.charAt(52) != '-') {
            return null;
        }
        String s = value.subSequence(0, LENGTH).toString();
        String version = s.substring(0, 2);
        if (!hexDigits(version) || version.equals("ff") || (version.equals("00") ? n != LENGTH : n > LENGTH
                && value.charAt(LENGTH) != '-')) {
            return null;
        }
        String flags = s.substring(53, 55);
        String traceId = s.substring(3, 35);
        String parentId = s.substring(36, 52);
        if (!hexDigits(flags) || !hex(traceId, 32) || !hex(parentId, 16)) {
            return null;
        }
        return new TraceParent(traceId, parentId, Integer.parseInt(flags, 16));
    }

    /**
     * The {@code traceparent} header of the request head at the start of {@code head}'s first
     * {@code length} bytes, or null when it has none, several, or one that does not parse. Reads complete
     * header lines only, up to the head's empty line; a head cut short is read as far as it goes.
     */
    public static TraceParent find(MemorySegment head, long length) {
        int end = (int) Math.min(length, head.byteSize());
        int line = next(head, 0, end); // the request line is never a header
        TraceParent found = null;
        while (line >= 0 && line < end) {
            int eol = next(head, line, end);
            if (eol < 0) {
                return found; // the rest of the head has not arrived: what came so far stands
            }
            int stop = eol - 1;
            if (stop > line && head.get(ValueLayout.JAVA_BYTE, stop - 1) == '\r') {
                stop--;
            }
            if (stop == line) {
                return found; // the empty line: the head ends here
            }
            if (isTraceParent(head, line, stop)) {
                if (found != null) {
                    return null; // two of them: neither can be trusted
                }
                found = value(head, line + NAME_LENGTH + 1, stop);
                if (found == null) {
                    return null;
                }
            }
            line = eol;
        }
        return found;
    }

    /** Where the line after the one at {@code from} starts, or -1 when its LF is not there yet. */
    private static int next(MemorySegment b, int from, int end) {
        for (int i = from; i < end; i++) {
            if (b.get(ValueLayout.JAVA_BYTE, i) == '\n') {
                return i + 1;
            }
        }
        return -1;
    }

    private static boolean isTraceParent(MemorySegment b, int from, int stop) {
        if (stop - from <= NAME_LENGTH || b.get(ValueLayout.JAVA_BYTE, from + NAME_LENGTH) != ':') {
            return false;
        }
        for (int i = 0; i < NAME_LENGTH; i++) {
            int c = b.get(ValueLayout.JAVA_BYTE, from + i) | 0x20; // ASCII lower case; header names are tokens
            if (c != "traceparent".charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static TraceParent value(MemorySegment b, int from, int stop) {
        while (from < stop && isSpace(b.get(ValueLayout.JAVA_BYTE, from))) {
            from++;
        }
        while (stop > from && isSpace(b.get(ValueLayout.JAVA_BYTE, stop - 1))) {
            stop--;
        }
        if (stop - from > 2 * LENGTH) {
            return null;
        }
        StringBuilder v = new StringBuilder(stop - from);
        for (int i = from; i < stop; i++) {
            v.append((char) (b.get(ValueLayout.JAVA_BYTE, i) & 0xff));
        }
        return parse(v);
    }

    private static boolean isSpace(byte c) {
        return c == ' ' || c == '\t';
    }

    private static boolean hex(String s, int length) {
        return s != null && s.length() == length && hexDigits(s) && !s.chars().allMatch(c -> c == '0');
    }

    private static boolean hexDigits(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }
}
