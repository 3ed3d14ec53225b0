package org.dmalib.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The teardown plot as a dependency-free SVG: two panels, wall time and modelled time against
 * domain size, one line per strategy, both axes logarithmic.
 */
final class TeardownPlot {
    private static final String[] COLOURS = {"#d62728", "#1f77b4", "#ff7f0e", "#2ca02c"};
    // one panel's size and plot margins in SVG pixels (room for the decade labels on the left and
    // the size labels and axis title below)
    private static final int W = 420;
    private static final int H = 320;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int TOP = 40;
    private static final int BOTTOM = 50;

    private TeardownPlot() {}

    static String svg(Map<String, Map<String, Report.Teardown>> cells, String[] strategies) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\""
                + " height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">%n", 2 * W, H + 30));
        s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        panel(s, 0, "Teardown wall time (ms, JMH)", cells, strategies, Report.Teardown::wallMs);
        panel(s, W, "Teardown modelled time (ms, CostModel.GEM5)", cells, strategies,
                t -> t.modelledNs() / 1e6);
        for (int i = 0; i < strategies.length; i++) {
            // one legend entry every 180 pixels from the first panel's plot area: four fit in 2 * W
            int x = 80 + i * 180;
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\""
                    + " stroke=\"%s\" stroke-width=\"3\"/>%n", x, H + 15, x + 25, H + 15, COLOURS[i]));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", x + 30,
                    H + 19, strategies[i]));
        }
        return s.append("</svg>\n").toString();
    }

    private static void panel(StringBuilder s, int x0, String title,
            Map<String, Map<String, Report.Teardown>> cells, String[] strategies,
            ToDoubleFunction<Report.Teardown> value) {
        List<Double> sizes = new ArrayList<>();
        double lo = Double.MAX_VALUE;
        double hi = 0;
        for (Map.Entry<String, Map<String, Report.Teardown>> e : cells.entrySet()) {
            sizes.add(Double.parseDouble(e.getKey()));
            for (Report.Teardown t : e.getValue().values()) {
                double v = value.applyAsDouble(t);
                if (v > 0) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        if (sizes.isEmpty() || hi == 0) {
            return;
        }
        double yMin = Math.floor(Math.log10(lo));
        double yMax = Math.max(Math.ceil(Math.log10(hi)), yMin + 1);
        double xMin = log2(sizes.get(0));
        double xMax = Math.max(log2(sizes.get(sizes.size() - 1)), xMin + 1);
        int pw = W - LEFT - RIGHT;
        int ph = H - TOP - BOTTOM;
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-weight=\"bold\">%s</text>%n",
                x0 + LEFT, title));
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\""
                + " fill=\"none\" stroke=\"black\"/>%n", x0 + LEFT, TOP, pw, ph));
        for (double d = yMin; d <= yMax; d++) {
            double y = TOP + ph - (d - yMin) / (yMax - yMin) * ph;
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\""
                    + " stroke=\"#ddd\"/>%n", x0 + LEFT, y, x0 + LEFT + pw, y));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">1e%d</text>%n",
                    x0 + LEFT - 5, y + 4, (int) d));
        }
        for (double size : sizes) {
            double x = x0 + LEFT + (log2(size) - xMin) / (xMax - xMin) * pw;
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s GiB</text>%n",
                    x, TOP + ph + 18, fmt(size)));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">domain size"
                + " (fully mapped with 4K pages)</text>%n", x0 + LEFT + pw / 2, TOP + ph + 38));
        for (int i = 0; i < strategies.length; i++) {
            StringBuilder pts = new StringBuilder();
            for (Map.Entry<String, Map<String, Report.Teardown>> e : cells.entrySet()) {
                Report.Teardown t = e.getValue().get(strategies[i]);
                if (t == null || value.applyAsDouble(t) <= 0) {
                    continue;
                }
                double x = x0 + LEFT + (log2(Double.parseDouble(e.getKey())) - xMin) / (xMax - xMin) * pw;
                double y = TOP + ph - (Math.log10(value.applyAsDouble(t)) - yMin) / (yMax - yMin) * ph;
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
                s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n",
                        x, y, COLOURS[i]));
            }
            s.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\""
                    + " stroke-width=\"2\"/>%n", pts.toString().trim(), COLOURS[i]));
        }
    }

    private static double log2(double v) {
        return Math.log(v) / Math.log(2);
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
