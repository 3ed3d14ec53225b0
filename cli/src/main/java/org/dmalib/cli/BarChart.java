package org.dmalib.cli;

import java.util.List;
import java.util.Locale;
import org.dmalib.iommu.api.InvalidationStrategy;

/**
 * A small SVG bar chart of teardown results, written by hand (no dependency): one panel of
 * commands (TLBI plus CMD_SYNC) and one of wall time, a bar per strategy, both on a log-10 scale
 * since the strategies differ by orders of magnitude.
 *
 * <p>Stateless; thread-safe.
 */
final class BarChart {
    private static final int PANEL_WIDTH = 360;
    private static final int PANEL_HEIGHT = 220;
    private static final int MARGIN = 50;
    private static final int BAR_GAP = 20;
    private static final int TITLE_HEIGHT = 40;

    private BarChart() {}

    /**
     * Returns the chart as a standalone SVG document.
     *
     * @param title the chart's title, plain text (escaped here)
     * @param results one bar per result in each panel, in order; not empty
     * @return the document
     */
    static String svg(String title, List<Teardown.Result> results) {
        int width = 2 * PANEL_WIDTH + 3 * MARGIN;
        int height = PANEL_HEIGHT + 2 * MARGIN + TITLE_HEIGHT;
        StringBuilder s = new StringBuilder();
        s.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                + "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" "
                + "font-size=\"12\">%n", width, height, width, height));
        s.append(String.format(Locale.ROOT, "  <title>%s</title>%n", escape(title)));
        s.append(String.format(Locale.ROOT, "  <rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n",
                width, height));
        s.append(String.format(Locale.ROOT,
                "  <text x=\"%d\" y=\"24\" font-size=\"15\">%s</text>%n", MARGIN, escape(title)));
        double[] commands = results.stream()
                .mapToDouble(r -> r.tlbiCommands() + r.syncCommands()).toArray();
        double[] millis = results.stream().mapToDouble(r -> r.wallNanos() / 1e6).toArray();
        panel(s, MARGIN, "commands (TLBI + CMD_SYNC), log scale", commands, "%.0f", results);
        panel(s, 2 * MARGIN + PANEL_WIDTH, "wall time of the teardown (ms), log scale", millis,
                "%.2f", results);
        s.append("</svg>\n");
        return s.toString();
    }

    private static void panel(StringBuilder s, int x0, String caption, double[] values,
            String format, List<Teardown.Result> results) {
        int top = TITLE_HEIGHT + MARGIN / 2;
        int base = top + PANEL_HEIGHT;
        double max = 1;
        for (double v : values) {
            max = Math.max(max, v);
        }
        // log10(v + 1) so that 0 and 1 differ and the scale starts at 0
        double scale = PANEL_HEIGHT / Math.ceil(Math.log10(max + 1));
        s.append(String.format(Locale.ROOT, "  <g>%n    <text x=\"%d\" y=\"%d\">%s</text>%n",
                x0, top - 8, escape(caption)));
        s.append(String.format(Locale.ROOT, "    <line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
                + "stroke=\"black\"/>%n", x0, base, x0 + PANEL_WIDTH, base));
        int n = values.length;
        int bar = (PANEL_WIDTH - BAR_GAP * (n + 1)) / Math.max(n, 1);
        for (int i = 0; i < n; i++) {
            double h = Math.log10(values[i] + 1) * scale;
            int x = x0 + BAR_GAP + i * (bar + BAR_GAP);
            Teardown.Result r = results.get(i);
            s.append(String.format(Locale.ROOT, "    <rect x=\"%d\" y=\"%.1f\" width=\"%d\" "
                    + "height=\"%.1f\" fill=\"%s\"/>%n", x, base - h, bar, h,
                    colour(r.strategy())));
            s.append(String.format(Locale.ROOT, "    <text x=\"%d\" y=\"%.1f\">%s</text>%n",
                    x, base - h - 4, escape(String.format(Locale.ROOT, format, values[i]))));
            s.append(String.format(Locale.ROOT, "    <text x=\"%d\" y=\"%d\">%s</text>%n", x,
                    base + 16, escape(Args.name(r.strategy()) + (r.ril() ? "" : " (no RIL)"))));
        }
        s.append("  </g>\n");
    }

    private static String colour(InvalidationStrategy s) {
        return switch (s) {
            case PER_PAGE -> "#d9534f";
            case LINUX -> "#5b8def";
            case OPTIMAL -> "#3fa34d";
        };
    }

    /** Escapes the five XML special characters. */
    static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                .replace("\"", "&quot;").replace("'", "&apos;");
    }
}
