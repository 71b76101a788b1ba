package dev.faaspool.report;

import dev.faaspool.metrics.LatencyKind;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * Percentile tables of a run, one per function: each latency kind a column (cold beside warm), each
 * row a percentile of HdrHistogram's distribution, in milliseconds.
 */
public final class TextReport {
    static final double[] PERCENTILES = {50, 75, 90, 95, 99, 99.9, 99.99, 100};
    private static final List<LatencyKind> COLUMNS =
            List.of(LatencyKind.WARM, LatencyKind.COLD, LatencyKind.QUEUE, LatencyKind.SERVICE, LatencyKind.START);

    private TextReport() {}

    /** The whole report: a line about the log, then a table per function. */
    public static String format(RunLog log) {
        StringBuilder sb = new StringBuilder();
        sb.append("latency log ").append(log.file()).append(String.format(Locale.ROOT, ", %.1f s%n",
                (log.endMs() - log.startMs()) / 1000.0));
        for (String fn : log.functions()) {
            sb.append(System.lineSeparator()).append(table(log, fn));
        }
        return sb.toString();
    }

    /** One function's table. */
    public static String table(RunLog log, String fn) {
        Map<LatencyKind, Histogram> totals = new EnumMap<>(LatencyKind.class);
        for (LatencyKind k : COLUMNS) {
            totals.put(k, log.total(fn, k));
        }
        StringBuilder sb = new StringBuilder();
        sb.append(fn).append(" (milliseconds)").append(System.lineSeparator());
        sb.append(String.format(Locale.ROOT, "%10s", "percentile"));
        for (LatencyKind k : COLUMNS) {
            sb.append(String.format(Locale.ROOT, " %10s", k.tag()));
        }
        sb.append(System.lineSeparator());
        for (double p : PERCENTILES) {
            sb.append(String.format(Locale.ROOT, "%10s", p == 100 ? "max" : trim(p)));
            for (LatencyKind k : COLUMNS) {
                Histogram h = totals.get(k);
                sb.append(h.getTotalCount() == 0 ? String.format(Locale.ROOT, " %10s", "-")
                        : String.format(Locale.ROOT, " %10.3f", h.getValueAtPercentile(p) / 1000.0));
            }
            sb.append(System.lineSeparator());
        }
        sb.append(String.format(Locale.ROOT, "%10s", "count"));
        for (LatencyKind k : COLUMNS) {
            sb.append(String.format(Locale.ROOT, " %10d", totals.get(k).getTotalCount()));
        }
        return sb.append(System.lineSeparator()).toString();
    }

    static String trim(double p) {
        return (p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p)) + "%";
    }
}
