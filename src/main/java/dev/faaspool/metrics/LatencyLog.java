package dev.faaspool.metrics;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;

/**
 * Writes every function's latencies as interval histograms to one HdrHistogram log per run, tagged
 * {@code <function>.<kind>} (for example {@code hello.warm}), values in microseconds, with the
 * sampled container counts beside them ({@code hello.slots.warm}, values are counts); and, on close,
 * a percentile summary of the run's latencies next to it ({@code .summary.txt}).
 *
 * <p>Read the log with HdrHistogram's {@code HistogramLogReader} or {@code HistogramLogProcessor}
 * ({@code -tag hello.warm}). Only intervals with values are written.
 */
public final class LatencyLog implements AutoCloseable {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    private final List<FunctionLatency> functions = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Clock clock;
    private final Path logFile;
    private final Path summaryFile;
    private final HistogramLogWriter writer;
    private final Map<String, Map<LatencyKind, Histogram>> totals = new LinkedHashMap<>();
    private final Map<String, Map<LatencyKind, Histogram>> recycled = new LinkedHashMap<>();
    private final ScheduledExecutorService timer;
    private String summary;

    private LatencyLog(List<FunctionLatency> functions, Clock clock, Path logFile, HistogramLogWriter writer,
            Duration interval) {

        this.clock = clock;
        this.logFile = logFile;
        String name = logFile.getFileName().toString();
        this.summaryFile = logFile.resolveSibling(name.substring(0, name.length() - ".hlog".length()) + ".summary.txt");
        this.writer = writer;
        functions.forEach(this::add);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "latency-log");
            t.setDaemon(true);
            return t;
        });
        long ms = interval.toMillis();
        timer.scheduleAtFixedRate(this::flushInterval, ms, ms, TimeUnit.MILLISECONDS);
    }

    /**
     * Opens {@code <dir>/<prefix>-<UTC time>.hlog} and starts writing an interval every {@code interval}.
     */
    public static LatencyLog open(Path dir, String prefix, List<FunctionLatency> functions, Duration interval,
            Clock clock) throws IOException {
        if (interval.toMillis() < 1) {
            throw new IllegalArgumentException("interval must be >= 1ms (was " + interval + ")");
        }
        Files.createDirectories(dir);
        long now = clock.millis();
        Path file = dir.resolve(prefix + "-" + STAMP.format(clock.instant()) + ".hlog");
        HistogramLogWriter w = new HistogramLogWriter(
                new PrintStream(Files.newOutputStream(file), false, StandardCharsets.US_ASCII));
        w.outputComment("faas-pool latency log: tags <function>.<kind>, values in microseconds");
        w.outputLogFormatVersion();
        w.outputStartTime(now);
        w.setBaseTime(now);
        w.outputLegend();
        return new LatencyLog(functions, clock, file, w, interval);
    }

    /** Logs a function added to the pool while it runs; a function already logged keeps its totals. */
    public synchronized void add(FunctionLatency f) {
        functions.removeIf(existing -> existing.function().equals(f.function()));
        functions.add(f);
        totals.computeIfAbsent(f.function(), fn -> {
            Map<LatencyKind, Histogram> byKind = new EnumMap<>(LatencyKind.class);
            for (LatencyKind k : LatencyKind.values()) {
                byKind.put(k, new Histogram(3));
            }
            return byKind;
        });
        recycled.put(f.function(), new EnumMap<>(LatencyKind.class));
    }

    public Path logFile() {
        return logFile;
    }

    public Path summaryFile() {
        return summaryFile;
    }

    private synchronized void flushInterval() {
        if (summary != null) {
            return; // finished: the writer is closed
        }
        for (FunctionLatency f : functions) {
            for (LatencyKind k : LatencyKind.values()) {
                Histogram h = f.recorder(k).getIntervalHistogram(recycled.get(f.function()).get(k));
                recycled.get(f.function()).put(k, h);
                if (h.getTotalCount() > 0) {
                    write(h, f.function() + "." + k.tag());
                    totals.get(f.function()).get(k).add(h);
                }
            }
            for (Occupancy o : Occupancy.values()) {
                Histogram h = f.recorder(o).getIntervalHistogram();
                if (h.getTotalCount() > 0) {
                    write(h, f.function() + "." + o.tag());
                }
            }
        }
    }

    private void write(Histogram h, String tag) {
        h.setTag(tag);
        writer.outputIntervalHistogram(h);
    }

    /** A copy of the run's totals so far, per function and kind (the current interval excluded). */
    public synchronized Map<String, Map<LatencyKind, Histogram>> totals() {
        Map<String, Map<LatencyKind, Histogram>> copy = new LinkedHashMap<>();
        totals.forEach((fn, byKind) -> {
            Map<LatencyKind, Histogram> m = new EnumMap<>(LatencyKind.class);
            byKind.forEach((k, h) -> m.put(k, h.copy()));
            copy.put(fn, m);
        });
        return copy;
    }

    /**
     * Writes the last interval, closes the log and writes the summary file. Later calls return the
     * same summary.
     *
     * @return the summary, as written to {@link #summaryFile()}
     */
    public synchronized String finish() throws IOException {
        if (summary == null) {
            timer.shutdownNow();
            flushInterval();
            writer.close();
            summary = LatencySummary.format(totals);
            Files.writeString(summaryFile, summary, StandardCharsets.UTF_8);
        }
        return summary;
    }

    @Override
    public void close() throws IOException {
        finish();
    }
}
