package dev.faaspool.functionlogs;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * The one-line form of what a handler wrote, as {@code logs/<function>.log} stores it:
 * {@code <UTC time> <slot>/<container> <out|err> <text>}, for example
 * {@code 2026-12-02T18:30:00.123456789Z fn-3/0123456789ab out hello}.
 *
 * <p>The text is the handler's, made safe to print on a terminal and to read back line by line: at
 * most {@link #MAX_LINE_BYTES} bytes of it are kept (the rest is counted in a
 * {@code [truncated N bytes]} marker), bytes that are not UTF-8 become {@code \xNN}, and control
 * characters (C0, DEL, C1: the escape sequences a terminal acts on), line and paragraph separators and
 * bidirectional overrides become {@code \xNN} or (a backslash, then) {@code u{NNNN}}. So a line of the file is always one
 * line the handler wrote, and nothing in it can move a terminal's cursor or change its colours.
 */
public final class LogLines {
    /** Bytes of one line kept; Docker splits longer lines into 16 KiB pieces, and this keeps the first. */
    public static final int MAX_LINE_BYTES = 16 * 1024;

    private LogLines() {}

    /** The stored line, without its newline. */
    public static String format(String time, String source, String stream, String text) {
        return time + " " + source + " " + stream + " " + text;
    }

    /**
     * The time at the start of a stored line, or null when the line does not start with one (a line
     * written by something else than faas-pool).
     */
    public static Instant timeOf(String line) {
        int sp = line.indexOf(' ');
        if (sp <= 0) {
            return null;
        }
        try {
            return Instant.parse(line.substring(0, sp));
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /**
     * {@code bytes[0..length)} as safe text (see the class comment), with a marker when {@code dropped}
     * bytes of the line were not kept.
     */
    public static String escape(byte[] bytes, int length, long dropped) {
        StringBuilder out = new StringBuilder(length + 16);
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, 0, length);
        CharBuffer chars = CharBuffer.allocate(Math.max(16, length));
        while (true) {
            CoderResult r = decoder.decode(in, chars, true);
            chars.flip();
            appendEscaped(out, chars);
            chars.clear();
            if (r.isError()) {
                for (int i = 0; i < r.length(); i++) {
                    hex(out, in.get());
                }
            } else if (r.isUnderflow()) {
                break;
            }
        }
        if (dropped > 0) {
            out.append(" [truncated ").append(dropped).append(" bytes]");
        }
        return out.toString();
    }

    private static void appendEscaped(StringBuilder out, CharSequence chars) {
        for (int i = 0; i < chars.length(); i++) {
            char c = chars.charAt(i);
            if (c == '\t') {
                out.append("\\t");
            } else if (c == '\r') {
                out.append("\\r");
            } else if (c < 0x20 || c == 0x7f) {
                hex(out, (byte) c);
            } else if ((c >= 0x80 && c <= 0x9f) || c == 0x2028 || c == 0x2029 || (c >= 0x202a && c <= 0x202e)
                    || (c >= 0x2066 && c <= 0x2069)) {
                out.append("\\u{").append(String.format("%04x", (int) c)).append('}');
            } else {
                out.append(c);
            }
        }
    }

    private static void hex(StringBuilder out, byte b) {
        out.append("\\x").append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
    }
}
