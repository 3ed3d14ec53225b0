package org.dmalib.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dmalib.examples.IommuMode;
import org.dmalib.examples.NicScenario;
import org.dmalib.examples.ScenarioConfig;
import org.dmalib.examples.ScenarioResult;
import org.junit.jupiter.api.Test;

/** {@code dmalib run}: both drivers, strict and lazy, text and JSON, and one-line errors. */
class RunCommandTest {
    private static long field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":(-?\\d+)").matcher(json);
        assertTrue(m.find(), name + " in " + json);
        return Long.parseLong(m.group(1));
    }

    private static String json(String... args) {
        CliRun run = CliRun.of(args);
        assertEquals(Main.OK, run.exit(), run::toString);
        assertEquals("", run.err());
        assertEquals(1, run.lines().size(), run.out());
        String line = run.lines().get(0);
        assertTrue(line.startsWith("{") && line.endsWith("}"), line);
        return line;
    }

    @Test
    void nic_strict_invalidates_once_per_packet_and_lazy_once_per_full_ring() {
        String strict = json("run", "nic", "--ops", "600", "--mode", "strict", "--json");
        assertTrue(strict.startsWith("{\"driver\":\"nic\",\"mode\":\"strict\",\"coherent\":false,"
                + "\"operations\":600,"), strict);
        assertEquals(600, field(strict, "tlbiCommands"));
        assertEquals(600, field(strict, "cmdSyncs"));
        assertEquals(0, field(strict, "lazyFlushes"));
        assertEquals(0, field(strict, "dataErrors"));
        assertEquals(0, field(strict, "pendingMappings"));
        assertEquals(0, field(strict, "debugReports"));
        assertTrue(field(strict, "translations") > 0, strict);
        assertEquals(field(strict, "translations"),
                field(strict, "iotlbHits") + field(strict, "iotlbMisses"), strict);

        String lazy = json("run", "nic", "--ops", "600", "--mode", "lazy", "--json");
        // 600 TX unmaps fill the 256-entry ring twice: two whole-domain flushes
        assertEquals(2, field(lazy, "lazyFlushes"));
        assertEquals(2, field(lazy, "tlbiCommands"));
        assertEquals(2, field(lazy, "asidInvalidations"));
        assertEquals(2, field(lazy, "cmdSyncs"));
        assertEquals(field(strict, "bytes"), field(lazy, "bytes"), "the same seeded payloads");
    }

    @Test
    void block_runs_in_every_mode_with_no_data_errors() {
        for (String mode : new String[] {"strict", "lazy", "direct"}) {
            String line = json("run", "block", "--ops", "200", "--mode", mode, "--json");
            assertTrue(line.contains("\"mode\":\"" + mode + "\""), line);
            assertEquals(200, field(line, "operations"));
            assertEquals(0, field(line, "dataErrors"));
            assertTrue(field(line, "linesCleaned") > 0, line);
        }
        String coherent = json("run", "block", "--ops", "50", "--coherent", "--json");
        assertTrue(coherent.contains("\"coherent\":true"), coherent);
        assertEquals(0, field(coherent, "linesCleaned") + field(coherent, "barriers"));
    }

    @Test
    void the_text_report_names_throughput_iotlb_invalidations_cache_and_errors() {
        CliRun run = CliRun.of("run", "nic", "--ops", "300", "--mode", "lazy");
        assertEquals(Main.OK, run.exit(), run::toString);
        String text = run.out();
        assertTrue(text.startsWith("nic: 300 packets each way, behind an SMMUv3 (lazy unmaps), "
                + "non-coherent, seed 1"), text);
        assertTrue(text.contains("packets/s"), text);
        assertTrue(text.contains(" MB/s (wall "), text);
        assertTrue(text.contains("IOTLB          "), text);
        assertTrue(text.contains("hit rate "), text);
        assertTrue(text.contains("invalidations  1 TLBI (1 ASID-wide), 1 CMD_SYNC, 1 lazy flushes"), text);
        assertTrue(text.contains("lines cleaned"), text);
        assertTrue(text.contains("data errors    0 (device errors 0, SMMU faults 0"), text);
        assertTrue(text.contains("debug reports  0 (the DMA-API debug checks found no misuse)"), text);

        String direct = CliRun.of("run", "block", "--ops", "20", "--mode", "direct").out();
        assertTrue(direct.contains("IOTLB          none (direct path)"), direct);
        assertTrue(direct.contains("requests/s"), direct);
    }

    @Test
    void one_operation_is_enough() {
        String line = json("run", "nic", "--ops", "1", "--json");
        assertEquals(1, field(line, "operations"));
        assertEquals(0, field(line, "dataErrors"));
        CliRun run = CliRun.of("run", "nic", "--ops", "1");
        assertTrue(run.out().startsWith("nic: 1 packet each way, "), run.out()); // singular
    }

    @Test
    void the_text_report_names_the_path_and_the_coherency() {
        CliRun run = CliRun.of("run", "block", "--ops", "20", "--mode", "direct", "--coherent");
        assertEquals(Main.OK, run.exit(), run::toString);
        assertTrue(run.out().startsWith("block: 20 scatter-gather requests, direct (no IOMMU), "
                + "coherent, seed 1"), run.out());
        assertTrue(run.out().contains("\ninvalidations  none (direct path)\n"), run.out());
    }

    @Test
    void the_text_report_gives_wall_milliseconds_and_the_hit_rate_in_percent() {
        ScenarioResult r = NicScenario.run(ScenarioConfig.of(100, IommuMode.STRICT));
        StringWriter text = new StringWriter();
        RunReport.text(new PrintWriter(text, true), r);
        assertTrue(text.toString().contains(String.format(Locale.ROOT, "(wall %.1f ms,",
                r.wallNanos() / 1e6)), text.toString());
        assertTrue(r.iotlbHitRate() > 0 && r.iotlbHitRate() < 1, text::toString);
        assertTrue(text.toString().contains(String.format(Locale.ROOT, "hit rate %.1f%% (",
                100 * r.iotlbHitRate())), text.toString());
    }

    @Test
    void bad_values_are_one_line_and_exit_2() {
        assertTrue(CliRun.of("run", "nic", "--ops", "0").oneLineError()
                .contains("--ops=0: must be from 1 to 10000000"));
        assertTrue(CliRun.of("run", "nic", "--ops=-5").oneLineError()
                .contains("--ops=-5: must not be negative"));
        assertTrue(CliRun.of("run", "nic", "--ops", "many").oneLineError()
                .contains("--ops=many: not a count"));
        assertTrue(CliRun.of("run", "block", "--ops", "20000000").oneLineError()
                .contains("--ops=20000000: must be from 1"));
        assertTrue(CliRun.of("run", "nic", "--mode", "fast").oneLineError()
                .contains("--mode=fast: unknown mode (strict, lazy or direct)"));
        assertTrue(CliRun.of("run", "disk").oneLineError()
                .contains("DRIVER=disk: unknown driver (nic or block)"));
        assertTrue(CliRun.of("run", "nic", "--seed", "x").oneLineError()
                .contains("--seed=x: not a decimal integer"));
        CliRun.of("run").oneLineError();
    }

    @Test
    void help_describes_the_command() {
        CliRun run = CliRun.of("run", "--help");
        assertEquals(Main.OK, run.exit());
        assertTrue(run.out().contains("--mode"), run.out());
        assertTrue(run.out().contains("nic or block"), run.out());
        assertTrue(CliRun.of("--help").out().contains("run"));
    }

    @Test
    void help_names_every_reason_for_exit_status_1() {
        // run() fails on wrong data, on a mapping left pending and on any debug report
        String help = CliRun.of("run", "--help").out().replaceAll("\\s+", " ");
        assertTrue(help.contains("Exit status 1 if any payload arrived wrong, a mapping was left "
                + "pending after teardown or the DMA-API debug checks reported a misuse."), help);
    }
}
