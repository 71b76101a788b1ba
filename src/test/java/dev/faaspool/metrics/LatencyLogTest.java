package dev.faaspool.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LatencyLogTest {
    private static final long MS = 1_000_000;
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2025-03-04T05:06:07Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    private final FunctionLatency a = new FunctionLatency("a");
    private final FunctionLatency b = new FunctionLatency("b");
    private LatencyLog log;

    @BeforeEach
    void openLogAndRecord() throws IOException {
        // A long interval: only finish() writes an interval.
        log = LatencyLog.open(dir.resolve("reports"), "run", List.of(a, b), Duration.ofHours(1), CLOCK);
        for (int i = 0; i < 1000; i++) {
            a.record(LatencyKind.WARM, 1 * MS);
        }
        for (int i = 0; i < 10; i++) {
            a.record(LatencyKind.COLD, 300 * MS);
        }
    }

    @Test
    void theFilesAreNamedAfterThePrefixAndTheUtcStartTime() throws IOException {
        log.finish();
        assertEquals(dir.resolve("reports/run-20250304-050607.hlog"), log.logFile());
        assertEquals(dir.resolve("reports/run-20250304-050607.summary.txt"), log.summaryFile());
        assertTrue(Files.isRegularFile(log.logFile()));
        assertTrue(Files.isRegularFile(log.summaryFile()));
    }

    @Test
    void theLogHoldsOneTaggedIntervalPerKindWithValuesInMicroseconds() throws IOException {
        log.finish();

        Map<String, Histogram> intervals = readLog(log.logFile());

        assertEquals(List.of("a.warm", "a.cold"), List.copyOf(intervals.keySet()), "empty intervals are not written");
        Histogram warm = intervals.get("a.warm");
        assertEquals(1000, warm.getTotalCount());
        assertEquals(1000, warm.getValueAtPercentile(50));
        assertEquals(1000, warm.getMaxValue());
        Histogram cold = intervals.get("a.cold");
        assertEquals(10, cold.getTotalCount());
        assertTrue(cold.valuesAreEquivalent(300_000, cold.getValueAtPercentile(50)),
                "p50 of a.cold: " + cold.getValueAtPercentile(50));
    }

    @Test
    void theLogStartsWithItsHeader() throws IOException {
        log.finish();
        List<String> lines = Files.readAllLines(log.logFile(), StandardCharsets.US_ASCII);
        assertEquals("#faas-pool latency log: tags <function>.<kind>, values in microseconds", lines.get(0));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("#[StartTime: 1741064767.000 ")),
                String.join("\n", lines));
    }

    @Test
    void theSummaryIsWrittenToItsFileAndHasARowPerFunctionAndKind() throws IOException {
        String summary = log.finish();

        assertEquals(summary, Files.readString(log.summaryFile(), StandardCharsets.UTF_8));
        List<String> lines = summary.lines().toList();
        assertEquals(List.of("function", "kind", "count", "p50", "ms", "p90", "ms", "p99", "ms", "p99.9", "ms", "max",
                "ms"), List.of(lines.get(0).trim().split("\\s+")));
        assertEquals(1 + 2 * LatencyKind.values().length, lines.size(), summary);

        Map<String, String[]> rows = new LinkedHashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.trim().split("\\s+");
            assertEquals(8, f.length, line);
            rows.put(f[0] + "." + f[1], f);
        }
        assertEquals(List.of("a.warm", "a.cold", "a.start", "a.service", "a.queue", "b.warm", "b.cold", "b.start", "b.service",
                "b.queue"),
                List.copyOf(rows.keySet()));

        assertEquals("1000", rows.get("a.warm")[2]);
        assertEquals("1.000", rows.get("a.warm")[3]);
        assertEquals("1.000", rows.get("a.warm")[7]);

        assertEquals("10", rows.get("a.cold")[2]);
        double coldP50 = Double.parseDouble(rows.get("a.cold")[3]);
        assertTrue(coldP50 >= 300.0 && coldP50 < 300.0 * 1.001, "p50 of a.cold in ms: " + coldP50);

        for (String empty : List.of("a.start", "b.warm", "b.cold", "b.start")) {
            assertEquals(List.of("0", "0.000", "0.000", "0.000", "0.000", "0.000"),
                    List.of(rows.get(empty)).subList(2, 8), empty);
        }
    }

    @Test
    void finishTwiceReturnsTheSameSummary() throws IOException {
        String first = log.finish();
        a.record(LatencyKind.WARM, 5 * MS); // after finish: no longer reported
        assertSame(first, log.finish());
        log.close();
        assertEquals(first, Files.readString(log.summaryFile(), StandardCharsets.UTF_8));
    }

    @Test
    void totalsIncludeOnlyWrittenIntervals() throws IOException {
        assertEquals(0, log.totals().get("a").get(LatencyKind.WARM).getTotalCount(), "nothing flushed yet");
        log.finish();
        Map<String, Map<LatencyKind, Histogram>> totals = log.totals();
        assertEquals(1000, totals.get("a").get(LatencyKind.WARM).getTotalCount());
        assertEquals(10, totals.get("a").get(LatencyKind.COLD).getTotalCount());
        assertEquals(0, totals.get("b").get(LatencyKind.WARM).getTotalCount());
    }

    @Test
    void openRejectsAnIntervalBelowOneMillisecond() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LatencyLog.open(dir, "x", List.of(a), Duration.ofNanos(999_999), CLOCK));
        assertEquals("interval must be >= 1ms (was PT0.000999999S)", e.getMessage());
    }

    @Test
    void aValueBelowOneMicrosecondIsRecordedAsOne() throws IOException {
        FunctionLatency fast = new FunctionLatency("fast");
        try (LatencyLog l = LatencyLog.open(dir, "fast", List.of(fast), Duration.ofHours(1), CLOCK)) {
            fast.record(LatencyKind.START, 10);
            l.finish();
            Histogram h = readLog(l.logFile()).get("fast.start");
            assertEquals(1, h.getTotalCount());
            assertEquals(1, h.getMaxValue());
        }
    }

    private static Map<String, Histogram> readLog(Path file) throws FileNotFoundException {
        Map<String, Histogram> byTag = new LinkedHashMap<>();
        HistogramLogReader reader = new HistogramLogReader(file.toFile());
        try {
            EncodableHistogram h;
            while ((h = reader.nextIntervalHistogram()) != null) {
                Histogram previous = byTag.put(h.getTag(), (Histogram) h);
                assertEquals(null, previous, "one interval per tag: " + h.getTag());
            }
        } finally {
            reader.close();
        }
        return byTag;
    }
}
