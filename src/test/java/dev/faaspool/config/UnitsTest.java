package dev.faaspool.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class UnitsTest {
    private static final String DURATION_FORM = "use a number with ms, s, m or h, for example 250ms or 5s";
    private static final String SIZE_FORM = "use a number of bytes with k, m or g, for example 64m";

    @Test
    void parseDurationReadsEachUnit() {
        assertEquals(Duration.ofMillis(250), Units.parseDuration("250ms"));
        assertEquals(Duration.ofSeconds(5), Units.parseDuration("5s"));
        assertEquals(Duration.ofMinutes(2), Units.parseDuration("2m"));
        assertEquals(Duration.ofHours(1), Units.parseDuration("1h"));
        assertEquals(Duration.ZERO, Units.parseDuration("0s"));
    }

    @Test
    void parseDurationIgnoresSurroundingWhitespaceSpaceBeforeTheUnitAndCase() {
        assertEquals(Duration.ofSeconds(5), Units.parseDuration("  5s\t"));
        assertEquals(Duration.ofMillis(250), Units.parseDuration("250 ms"));
        assertEquals(Duration.ofMillis(250), Units.parseDuration("250MS"));
        assertEquals(Duration.ofHours(3), Units.parseDuration("3H"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"5", "5x", "-1s", "", "s", "1.5s", "5 s s", "5sec"})
    void parseDurationRejectsTextOutsideTheAcceptedFormNamingIt(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Units.parseDuration(text));
        assertEquals("'" + text + "' is not a duration; " + DURATION_FORM, e.getMessage());
    }

    @Test
    void parseBytesReadsPlainNumbersAndBinaryUnits() {
        assertEquals(65536L, Units.parseBytes("65536"));
        assertEquals(512L * 1024, Units.parseBytes("512k"));
        assertEquals(64L * 1024 * 1024, Units.parseBytes("64m"));
        assertEquals(1L << 30, Units.parseBytes("1g"));
        assertEquals(0L, Units.parseBytes("0"));
    }

    @Test
    void parseBytesAcceptsATrailingBWhitespaceAndUpperCase() {
        assertEquals(64L << 20, Units.parseBytes("64mb"));
        assertEquals(64L << 20, Units.parseBytes("64MB"));
        assertEquals(64L << 20, Units.parseBytes(" 64 M "));
        assertEquals(100L, Units.parseBytes("100b"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"12q", "", "m", "-1m", "1.5g", "64mib", "1t"})
    void parseBytesRejectsTextOutsideTheAcceptedFormNamingIt(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Units.parseBytes(text));
        assertEquals("'" + text + "' is not a size; " + SIZE_FORM, e.getMessage());
    }

    @Test
    void parseBytesRejectsASizeThatOverflowsALong() {
        // 2^33 g = 2^63 bytes, one more than Long.MAX_VALUE.
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Units.parseBytes("8589934592g"));
        assertEquals("'8589934592g' is too large", e.getMessage());
        // The largest value that still fits is accepted.
        assertEquals(8589934591L << 30, Units.parseBytes("8589934591g"));
    }

    @Test
    void parseBytesRejectsANumberWithTooManyDigitsForALong() {
        IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class,
                () -> Units.parseBytes("99999999999999999999"));
        assertEquals("'99999999999999999999' is too large", tooMany.getMessage());
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                () -> Units.parseDuration("99999999999999999999s"));
        assertEquals("'99999999999999999999s' is too long a duration", tooLong.getMessage());
    }

    @Test
    void formatUsesTheLargestWholeUnit() {
        assertEquals("1h", Units.format(Duration.ofHours(1)));
        assertEquals("2h", Units.format(Duration.ofMinutes(120)));
        assertEquals("2m", Units.format(Duration.ofMinutes(2)));
        assertEquals("90s", Units.format(Duration.ofSeconds(90)));
        assertEquals("5s", Units.format(Duration.ofSeconds(5)));
        assertEquals("250ms", Units.format(Duration.ofMillis(250)));
        assertEquals("1500ms", Units.format(Duration.ofMillis(1500)));
        assertEquals("0s", Units.format(Duration.ZERO));
    }

    @ParameterizedTest
    @ValueSource(strings = {"250ms", "5s", "90s", "2m", "1h", "1500ms", "25h"})
    void formatRoundTripsThroughParseDuration(String text) {
        assertEquals(text, Units.format(Units.parseDuration(text)));
    }
}
