package dev.faaspool.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class UnitsTest {
    private static final String DURATION_FORM = "use a number with ms, s, m, h or d, for example 250ms or 5s";
    private static final String SIZE_FORM = "use a number of bytes with k, m, g, t or p (binary: 64m is 64Mi), for example 64m or 64Mi";

    @Test
    void parseDurationReadsEachUnit() {
        assertEquals(Duration.ofMillis(250), Units.parseDuration("250ms"));
        assertEquals(Duration.ofSeconds(5), Units.parseDuration("5s"));
        assertEquals(Duration.ofMinutes(2), Units.parseDuration("2m"));
        assertEquals(Duration.ofHours(1), Units.parseDuration("1h"));
        assertEquals(Duration.ofDays(2), Units.parseDuration("2d"));
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
        assertEquals(1L << 40, Units.parseBytes("1t"));
        assertEquals(1L << 50, Units.parseBytes("1p"));
        assertEquals(0L, Units.parseBytes("0"));
    }

    @Test
    void parseBytesAcceptsATrailingBWhitespaceAndUpperCase() {
        assertEquals(64L << 20, Units.parseBytes("64mb"));
        assertEquals(64L << 20, Units.parseBytes("64MB"));
        assertEquals(64L << 20, Units.parseBytes(" 64 M "));
        assertEquals(100L, Units.parseBytes("100b"));
    }

    @Test
    void parseBytesReadsKubernetesBinarySuffixesAsTheSameBinaryUnits() {
        assertEquals(512L << 10, Units.parseBytes("512Ki"));
        assertEquals(64L << 20, Units.parseBytes("64Mi"));
        assertEquals(1L << 30, Units.parseBytes("1Gi"));
        assertEquals(1L << 40, Units.parseBytes("1Ti"));
        assertEquals(1L << 50, Units.parseBytes("1Pi"));
        assertEquals(64L << 20, Units.parseBytes(" 64 mi "));
        // The existing spellings keep their meaning: M is binary here, not Kubernetes' decimal 10^6.
        assertEquals(Units.parseBytes("64Mi"), Units.parseBytes("64M"));
        assertEquals(Units.parseBytes("64Mi"), Units.parseBytes("64m"));
        assertEquals(8589934591L << 30, Units.parseBytes("8589934591Gi"));
        assertThrows(IllegalArgumentException.class, () -> Units.parseBytes("8589934592Gi"));
        assertEquals(64L << 20, Units.parseBytes("64Mi", 64L << 20));
        assertEquals("must be <= 64m (was 65Mi)",
                assertThrows(IllegalArgumentException.class, () -> Units.parseBytes("65Mi", 64L << 20)).getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"12q", "", "m", "-1m", "1.5g", "64mib", "1e", "1tb b", "64i", "64ib", "64Mii", "64Mbi",
            "64 Mi b", "1Ei", "Mi", "64Mi\u0131"})
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
        assertEquals("'99999999999999999999s' is too long a duration (at most about 292 years)", tooLong.getMessage());
    }

    @Test
    void parseDurationRejectsWhatANanosecondClockCannotHold() {
        // 106751d is the last whole day within Long.MAX_VALUE nanoseconds (about 292 years); the next overflows.
        assertEquals(Duration.ofDays(106_751), Units.parseDuration("106751d"));
        assertEquals(Duration.ofDays(106_751).toNanos(), Units.parseDuration("106751d").toNanos());
        for (String text : new String[] {"106752d", "2562048h", "153722868m", "9223372037s", "9223372036855ms",
                "99999999999h", "9223372036854775807h"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Units.parseDuration(text));
            assertEquals("'" + text + "' is too long a duration (at most about 292 years)", e.getMessage());
        }
        assertEquals(Units.MAX_DURATION.toNanos(), Long.MAX_VALUE);
    }

    @Test
    void aBoundedParseStatesTheBoundForAnyValueBeyondItHoweverLarge() {
        assertEquals(Duration.ofMinutes(10), Units.parseDuration("10m", Duration.ofMinutes(10)));
        assertEquals(Duration.ofMillis(600_000), Units.parseDuration("600000ms", Duration.ofMinutes(10)));
        for (String text : new String[] {"600001ms", "11m", "1h", "99999999999h", "99999999999999999999999d"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Units.parseDuration(" " + text + " ", Duration.ofMinutes(10)));
            assertEquals("must be <= 10m (was " + text + ")", e.getMessage());
        }
        IllegalArgumentException form = assertThrows(IllegalArgumentException.class,
                () -> Units.parseDuration("10 minutes", Duration.ofMinutes(10)));
        assertEquals("'10 minutes' is not a duration; " + DURATION_FORM, form.getMessage());

        assertEquals(1L << 40, Units.parseBytes("1024g", 1L << 40));
        for (String text : new String[] {"1099511627777", "1025g", "8589934591g", "99999999999999999999", "8p"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Units.parseBytes(text, 1L << 40));
            assertEquals("must be <= 1t (was " + text + ")", e.getMessage());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"\u0665s", "\uff15s", "5\u212a", "\u00b2m", "5\u0131", "\u0661\u0660", "5m\u0131", "5M\u0130"})
    void onlyAsciiDigitsAndUnitsAreAcceptedNotTheirLookAlikes(String text) {
        // An Arabic-Indic or fullwidth digit, the Kelvin sign (which lower-cases to k), a dotless i.
        assertThrows(IllegalArgumentException.class, () -> Units.parseDuration(text));
        assertThrows(IllegalArgumentException.class, () -> Units.parseBytes(text));
    }

    @Test
    void formatBytesUsesTheLargestWholeBinaryUnit() {
        assertEquals("4m", Units.formatBytes(4L << 20));
        assertEquals("1t", Units.formatBytes(1L << 40));
        assertEquals("64g", Units.formatBytes(64L << 30));
        assertEquals("1p", Units.formatBytes(1L << 50));
        assertEquals("1536k", Units.formatBytes(1536L << 10));
        assertEquals("100", Units.formatBytes(100));
        assertEquals("0", Units.formatBytes(0));
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
        assertEquals("24h", Units.format(Duration.ofDays(1)));
        assertEquals("30d", Units.format(Duration.ofDays(30)));
        assertEquals("36h", Units.format(Duration.ofHours(36)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"250ms", "5s", "90s", "2m", "1h", "1500ms", "25h", "24h", "2d", "30d"})
    void formatRoundTripsThroughParseDuration(String text) {
        assertEquals(text, Units.format(Units.parseDuration(text)));
    }
}
