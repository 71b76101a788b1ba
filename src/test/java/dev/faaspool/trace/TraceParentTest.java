package dev.faaspool.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What faas-pool takes from a request for a handler's trace context, and what it refuses. */
class TraceParentTest {
    private static final String TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    @Test
    void readsAVersion00ValueAndWritesItBackTheSame() {
        TraceParent p = TraceParent.parse(TP);
        assertEquals(new TraceParent("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", 1), p);
        assertEquals(TP, p.header());
        assertEquals(TraceParent.LENGTH, p.header().length());
    }

    @Test
    void aLaterVersionIsReadByItsFirstFieldsAndHandedOnAs00() {
        TraceParent p = TraceParent.parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-what-comes-later");
        assertEquals("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", p.header());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",           // short
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",    // version 00 has nothing after
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",          // upper case
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",          // no trace
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",          // no parent
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",          // the forbidden version
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",          // not hex
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",         // a later version, but no '-' after
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\nX: y",  // a line break smuggled in
    })
    void anythingElseIsNoTraceContext(String value) {
        assertNull(TraceParent.parse(value), value);
    }

    @Test
    void findsTheHeaderInAHeadWhateverItsCaseAndSpacing() {
        assertEquals(TP, find("GET / HTTP/1.1\r\nHost: x\r\nTraceParent:  \t" + TP + " \r\n\r\n").header());
        assertEquals(TP, find("GET / HTTP/1.1\nhost: x\ntraceparent:" + TP + "\n\n").header());
    }

    @Test
    void aHeadWithoutOneHasNone() {
        assertNull(find("GET / HTTP/1.1\r\nHost: x\r\ntracestate: a=b\r\n\r\n"));
        assertNull(find("GET /traceparent:" + TP + " HTTP/1.1\r\n\r\n"), "the request line is not a header");
        assertNull(find("GET / HTTP/1.1\r\nHost: x\r\n\r\ntraceparent: " + TP + "\r\n"), "the body is not the head");
        assertNull(find("GET / HTTP/1.1\r\nx-traceparent: " + TP + "\r\n\r\n"));
        assertNull(find("GET / HTTP/1.1\r\ntraceparent : " + TP + "\r\n\r\n"), "no space before the colon (RFC 9112)");
    }

    @Test
    void twoHeadersOrABadOneAreNone() {
        String other = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        assertNull(find("GET / HTTP/1.1\r\ntraceparent: " + TP + "\r\ntraceparent: " + other + "\r\n\r\n"));
        assertNull(find("GET / HTTP/1.1\r\ntraceparent: " + TP.toUpperCase() + "\r\n\r\n"));
        assertNull(find("GET / HTTP/1.1\r\ntraceparent: " + "0".repeat(4000) + "\r\n\r\n"));
    }

    @Test
    void aHeadCutShortIsReadAsFarAsItsCompleteLinesGo() {
        assertEquals(TP, find("GET / HTTP/1.1\r\ntraceparent: " + TP + "\r\nHost: x\r\nAcce").header());
        assertNull(find("GET / HTTP/1.1\r\ntraceparent: " + TP.substring(0, 40)), "the line's end is not there");
        assertNull(find("GET / HT"));
    }

    @Test
    void readsOnlyTheLengthItIsGiven() {
        String head = "GET / HTTP/1.1\r\ntraceparent: " + TP + "\r\n\r\n";
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(head.length());
            MemorySegment.copy(head.getBytes(StandardCharsets.US_ASCII), 0, m, java.lang.foreign.ValueLayout.JAVA_BYTE, 0,
                    head.length());
            assertNull(TraceParent.find(m, head.indexOf("traceparent") + 20));
            assertEquals(TP, TraceParent.find(m, head.length()).header());
        }
    }

    private static TraceParent find(String head) {
        byte[] b = head.getBytes(StandardCharsets.ISO_8859_1);
        MemorySegment m = Arena.ofAuto().allocate(b.length + 16);
        MemorySegment.copy(b, 0, m, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, b.length);
        return TraceParent.find(m, b.length);
    }
}
