package dev.faaspool.metrics;

import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * The run's latency summary, one row per function and kind, in milliseconds:
 * <pre>
 * function  kind      count    p50 ms    p90 ms    p99 ms  p99.9 ms    max ms
 * hello     warm        187     0.412     0.655     1.901     2.310     2.310
 * </pre>
 */
public final class LatencySummary {
    private static final double[] PERCENTILES = {50, 90, 99, 99.9};

    private LatencySummary() {}

    public static String format(Map<String, Map<LatencyKind, Histogram>> totals) {
        int width = Math.max(8, totals.keySet().stream().mapToInt(String::length).max().orElse(8));
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-" + width + "s  %-7s %7s %9s %9s %9s %9s %9s%n",
                "function", "kind", "count", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms"));
        totals.forEach((fn, byKind) -> byKind.forEach((kind, h) -> {
            sb.append(String.format(Locale.ROOT, "%-" + width + "s  %-7s %7d", fn, kind.tag(), h.getTotalCount()));
            for (double p : PERCENTILES) {
                sb.append(String.format(Locale.ROOT, " %9.3f", ms(h, h.getValueAtPercentile(p))));
            }
            sb.append(String.format(Locale.ROOT, " %9.3f%n", ms(h, h.getMaxValue())));
        }));
        return sb.toString();
    }

    private static double ms(Histogram h, long micros) {
        return h.getTotalCount() == 0 ? 0 : micros / 1000.0;
    }
}
