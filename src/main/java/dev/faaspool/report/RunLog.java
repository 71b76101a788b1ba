package dev.faaspool.report;

import dev.faaspool.metrics.LatencyKind;
import dev.faaspool.metrics.Occupancy;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;

/**
 * A faas-pool latency log read back: the interval histograms of each tag
 * ({@code <function>.<kind>} or {@code <function>.slots.<state>}), in time order.
 */
public final class RunLog {
    /** One interval of one tag; times in milliseconds since the epoch. */
    public record Interval(long startMs, long endMs, Histogram histogram) {
        public double seconds() {
            return Math.max(1, endMs - startMs) / 1000.0;
        }
    }

    private final Path file;
    private final Map<String, List<Interval>> byTag;
    private final long startMs;
    private final long endMs;

    private RunLog(Path file, Map<String, List<Interval>> byTag, long startMs, long endMs) {
        this.file = file;
        this.byTag = byTag;
        this.startMs = startMs;
        this.endMs = endMs;
    }

    /** Reads a log written by {@code LatencyLog}. */
    public static RunLog read(Path file) throws IOException {
        Map<String, List<Interval>> byTag = new LinkedHashMap<>();
        long start = Long.MAX_VALUE;
        long end = Long.MIN_VALUE;
        HistogramLogReader reader;
        try {
            reader = new HistogramLogReader(file.toFile());
        } catch (FileNotFoundException e) {
            throw new IOException("no such latency log: " + file, e);
        }
        try {
            EncodableHistogram e;
            while ((e = reader.nextIntervalHistogram()) != null) {
                if (!(e instanceof Histogram h) || h.getTag() == null) {
                    continue;
                }
                byTag.computeIfAbsent(h.getTag(), t -> new ArrayList<>())
                        .add(new Interval(h.getStartTimeStamp(), h.getEndTimeStamp(), h));
                start = Math.min(start, h.getStartTimeStamp());
                end = Math.max(end, h.getEndTimeStamp());
            }
        } catch (RuntimeException e) {
            throw new IOException(file + " is not a faas-pool latency log: " + e.getMessage(), e);
        } finally {
            reader.close();
        }
        if (byTag.isEmpty()) {
            throw new IOException(file + " holds no tagged interval: is it a faas-pool latency log with requests in it?");
        }
        return new RunLog(file, byTag, start, end);
    }

    public Path file() {
        return file;
    }

    public long startMs() {
        return startMs;
    }

    public long endMs() {
        return endMs;
    }

    /** The functions the log has values for, in the order they first appear. */
    public Set<String> functions() {
        Set<String> out = new LinkedHashSet<>();
        for (String tag : byTag.keySet()) {
            out.add(tag.substring(0, tag.indexOf('.')));
        }
        return out;
    }

    public List<Interval> intervals(String function, LatencyKind kind) {
        return byTag.getOrDefault(function + "." + kind.tag(), List.of());
    }

    public List<Interval> intervals(String function, Occupancy state) {
        return byTag.getOrDefault(function + "." + state.tag(), List.of());
    }

    /** All values of one function and kind over the run. */
    public Histogram total(String function, LatencyKind kind) {
        Histogram total = new Histogram(3);
        for (Interval i : intervals(function, kind)) {
            total.add(i.histogram());
        }
        return total;
    }
}
