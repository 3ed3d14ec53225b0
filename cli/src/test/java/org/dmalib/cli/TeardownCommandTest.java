package org.dmalib.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code dmalib teardown} at 64 MiB: JSON fields, plausible counts, the SVG, the errors. */
class TeardownCommandTest {
    private static final Pattern LINE = Pattern.compile("\\{\"strategy\":\"([a-z-]+)\","
            + "\"tlbiCommands\":(\\d+),\"syncCommands\":(\\d+),\"asidInvalidations\":(\\d+),"
            + "\"modelledNanos\":(\\d+),\"wallNanos\":(\\d+)}");

    private static long field(Matcher m, int group) {
        return Long.parseLong(m.group(group));
    }

    private static Matcher match(String line) {
        Matcher m = LINE.matcher(line);
        assertTrue(m.matches(), line);
        return m;
    }

    @Test
    void json_has_one_line_per_strategy_with_plausible_counts() {
        CliRun run = CliRun.of("teardown", "--size", "64M", "--json");
        assertEquals(Main.OK, run.exit(), run::toString);
        assertEquals("", run.err());
        List<String> lines = run.lines();
        assertEquals(3, lines.size(), run.out());
        Matcher perPage = match(lines.get(0));
        Matcher linux = match(lines.get(1));
        Matcher optimal = match(lines.get(2));
        assertEquals("per-page", perPage.group(1));
        assertEquals("linux", linux.group(1));
        assertEquals("optimal", optimal.group(1));
        // 16384 pages, and one command per page of every 2 MiB table freed
        assertTrue(field(perPage, 2) >= 16384, lines.get(0));
        // RIL: one range command per freed table (32), one leaf sync, one ASID on free
        assertEquals(34, field(linux, 2), lines.get(1));
        assertEquals(1, field(linux, 4), lines.get(1));
        assertTrue(field(optimal, 2) <= field(linux, 2), lines.get(2));
        // modelled: 30 ns per command, 300 ns per sync
        for (Matcher m : List.of(perPage, linux, optimal)) {
            assertEquals(30 * field(m, 2) + 300 * field(m, 3), field(m, 5));
            assertTrue(field(m, 6) > 0);
        }
    }

    @Test
    void without_ril_linux_drops_the_asid_per_freed_table() {
        CliRun run = CliRun.of("teardown", "--size", "64M", "--no-ril", "--strategy", "linux",
                "--json");
        assertEquals(Main.OK, run.exit(), run::toString);
        Matcher linux = match(run.lines().get(0));
        // 32 walk flushes of 2 MiB go ASID-wide, the leaf sync is 32 block commands, then free
        assertEquals(32 + 32 + 1, field(linux, 2), run.out());
        assertEquals(33, field(linux, 4), run.out());
    }

    @Test
    void the_table_has_a_row_per_strategy() {
        CliRun run = CliRun.of("teardown", "--size", "64M", "--granule", "64K",
                "--strategy", "linux,per-page");
        assertEquals(Main.OK, run.exit(), run::toString);
        assertTrue(run.out().startsWith("Teardown of 64M mapped as 64K leaves"), run.out());
        assertTrue(run.out().contains("\nlinux "), run.out());
        assertTrue(run.out().contains("\nper-page "), run.out());
        assertEquals("", run.err());
    }

    @Test
    void svg_writes_a_well_formed_bar_chart(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("teardown.svg");
        CliRun run = CliRun.of("teardown", "--size", "64M", "--json", "--svg", file.toString());
        assertEquals(Main.OK, run.exit(), run::toString);
        String svg = Files.readString(file, StandardCharsets.UTF_8);
        assertTrue(svg.startsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns="
                + "\"http://www.w3.org/2000/svg\""), svg);
        assertTrue(svg.endsWith("</svg>\n"), svg);
        // the background and one bar per strategy in each of the two panels
        assertEquals(1 + 2 * 3, count(svg, "<rect "));
        assertEquals(count(svg, "<g>"), count(svg, "</g>"));
        assertEquals(count(svg, "<text "), count(svg, "</text>"));
        assertEquals(2, count(svg, "<g>"));
        assertTrue(svg.contains(">per-page<") && svg.contains(">linux<") && svg.contains(">optimal<"), svg);
        // every element that opens without closing itself is closed, in order
        assertTrue(wellNested(svg), svg);
    }

    @Test
    void an_unwritable_svg_is_one_line_and_exit_1(@TempDir Path dir) {
        CliRun run = CliRun.of("teardown", "--size", "4M", "--strategy", "linux", "--svg",
                dir.resolve("missing").resolve("x.svg").toString());
        assertEquals(Main.FAILED, run.exit(), run::toString);
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertTrue(run.err().startsWith("dmalib teardown: --svg="), run.err());
    }

    @Test
    void bad_arguments_are_one_line_and_exit_2() {
        assertTrue(CliRun.of("teardown", "--size", "12Q").oneLineError()
                .equals("dmalib teardown: --size=12Q: unknown suffix 'Q' (K, M or G)"));
        assertTrue(CliRun.of("teardown", "--size", "64M", "--granule", "32K").oneLineError()
                .contains("--granule=32K: must be 4K, 16K or 64K"));
        assertTrue(CliRun.of("teardown", "--size=-64M").oneLineError()
                .contains("--size=-64M: must not be negative"));
        assertTrue(CliRun.of("teardown", "--size", "0").oneLineError()
                .contains("--size=0: must be positive"));
        assertTrue(CliRun.of("teardown", "--size", "100K", "--granule", "64K").oneLineError()
                .contains("--size=100K: not a multiple of the granule 64K"));
        assertTrue(CliRun.of("teardown", "--size", "65G").oneLineError()
                .contains("--size=65G: at most 64G"));
        assertTrue(CliRun.of("teardown", "--size", "64M", "--strategy", "linux,").oneLineError()
                .contains("unknown strategy ''"));
    }

    @Test
    void sixty_four_gib_is_the_largest_size_accepted() {
        // at 64K leaves 64G is 1M pages in 128 leaf tables of 512M, each freed by one walk
        // flush and its sync; then the leaf invalidation and the free, each synced
        CliRun run = CliRun.of("teardown", "--size", "64G", "--granule", "64K", "--strategy",
                "linux", "--json");
        assertEquals(Main.OK, run.exit(), run::toString);
        Matcher linux = match(run.lines().get(0));
        assertEquals(128 + 1 + 1, field(linux, 2), run.out());
        assertEquals(128 + 1 + 1, field(linux, 3), run.out());
        assertEquals(1, field(linux, 4), run.out());
    }

    @Test
    void the_table_and_chart_of_an_smmu_with_ril_say_so(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("t.svg");
        CliRun run = CliRun.of("teardown", "--size", "4M", "--strategy", "linux", "--svg",
                file.toString());
        assertEquals(Main.OK, run.exit(), run::toString);
        assertTrue(run.lines().get(0).endsWith(", SMMU with RIL:"), run.out());
        String svg = Files.readString(file, StandardCharsets.UTF_8);
        assertTrue(svg.contains("<title>Tearing down 4M of 4K leaves, RIL</title>"), svg);
        assertTrue(svg.contains(">linux<"), svg);
    }

    @Test
    void the_json_counts_every_sync_linux_issues() {
        // 32 leaf tables freed, each walk flush synced; the leaf invalidation synced; the ASID
        // invalidation of the free synced
        CliRun run = CliRun.of("teardown", "--size", "64M", "--strategy", "linux", "--json");
        assertEquals(Main.OK, run.exit(), run::toString);
        assertEquals(34, field(match(run.lines().get(0)), 3), run.out());
    }

    @Test
    void the_table_gives_modelled_microseconds_and_wall_milliseconds() {
        StringWriter text = new StringWriter();
        TeardownCommand.table(new PrintWriter(text, true), 64L << 20, 4096, false, List.of(
                new Teardown.Result(InvalidationStrategy.LINUX, false, 65, 33, 34, 12_150,
                        2_500_000, 1)));
        String out = text.toString();
        assertTrue(out.startsWith("Teardown of 64M mapped as 4K leaves"), out);
        assertTrue(out.lines().findFirst().orElseThrow().endsWith("SMMU without RIL:"), out);
        String header = out.lines().filter(l -> l.startsWith("strategy")).findFirst().orElseThrow();
        assertEquals(List.of("strategy", "TLBI", "ASID", "CMD_SYNC", "modelled", "us", "wall", "ms"),
                List.of(header.trim().split(" +")));
        String row = out.lines().filter(l -> l.startsWith("linux")).findFirst().orElseThrow();
        assertEquals(List.of("linux", "65", "33", "34", "12.150", "2.500"),
                List.of(row.trim().split(" +")));
        // the last two lines say what the columns count and how the time is priced
        List<String> lines = out.lines().toList();
        assertEquals(List.of("TLBI counts every TLBI command, ASID-wide ones included. Modelled time "
                        + "prices each command",
                "at 30 ns and each CMD_SYNC at 300 ns (gem5's model); wall time is this JVM's, after "
                        + "a warm-up."), lines.subList(lines.size() - 2, lines.size()));
    }

    @Test
    void on_a_terminal_a_long_run_draws_a_bar_on_stderr_and_erases_it() {
        CommandLine cl = new CommandLine(TeardownCommand.spec());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        AtomicLong now = new AtomicLong();
        // every reading of the clock two seconds after the last: a long run
        int code = TeardownCommand.run(cl.parseArgs("--size", "8M", "--strategy", "linux"),
                new PrintWriter(out, true), new PrintWriter(err, true), true,
                () -> now.addAndGet(2 * Progress.THRESHOLD_NANOS));
        assertEquals(Main.OK, code);
        String bar = err.toString();
        assertTrue(bar.startsWith("\r[##############################] 100% map 8M for linux"), bar);
        // erased: the line ends blank, the cursor back at its start
        assertTrue(bar.matches("(?s).*\r {10,}\r"), bar);
        assertTrue(out.toString().startsWith("Teardown of 8M"), out.toString());
        // not a terminal: nothing on standard error
        StringWriter quiet = new StringWriter();
        assertEquals(Main.OK, TeardownCommand.run(cl.parseArgs("--size", "8M", "--strategy",
                        "linux"), new PrintWriter(new StringWriter(), true),
                new PrintWriter(quiet, true), false, () -> now.addAndGet(2 * Progress.THRESHOLD_NANOS)));
        assertEquals("", quiet.toString());
    }

    @Test
    void the_chart_of_an_smmu_without_ril_says_so(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("t.svg");
        CliRun run = CliRun.of("teardown", "--size", "4M", "--strategy", "linux", "--no-ril",
                "--svg", file.toString());
        assertEquals(Main.OK, run.exit(), run::toString);
        String svg = Files.readString(file, StandardCharsets.UTF_8);
        assertTrue(svg.contains("<title>Tearing down 4M of 4K leaves, no RIL</title>"), svg);
        assertTrue(svg.contains(">linux (no RIL)<"), svg);
    }

    @Test
    void a_signed_hex_size_is_one_line_and_exit_2() {
        assertTrue(CliRun.of("teardown", "--size", "0x-1000", "--strategy", "linux").oneLineError()
                .startsWith("dmalib teardown: --size=0x-1000: "));
    }

    private static int count(String text, String what) {
        return text.split(Pattern.quote(what), -1).length - 1;
    }

    /** A string-level check of nesting: every start tag is closed by its own end tag. */
    private static boolean wellNested(String svg) {
        Matcher tags = Pattern.compile("<(/?)([a-zA-Z]+)[^>]*?(/?)>").matcher(svg);
        java.util.ArrayDeque<String> open = new java.util.ArrayDeque<>();
        while (tags.find()) {
            if (!tags.group(3).isEmpty()) {
                continue;
            }
            if (tags.group(1).isEmpty()) {
                open.push(tags.group(2));
            } else if (open.isEmpty() || !open.pop().equals(tags.group(2))) {
                return false;
            }
        }
        return open.isEmpty();
    }
}
