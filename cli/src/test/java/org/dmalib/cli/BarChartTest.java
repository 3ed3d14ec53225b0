package org.dmalib.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.junit.jupiter.api.Test;

/**
 * {@link BarChart}: two panels (commands, then wall time), a bar per strategy standing on its
 * panel's axis, heights on a log-10 scale that uses the panel, labels where a reader looks.
 */
class BarChartTest {
    private static final Pattern SIZE = Pattern.compile("<svg [^>]*width=\"(\\d+)\" height=\"(\\d+)\"");
    private static final Pattern GROUP = Pattern.compile("<g>(.*?)</g>", Pattern.DOTALL);
    private static final Pattern LINE = Pattern.compile(
            "<line x1=\"(\\d+)\" y1=\"(\\d+)\" x2=\"(-?\\d+)\" y2=\"(\\d+)\"");
    private static final Pattern RECT = Pattern.compile("<rect x=\"(-?\\d+)\" y=\"(-?[\\d.]+)\" "
            + "width=\"(-?\\d+)\" height=\"(-?[\\d.]+)\" fill=\"([^\"]*)\"/>");
    private static final Pattern TEXT = Pattern.compile(
            "<text x=\"(-?\\d+)\" y=\"(-?[\\d.]+)\">([^<]*)</text>");

    private record Bar(double x, double y, double width, double height, String fill) {}

    private record Text(double x, double y, String text) {}

    private record Panel(double x1, double x2, double axis, List<Bar> bars, List<Text> texts) {}

    private static Teardown.Result result(InvalidationStrategy s, boolean ril, long tlbi,
            long syncs, long wallNanos) {
        return new Teardown.Result(s, ril, tlbi, 1, syncs, 30 * tlbi + 300 * syncs, wallNanos, 1);
    }

    private static List<Panel> panels(String svg) {
        List<Panel> out = new ArrayList<>();
        Matcher g = GROUP.matcher(svg);
        while (g.find()) {
            String body = g.group(1);
            Matcher l = LINE.matcher(body);
            assertTrue(l.find(), body);
            assertEquals(l.group(2), l.group(4), "the axis is horizontal");
            List<Bar> bars = new ArrayList<>();
            for (Matcher r = RECT.matcher(body); r.find(); ) {
                bars.add(new Bar(Double.parseDouble(r.group(1)), Double.parseDouble(r.group(2)),
                        Double.parseDouble(r.group(3)), Double.parseDouble(r.group(4)), r.group(5)));
            }
            List<Text> texts = new ArrayList<>();
            for (Matcher t = TEXT.matcher(body); t.find(); ) {
                texts.add(new Text(Double.parseDouble(t.group(1)), Double.parseDouble(t.group(2)),
                        t.group(3)));
            }
            out.add(new Panel(Double.parseDouble(l.group(1)), Double.parseDouble(l.group(3)),
                    Double.parseDouble(l.group(2)), bars, texts));
        }
        return out;
    }

    @Test
    void each_panel_has_a_bar_per_strategy_on_its_axis_at_log_scale() {
        // 99999 commands: log10(100000) = 5, a bar as tall as the panel's scale allows
        List<Teardown.Result> results = List.of(
                result(InvalidationStrategy.PER_PAGE, true, 99_965, 34, 2_834_000),
                result(InvalidationStrategy.LINUX, true, 34, 34, 577_000),
                result(InvalidationStrategy.OPTIMAL, true, 2, 2, 10_000_000));
        String svg = BarChart.svg("Tearing down 64M of 4K leaves, RIL", results);
        Matcher size = SIZE.matcher(svg);
        assertTrue(size.find(), svg);
        double width = Double.parseDouble(size.group(1));
        double height = Double.parseDouble(size.group(2));

        List<Panel> panels = panels(svg);
        assertEquals(2, panels.size(), svg);
        double[][] values = {{99_999, 68, 4}, {2.834, 0.577, 10.0}};
        String[][] labels = {{"99999", "68", "4"}, {"2.83", "0.58", "10.00"}};
        // the panels side by side, apart, inside the picture
        assertTrue(panels.get(0).x2() < panels.get(1).x1(), svg);
        assertTrue(panels.get(1).x2() <= width, svg);
        for (int p = 0; p < 2; p++) {
            Panel panel = panels.get(p);
            assertTrue(panel.x1() >= 0 && panel.x1() < panel.x2(), svg);
            assertTrue(panel.axis() > 0 && panel.axis() < height, svg);
            assertEquals(3, panel.bars().size(), svg);
            // the caption first, then per bar its value and its strategy
            assertEquals(1 + 2 * 3, panel.texts().size(), svg);
            Text caption = panel.texts().get(0);
            double tallest = 0;
            double perLog = -1;
            for (int i = 0; i < 3; i++) {
                Bar bar = panel.bars().get(i);
                Text value = panel.texts().get(1 + 2 * i);
                Text name = panel.texts().get(2 + 2 * i);
                assertEquals(labels[p][i], value.text(), svg);
                assertEquals(Args.name(results.get(i).strategy()), name.text(), svg);
                // on the axis, within it, apart from the bar before, below the caption
                assertEquals(panel.axis(), bar.y() + bar.height(), 0.11, svg);
                assertTrue(bar.width() > 0 && bar.x() >= panel.x1()
                        && bar.x() + bar.width() <= panel.x2(), svg);
                if (i > 0) {
                    Bar before = panel.bars().get(i - 1);
                    assertTrue(bar.x() >= before.x() + before.width(), svg);
                    assertEquals(before.width(), bar.width(), svg);
                }
                assertTrue(caption.y() < bar.y(), svg);
                // the value just above its bar, the name below the axis, both at the bar
                assertTrue(value.y() < bar.y() && value.y() > caption.y(), svg);
                assertTrue(name.y() > panel.axis() && name.y() < height, svg);
                assertTrue(value.x() >= bar.x() && value.x() < bar.x() + bar.width(), svg);
                assertTrue(name.x() >= bar.x() && name.x() < bar.x() + bar.width(), svg);
                // heights proportional to log10(value + 1)
                double k = bar.height() / Math.log10(values[p][i] + 1);
                if (perLog < 0) {
                    perLog = k;
                }
                assertEquals(perLog, k, perLog * 0.01, svg);
                tallest = Math.max(tallest, bar.height());
                assertFalse(bar.fill().isBlank(), svg);
            }
            // the scale uses the panel: the tallest bar more than a third of the way to the caption
            assertTrue(tallest > (panel.axis() - caption.y()) / 3, svg);
            assertNotEquals(panel.bars().get(0).fill(), panel.bars().get(1).fill(), svg);
            assertNotEquals(panel.bars().get(1).fill(), panel.bars().get(2).fill(), svg);
        }
    }

    @Test
    void a_bar_of_an_smmu_without_range_invalidation_says_so() {
        String svg = BarChart.svg("t", List.of(
                result(InvalidationStrategy.LINUX, false, 65, 34, 800_000)));
        for (Panel panel : panels(svg)) {
            assertEquals("linux (no RIL)", panel.texts().get(2).text(), svg);
        }
    }

    @Test
    void the_title_is_escaped() {
        String svg = BarChart.svg("a <b> & \"c\" 'd'", List.of(
                result(InvalidationStrategy.LINUX, true, 1, 1, 1)));
        assertTrue(svg.contains("<title>a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;</title>"), svg);
    }
}
