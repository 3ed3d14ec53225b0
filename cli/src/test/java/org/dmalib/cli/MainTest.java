package org.dmalib.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class MainTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    private void assertOneLineError(int code) {
        assertEquals(Main.USAGE, code);
        String e = err.toString().strip();
        assertFalse(e.isEmpty());
        assertEquals(1, e.lines().count(), e);
        assertFalse(e.contains("Exception"), e);
        assertFalse(e.contains("\tat "), e);
    }

    @Test
    void help_lists_the_commands() {
        assertEquals(Main.OK, run("--help"));
        assertTrue(out.toString().contains("demo"), out.toString());
        assertTrue(out.toString().contains("teardown"), out.toString());
        assertTrue(out.toString().contains("plan"), out.toString());
        assertTrue(out.toString().contains("Usage: dmalib"), out.toString());
    }

    @Test
    void demo_shows_the_correct_driver_right_and_both_bugs_wrong() {
        assertEquals(Main.OK, run("demo"));
        String text = out.toString();
        assertTrue(text.contains("1. The correct driver"), text);
        assertEquals(1, text.split("Data RIGHT", -1).length - 1, text);
        assertEquals(2, text.split("Data WRONG", -1).length - 1, text);
        assertTrue(text.contains("The engine copied 4096 bytes. The DMA API cleaned 128 cache "
                + "lines, invalidated 64 and completed them with 3 barriers."), text);
        assertTrue(err.toString().isEmpty(), err.toString());
    }

    @Test
    void demo_compares_the_teardown_strategies_with_and_without_ril() {
        assertEquals(Main.OK, run("demo"));
        String text = out.toString();
        assertTrue(text.contains("4. Tearing down a 64M IOMMU domain of 4K pages"), text);
        for (String row : new String[] {"per-page  on", "linux     on", "optimal   on",
                "per-page  off", "linux     off", "optimal   off"}) {
            assertTrue(text.contains("   " + row + " "), row + "\n" + text);
        }
        assertTrue(text.contains("   with 'dmalib plan'."), text);
        assertTrue(text.endsWith("""
                   Per-page sends one command for every 4K page, whatever the SMMU can do.
                   Linux sends one range command per 2M page table it frees when the SMMU has RIL, and
                   otherwise one command that drops the whole address space. Optimal sends the fewest exact
                   commands, or drops the address space when a cost model says that is cheaper, counting
                   the refills of the pages still mapped. All three leave no stale translation behind; they
                   differ in cost. Try other sizes with 'dmalib teardown', and see the commands of one unmap
                   with 'dmalib plan'.
                """), text);
    }

    @Test
    void demo_opens_with_what_the_model_shows_and_leaves_a_blank_line_between_parts() {
        assertEquals(Main.OK, run("demo", "--bytes", "128"));
        String text = out.toString();
        assertTrue(text.startsWith("""
                dmalib demo: a DMA copy engine on a non-coherent stream copies 128 bytes.
                The CPU's data cache is write-back and the engine reads and writes RAM only, so
                the driver must let the DMA API clean the cache before the copy and invalidate
                it after. Each run below starts on a fresh 64 MiB machine with 64-byte lines.

                1. The correct driver"""), text);
        // a part ends with a blank line, whether its debug checks reported nothing or something
        for (String next : new String[] {"2. A bug", "3. A bug", "Both bugs were caught", "4. Tearing"}) {
            assertTrue(text.contains("\n\n" + next), next + "\n" + text);
        }
    }

    @Test
    void the_sub_commands_have_help() {
        assertEquals(Main.OK, run("teardown", "--help"));
        assertTrue(out.toString().contains("--no-ril"), out.toString());
        assertEquals(Main.OK, run("plan", "--help"));
        assertTrue(out.toString().contains("--live-entries"), out.toString());
        assertTrue(out.toString().contains("only this range"), out.toString());
    }

    @Test
    void demo_takes_a_size() {
        assertEquals(Main.OK, run("demo", "--bytes", "100"));
        assertTrue(out.toString().contains("copies 100 bytes"), out.toString());
        // the partial last line is cleaned and invalidated, and counted as such
        assertTrue(out.toString().contains("The DMA API cleaned 4 cache lines, invalidated 1, "
                + "cleaned and invalidated 1 (partial lines shared with other data) and completed "
                + "them with 3 barriers."), out.toString());
    }

    @Test
    void a_size_out_of_range_is_one_line_and_exit_2() {
        assertOneLineError(run("demo", "--bytes", "0"));
        assertTrue(err.toString().contains("--bytes=0 must be from 1 to 1048576"), err.toString());
    }

    @Test
    void a_size_that_is_not_a_number_is_one_line_and_exit_2() {
        assertOneLineError(run("demo", "--bytes", "lots"));
        assertTrue(err.toString().contains("lots"), err.toString());
    }

    @Test
    void unknown_options_and_commands_are_one_line_and_exit_2() {
        assertOneLineError(run("--frobnicate"));
    }

    @Test
    void unknown_command_is_refused() {
        assertOneLineError(run("teleport"));
    }

    @Test
    void no_command_is_refused() {
        assertOneLineError(run());
    }

    @Test
    void version_names_the_command_and_a_version() {
        assertEquals(Main.OK, run("--version"));
        String v = out.toString().strip();
        assertTrue(v.startsWith("dmalib "), v);
        // the module's version, or "(unversioned)" off the module path: never nothing
        assertFalse(v.substring("dmalib ".length()).isBlank(), v);
    }

    @Test
    void input_that_cannot_be_read_is_one_line_and_exit_1() {
        Reader broken = new Reader() {
            @Override
            public int read(char[] buf, int off, int len) throws IOException {
                throw new IOException("device gone");
            }

            @Override
            public void close() {}
        };
        int code = Main.run(new String[] {"explain-sg"}, broken, new PrintWriter(out, true),
                new PrintWriter(err, true));
        assertEquals(Main.FAILED, code);
        String e = err.toString().strip();
        assertEquals(1, e.lines().count(), e);
        assertTrue(e.startsWith("dmalib explain-sg: "), e);
        assertTrue(e.contains("device gone"), e);
        assertFalse(e.contains("\tat "), e);
    }

    @Test
    void demo_says_what_each_driver_got_and_what_the_debug_checks_named() {
        assertEquals(Main.OK, run("demo", "--bytes", "256"));
        String text = out.toString();
        String[] parts = text.split("\n(?=\\d\\. )", -1);
        assertEquals(5, parts.length, text);
        // the correct driver: right data, no report
        assertTrue(parts[1].contains("Data RIGHT: the CPU read back exactly what it wrote."), parts[1]);
        assertTrue(parts[1].contains("The DMA-API debug checks reported nothing."), parts[1]);
        // each bug: wrong data, and a report naming where the mapping was made
        for (String bug : new String[] {parts[2], parts[3]}) {
            assertTrue(bug.contains("Data WRONG: "), bug);
            assertFalse(bug.contains("did not show the bug"), bug);
            assertTrue(bug.contains("   DMA-API debug: CPU_ACCESS_WHILE_DEVICE_OWNS: "), bug);
            assertTrue(bug.contains("\n     (mapping made at "), bug);
            assertTrue(bug.contains("org.dmalib.examples.CopyEngineDriver.copy("), bug);
            assertFalse(bug.contains("reported nothing"), bug);
        }
        assertTrue(parts[3].contains("Both bugs were caught by the data itself"), parts[3]);
    }

    @Test
    void demo_teardown_rows_are_the_teardown_commands_counts() {
        long t0 = System.nanoTime();
        assertEquals(Main.OK, run("demo", "--bytes", "64"));
        double elapsedMillis = (System.nanoTime() - t0) / 1e6;
        Matcher row = Pattern.compile("\n   ([a-z-]+) +(on|off) +(\\d+) +(\\d+) +([\\d.]+)\n")
                .matcher(out.toString());
        List<String> rows = new ArrayList<>();
        for (int at = 0; row.find(at); at = row.end() - 1) {
            rows.add(row.group(1) + " " + row.group(2) + " " + row.group(3) + " " + row.group(4));
            // wall milliseconds of one teardown: less than the whole demo took
            assertTrue(Double.parseDouble(row.group(5)) < elapsedMillis, row.group());
        }
        // the same comparison as dmalib teardown --size 64M --granule 4K, RIL on then off
        List<String> expected = new ArrayList<>();
        for (String[] ril : new String[][] {{}, {"--no-ril"}}) {
            List<String> args = new ArrayList<>(List.of("teardown", "--size", "64M", "--json"));
            args.addAll(List.of(ril));
            CliRun teardown = CliRun.of(args.toArray(new String[0]));
            for (String line : teardown.lines()) {
                Matcher m = Pattern.compile("\\{\"strategy\":\"([a-z-]+)\",\"tlbiCommands\":(\\d+),"
                        + "\"syncCommands\":(\\d+),").matcher(line);
                assertTrue(m.find(), line);
                expected.add(m.group(1) + " " + (ril.length == 0 ? "on" : "off") + " " + m.group(2)
                        + " " + m.group(3));
            }
        }
        assertEquals(expected, rows, out.toString());
    }
}
