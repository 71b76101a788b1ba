package dev.faaspool.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleFunction;

/**
 * A line chart as inline SVG: no script, no external resource, readable offline. Each series is a
 * {@code <path data-series="name">}; the chart is an {@code <svg data-chart="id">}.
 */
final class SvgChart {
    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
            "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
    private static final int W = 760;
    private static final int H = 360;
    private static final int LEFT = 70;
    private static final int RIGHT = 170;
    private static final int TOP = 30;
    private static final int BOTTOM = 50;

    record Tick(double value, String label) {}

    /** Maps data values to [0, 1] along an axis, and names its ticks. */
    interface Axis {
        double fraction(double v);

        List<Tick> ticks();
    }

    record Series(String name, List<double[]> points) {}

    private final String id;
    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final Axis x;
    private final Axis y;
    private final List<Series> series = new ArrayList<>();

    SvgChart(String id, String title, String xLabel, String yLabel, Axis x, Axis y) {
        this.id = id;
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
        this.x = x;
        this.y = y;
    }

    SvgChart add(String name, List<double[]> points) {
        if (!points.isEmpty()) {
            series.add(new Series(name, points));
        }
        return this;
    }

    boolean isEmpty() {
        return series.isEmpty();
    }

    /** A linear axis over [min, max] with about {@code n} round ticks. */
    static Axis linear(double min, double max, int n, DoubleFunction<String> label) {
        double hi = max > min ? max : min + 1;
        double step = niceStep((hi - min) / n);
        List<Tick> ticks = new ArrayList<>();
        for (double v = Math.ceil(min / step) * step; v <= hi + step * 1e-9; v += step) {
            ticks.add(new Tick(v, label.apply(v)));
        }
        return new Axis() {
            public double fraction(double v) {
                return (v - min) / (hi - min);
            }

            public List<Tick> ticks() {
                return ticks;
            }
        };
    }

    /** A base-10 logarithmic axis covering [min, max] (both > 0) in whole decades. */
    static Axis log10(double min, double max, DoubleFunction<String> label) {
        double lo = Math.floor(Math.log10(Math.max(min, 1e-9)));
        double hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(max, min))));
        List<Tick> ticks = new ArrayList<>();
        for (double d = lo; d <= hi; d++) {
            ticks.add(new Tick(Math.pow(10, d), label.apply(Math.pow(10, d))));
        }
        return new Axis() {
            public double fraction(double v) {
                return (Math.log10(Math.max(v, Math.pow(10, lo))) - lo) / (hi - lo);
            }

            public List<Tick> ticks() {
                return ticks;
            }
        };
    }

    /** A linear axis over [min, max] with the given ticks (for transformed values, such as percentiles). */
    static Axis fixed(double min, double max, List<Tick> ticks) {
        return new Axis() {
            public double fraction(double v) {
                return (v - min) / (max - min);
            }

            public List<Tick> ticks() {
                return ticks;
            }
        };
    }

    private static double niceStep(double raw) {
        double mag = Math.pow(10, Math.floor(Math.log10(raw <= 0 ? 1 : raw)));
        double r = raw / mag;
        return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * mag;
    }

    String render() {
        int pw = W - LEFT - RIGHT;
        int ph = H - TOP - BOTTOM;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT,
                "<svg data-chart=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">%n",
                esc(id), W, H, W, H));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" class=\"title\">%s</text>%n", LEFT, esc(title)));
        sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"plot\"/>%n",
                LEFT, TOP, pw, ph));
        for (Tick t : x.ticks()) {
            double px = LEFT + clamp(x.fraction(t.value())) * pw;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"grid\"/>"
                    + "<text x=\"%.1f\" y=\"%d\" class=\"tick\" text-anchor=\"middle\">%s</text>%n",
                    px, TOP, px, TOP + ph, px, TOP + ph + 16, esc(t.label())));
        }
        for (Tick t : y.ticks()) {
            double py = TOP + (1 - clamp(y.fraction(t.value()))) * ph;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">%s</text>%n",
                    LEFT, py, LEFT + pw, py, LEFT - 6, py + 4, esc(t.label())));
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" class=\"axis\" text-anchor=\"middle\">%s</text>%n",
                LEFT + pw / 2, H - 10, esc(xLabel)));
        sb.append(String.format(Locale.ROOT,
                "<text transform=\"translate(16 %d) rotate(-90)\" class=\"axis\" text-anchor=\"middle\">%s</text>%n",
                TOP + ph / 2, esc(yLabel)));
        for (int i = 0; i < series.size(); i++) {
            Series s = series.get(i);
            String color = COLORS[i % COLORS.length];
            StringBuilder d = new StringBuilder();
            for (double[] p : s.points()) {
                d.append(d.length() == 0 ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f",
                        LEFT + clamp(x.fraction(p[0])) * pw, TOP + (1 - clamp(y.fraction(p[1]))) * ph));
            }
            if (s.points().size() == 1) {
                d.append(" h1"); // a single point still draws
            }
            sb.append(String.format(Locale.ROOT,
                    "<path data-series=\"%s\" d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>%n",
                    esc(s.name()), d, color));
            int ly = TOP + 14 + i * 18;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>"
                    + "<text x=\"%d\" y=\"%d\" class=\"legend\">%s</text>%n",
                    LEFT + pw + 12, ly - 4, LEFT + pw + 32, ly - 4, color, LEFT + pw + 38, ly, esc(s.name())));
        }
        return sb.append("</svg>\n").toString();
    }

    private static double clamp(double f) {
        return Double.isNaN(f) ? 0 : Math.max(0, Math.min(1, f));
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
