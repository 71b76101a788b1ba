package dev.faaspool.report;

import java.util.List;
import java.util.Map;

/** The weights HAProxy applied to each server over time, drawn as the HTML report draws its charts. */
public final class WeightsChart {
    private WeightsChart() {}

    /**
     * An HTML page with one chart.
     *
     * @param series per server, points of (seconds since the start, weight 0..100); a server down counts 0
     * @param seconds the length of the run (the x axis)
     */
    public static String html(String title, Map<String, List<double[]>> series, double seconds) {
        SvgChart chart = new SvgChart("weights", title, "seconds", "weight HAProxy applied (agent %)",
                SvgChart.linear(0, Math.max(1, seconds), 8, v -> String.format(java.util.Locale.ROOT, "%.0f", v)),
                SvgChart.linear(0, 100, 5, v -> String.format(java.util.Locale.ROOT, "%.0f", v)));
        series.forEach(chart::add);
        return """
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><title>%s</title>
                <style>
                body { font: 14px sans-serif; margin: 2em; color: #222; }
                svg { display: block; margin: 1em 0; }
                .plot { fill: #fafafa; stroke: #999; } .grid { stroke: #e4e4e4; }
                .tick, .legend { font-size: 11px; } .axis { font-size: 12px; } .title { font-weight: bold; }
                </style></head><body>
                %s</body></html>
                """.formatted(SvgChart.esc(title), chart.render());
    }
}
