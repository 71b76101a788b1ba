package dev.faaspool.functionlogs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a handler writes, as Docker's log stream delivers it, becomes safe single lines. */
class LineAssemblerTest {
    private static final String T = "2026-12-02T18:30:00.123456789Z";
    private final List<String> lines = new ArrayList<>();
    private final LineAssembler a = new LineAssembler((time, stream, text) -> lines.add(time + " " + stream + " " + text),
            Clock.fixed(Instant.parse("2026-12-02T19:00:00Z"), ZoneOffset.UTC));

    private static byte[] frame(String time, byte[] message) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes((time + " ").getBytes(StandardCharsets.US_ASCII));
        b.writeBytes(message);
        return b.toByteArray();
    }

    private static byte[] frame(String time, String message) {
        return frame(time, message.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aLineKeepsDockersTimeAndItsStream() {
        a.frame(false, frame(T, "hello\n"));
        a.frame(true, frame("2026-12-02T18:30:01.5Z", "oops\n"));
        a.frame(false, frame("2026-12-02T18:30:02Z", "\n"));
        assertEquals(List.of(T + " out hello", "2026-12-02T18:30:01.500000000Z err oops",
                "2026-12-02T18:30:02.000000000Z out "), lines);
    }

    @Test
    void piecesOfALongLineAreJoinedPerStreamEvenWhenTheStreamsInterleave() {
        a.frame(false, frame(T, "first half, "));
        a.frame(true, frame("2026-12-02T18:30:00.2Z", "an error\n"));
        a.frame(false, frame("2026-12-02T18:30:00.3Z", "second half\n"));
        assertEquals(List.of("2026-12-02T18:30:00.200000000Z err an error", T + " out first half, second half"), lines);
    }

    @Test
    void aHugeLineWithoutNewlineIsCutAtTheBoundAndEndsWithTheStream() {
        byte[] piece = new byte[16 * 1024];
        Arrays.fill(piece, (byte) 'x');
        int pieces = 640; // 10 MiB, as Docker splits it: 16 KiB messages, none with a newline
        for (int i = 0; i < pieces; i++) {
            a.frame(false, frame(T, piece));
        }
        assertTrue(lines.isEmpty(), "nothing until the line ends");
        a.end();
        assertEquals(1, lines.size());
        String text = lines.get(0).substring((T + " out ").length());
        assertEquals("x".repeat(LogLines.MAX_LINE_BYTES) + " [truncated " + ((long) pieces * piece.length
                - LogLines.MAX_LINE_BYTES) + " bytes]", text);
        a.frame(false, frame("2026-12-02T18:30:01Z", "next\n"));
        assertEquals("2026-12-02T18:30:01.000000000Z out next", lines.get(1), "the next line starts afresh");
    }

    @Test
    void binaryControlCharactersAndTerminalEscapesAreEscaped() {
        byte[] hostile = {'a', 0, 'b', 0x1b, '[', '2', 'J', '\r', '\t', 0x7f, (byte) 0xff, (byte) 0xc3, 'z', '\n'};
        a.frame(false, frame(T, hostile));
        a.frame(false, frame("2026-12-02T18:30:01Z", "\u009b31m \u202eevil \u2028x ok: é ✓\n"));
        assertEquals(T + " out a\\x00b\\x1b[2J\\r\\t\\x7f\\xff\\xc3z", lines.get(0));
        assertEquals("2026-12-02T18:30:01.000000000Z out \\u{009b}31m \\u{202e}evil \\u{2028}x ok: é ✓", lines.get(1));
        for (String l : lines) {
            assertFalse(l.chars().anyMatch(c -> c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)), l);
        }
    }

    @Test
    void whatTheEngineSendsAgainAfterARotationOfItsFileIsTakenOnce() {
        a.frame(false, frame(T, "one\n"));
        a.frame(false, frame("2026-12-02T18:30:00.2Z", "long "));
        a.frame(false, frame("2026-12-02T18:30:00.2Z", "line\n")); // a piece of the same line: same time
        a.frame(false, frame(T, "one\n")); // sent again: earlier
        a.frame(false, frame("2026-12-02T18:30:00.2Z", "line\n")); // sent again: that line ended
        a.frame(true, frame(T, "err is another stream\n"));
        a.frame(false, frame("2026-12-02T18:30:00.3Z", "two\n"));
        assertEquals(List.of(T + " out one", "2026-12-02T18:30:00.200000000Z out long line",
                T + " err err is another stream", "2026-12-02T18:30:00.300000000Z out two"), lines);
    }

    @Test
    void readAgainAfterTheEndALastLineWithoutNewlineIsTakenOnceWhetherOrNotTheStreamHadIt() {
        a.frame(false, frame(T, "first\n"));
        a.frame(true, frame("2026-12-02T18:30:00.5Z", "no newline")); // the follow had it
        a.again(false, frame(T, "first\n"));
        a.again(true, frame("2026-12-02T18:30:00.5Z", "no newline")); // read again: the same message
        a.again(false, frame("2026-12-02T18:30:00.6Z", "missed by the follow"));
        a.end();
        // At the end what is pending is emitted, stdout's first.
        assertEquals(List.of(T + " out first", "2026-12-02T18:30:00.600000000Z out missed by the follow",
                "2026-12-02T18:30:00.500000000Z err no newline"), lines);
    }

    @Test
    void aFrameWithoutATimeIsTimedOnArrivalAndKeptWhole() {
        a.frame(false, "no time here\nsecond\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of("2026-12-02T19:00:00.000000000Z out no time here",
                "2026-12-02T19:00:00.000000000Z out second"), lines);
    }

    @Test
    void theLastLineWithoutNewlineIsKeptWhenTheStreamEnds() {
        a.frame(true, frame(T, "bye"));
        a.end();
        assertEquals(List.of(T + " err bye"), lines);
        a.end();
        assertEquals(1, lines.size(), "nothing is pending twice");
    }

    @Test
    void storedLinesTellTheirTime() {
        assertEquals(Instant.parse(T), LogLines.timeOf(LogLines.format(T, "fn-1/abc", "out", "x y")));
        assertEquals(null, LogLines.timeOf("garbage line"));
        assertEquals(null, LogLines.timeOf(""));
    }
}
