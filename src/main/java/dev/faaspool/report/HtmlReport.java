package dev.faaspool.report;

import dev.faaspool.metrics.LatencyKind;
import dev.faaspool.metrics.Occupancy;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * A run's report as one self-contained HTML page, readable offline: per function, latency by
 * percentile (cold beside warm, log scales) and the percentile table; for all functions, throughput
 * and container occupancy over time. Charts are inline SVG; the page's only script reports which
 * series rendered (into {@code #render-check}) for tests and curious readers.
 */
public final class HtmlReport {
    private static final List<LatencyKind> LATENCIES =
            List.of(LatencyKind.WARM, LatencyKind.COLD, LatencyKind.QUEUE, LatencyKind.SERVICE, LatencyKind.START);
    /** Percentile axis: x = log10(1 / (1 - p)), so 90%, 99%, 99.9% are evenly spaced. */
    private static final List<SvgChart.Tick> PERCENTILE_TICKS = List.of(new SvgChart.Tick(0, "0%"),
            new SvgChart.Tick(1, "90%"), new SvgChart.Tick(2, "99%"), new SvgChart.Tick(3, "99.9%"),
            new SvgChart.Tick(4, "99.99%"), new SvgChart.Tick(5, "99.999%"));

    private HtmlReport() {}

    public static String render(RunLog log) {
        StringBuilder body = new StringBuilder();
        body.append("<h1>faas-pool latency report</h1>\n<p>")
                .append(SvgChart.esc(log.file().getFileName().toString())).append(": ")
                .append(Instant.ofEpochMilli(log.startMs())).append(String.format(Locale.ROOT, ", %.1f s",
                        (log.endMs() - log.startMs()) / 1000.0))
                .append(", functions ").append(SvgChart.esc(String.join(", ", log.functions()))).append("</p>\n");
        for (String fn : log.functions()) {
            body.append("<h2>").append(SvgChart.esc(fn)).append("</h2>\n");
            SvgChart c = percentileChart(log, fn);
            if (!c.isEmpty()) {
                body.append(c.render());
            }
            body.append("<pre>").append(SvgChart.esc(TextReport.table(log, fn))).append("</pre>\n");
        }
        body.append("<h2>Over time</h2>\n");
        SvgChart throughput = throughputChart(log);
        if (!throughput.isEmpty()) {
            body.append(throughput.render());
        }
        SvgChart occupancy = occupancyChart(log);
        if (!occupancy.isEmpty()) {
            body.append(occupancy.render());
        }
        return """
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><title>faas-pool latency report</title>
                <style>
                body { font: 14px sans-serif; margin: 2em; color: #222; }
                svg { display: block; margin: 1em 0; }
                .plot { fill: #fafafa; stroke: #999; } .grid { stroke: #e4e4e4; }
                .tick, .legend { font-size: 11px; } .axis { font-size: 12px; } .title { font-weight: bold; }
                pre { background: #f4f4f4; padding: .6em; }
                </style></head><body>
                %s<pre id="render-check"></pre>
                <script>
                window.addEventListener('load', function () {
                  var lines = [];
                  document.querySelectorAll('svg[data-chart]').forEach(function (svg) {
                    var drawn = [];
                    svg.querySelectorAll('[data-series]').forEach(function (p) {
                      var b = p.getBBox();
                      if (b.width > 0 || b.height > 0) { drawn.push(p.getAttribute('data-series')); }
                    });
                    lines.push(svg.getAttribute('data-chart') + ': ' + drawn.join(', '));
                  });
                  document.getElementById('render-check').textContent = lines.join('\\n');
                });
                </script>
                </body></html>
                """.formatted(body);
    }

    private static SvgChart percentileChart(RunLog log, String fn) {
        double min = Double.MAX_VALUE;
        double max = 0;
        List<LatencyKind> kinds = new ArrayList<>();
        List<List<double[]>> lines = new ArrayList<>();
        for (LatencyKind k : LATENCIES) {
            Histogram h = log.total(fn, k);
            if (h.getTotalCount() == 0) {
                continue;
            }
            List<double[]> pts = new ArrayList<>();
            for (HistogramIterationValue v : h.percentiles(5)) {
                double p = Math.min(v.getPercentileLevelIteratedTo(), 99.999);
                double ms = Math.max(v.getValueIteratedTo(), 1) / 1000.0;
                pts.add(new double[] {Math.log10(100 / (100 - p)), ms});
                min = Math.min(min, ms);
                max = Math.max(max, ms);
            }
            kinds.add(k);
            lines.add(pts);
        }
        SvgChart c = new SvgChart(fn + "-latency", fn + ": latency by percentile", "percentile", "milliseconds",
                SvgChart.fixed(0, 5, PERCENTILE_TICKS), SvgChart.log10(min == Double.MAX_VALUE ? 0.01 : min,
                        Math.max(max, 0.1), HtmlReport::ms));
        for (int i = 0; i < kinds.size(); i++) {
            c.add(kinds.get(i).tag(), lines.get(i));
        }
        return c;
    }

    private static SvgChart throughputChart(RunLog log) {
        Map<String, List<RunLog.Interval>> series = new LinkedHashMap<>();
        for (String fn : log.functions()) {
            for (LatencyKind k : List.of(LatencyKind.WARM, LatencyKind.COLD)) {
                series.put(fn + " " + k.tag(), log.intervals(fn, k));
            }
        }
        return overTime(log, "throughput", "Throughput (requests per second, by interval)", "requests/s", series,
                i -> i.histogram().getTotalCount() / i.seconds());
    }

    private static SvgChart occupancyChart(RunLog log) {
        Map<String, List<RunLog.Interval>> series = new LinkedHashMap<>();
        for (String fn : log.functions()) {
            for (Occupancy o : Occupancy.values()) {
                series.put(fn + " " + o.tag().substring("slots.".length()), log.intervals(fn, o));
            }
        }
        return overTime(log, "occupancy", "Pool occupancy (mean containers, by interval)", "containers", series,
                i -> i.histogram().getMean());
    }

    /** A chart of one value per interval, over the run's seconds, a line per series. */
    private static SvgChart overTime(RunLog log, String id, String title, String yLabel,
            Map<String, List<RunLog.Interval>> series, ToDoubleFunction<RunLog.Interval> value) {
        double duration = Math.max(1, (log.endMs() - log.startMs()) / 1000.0);
        Map<String, List<double[]>> lines = new LinkedHashMap<>();
        double max = 1;
        for (Map.Entry<String, List<RunLog.Interval>> e : series.entrySet()) {
            List<double[]> pts = new ArrayList<>();
            for (RunLog.Interval i : e.getValue()) {
                double v = value.applyAsDouble(i);
                pts.add(new double[] {(i.endMs() - log.startMs()) / 1000.0, v});
                max = Math.max(max, v);
            }
            lines.put(e.getKey(), pts);
        }
        SvgChart c = new SvgChart(id, title, "seconds", yLabel, SvgChart.linear(0, duration, 8, HtmlReport::num),
                SvgChart.linear(0, max * 1.1, 5, HtmlReport::num));
        lines.forEach(c::add);
        return c;
    }

    private static String ms(double v) {
        return v >= 1 ? num(v) : String.format(Locale.ROOT, "%s", v).replaceAll("0+$", "");
    }

    private static String num(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.1f", v);
    }
}
