package org.dmalib.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code dmalib plan}: the §5.2 examples, per-page, and the no-RIL threshold, exactly. */
class PlanCommandTest {
    private static final String SYNC = "{\"op\":\"CMD_SYNC\"}";

    private static String va(long address, int num, int scale) {
        return "{\"op\":\"TLBI_NH_VA\",\"address\":" + address + ",\"num\":" + num + ",\"scale\":"
                + scale + ",\"tg\":1,\"ttl\":3,\"leaf\":true}";
    }

    private static String page(long address) {
        return "{\"op\":\"TLBI_NH_VA\",\"address\":" + address
                + ",\"num\":0,\"scale\":0,\"tg\":0,\"ttl\":0,\"leaf\":true}";
    }

    private static String line(String strategy, String... commands) {
        return "{\"strategy\":\"" + strategy + "\",\"commands\":[" + String.join(",", commands) + "]}";
    }

    private static List<String> json(String... args) {
        CliRun run = CliRun.of(args);
        assertEquals(Main.OK, run.exit(), run::toString);
        assertEquals("", run.err());
        return run.lines();
    }

    @Test
    void one_gib_at_4k_with_ril_is_one_range_command_under_linux() {
        assertEquals(List.of(line("linux", va(0, 0, 18), SYNC)),
                json("plan", "--iova", "0", "--size", "1G", "--strategy", "linux", "--json"));
    }

    @Test
    void a_hundred_pages_is_scale_2_num_24() {
        assertEquals(List.of(line("linux", va(0x8000_1000L, 24, 2), SYNC)),
                json("plan", "--iova", "0x80001000", "--size", "400K", "--strategy", "linux", "--json"));
    }

    @Test
    void a_thousand_pages_is_two_range_commands() {
        long iova = 0x8000_1000L;
        // 1000 = 232 + 768: 29 units of 2^3, then 3 units of 2^8
        assertEquals(List.of(line("linux", va(iova, 28, 3), va(iova + 232 * 4096, 2, 8), SYNC)),
                json("plan", "--iova", "0x80001000", "--size", "4000K", "--strategy", "linux",
                        "--json"));
    }

    @Test
    void per_page_is_one_command_per_page_with_or_without_ril() {
        String expected = line("per-page", page(0x10000), page(0x11000), page(0x12000), SYNC);
        assertEquals(List.of(expected), json("plan", "--iova", "65536", "--size", "12K",
                "--strategy", "per-page", "--json"));
        assertEquals(List.of(expected), json("plan", "--iova", "0x10000", "--size", "0x3000",
                "--strategy", "per-page", "--no-ril", "--json"));
        String thousand = json("plan", "--size", "4000K", "--strategy", "per-page", "--json").get(0);
        assertEquals(1000, thousand.split("TLBI_NH_VA", -1).length - 1);
    }

    @Test
    void without_ril_linux_goes_asid_wide_at_512_pages_not_511() {
        String below = json("plan", "--size", "2044K", "--strategy", "linux", "--no-ril", "--json")
                .get(0);
        assertEquals(511, below.split("TLBI_NH_VA", -1).length - 1);
        assertTrue(below.startsWith("{\"strategy\":\"linux\",\"commands\":[" + page(0) + ","), below);
        assertTrue(below.endsWith(page(510 * 4096L) + "," + SYNC + "]}"), below);
        assertEquals(List.of(line("linux", "{\"op\":\"TLBI_NH_ASID\",\"asid\":1}", SYNC)),
                json("plan", "--size", "2M", "--strategy", "linux", "--no-ril", "--json"));
    }

    @Test
    void every_strategy_gets_one_line_in_order() {
        List<String> lines = json("plan", "--iova", "0x80001000", "--size", "4000K", "--json");
        assertEquals(3, lines.size());
        assertTrue(lines.get(0).startsWith("{\"strategy\":\"per-page\""), lines.get(0));
        assertTrue(lines.get(1).startsWith("{\"strategy\":\"linux\""), lines.get(1));
        // no other live entry: one ASID-wide invalidation is the cheapest
        assertEquals(line("optimal", "{\"op\":\"TLBI_NH_ASID\",\"asid\":1}", SYNC), lines.get(2));
        // with 300 other live entries their refills cost more than the exact plan: two
        // overlapping windows of 31 * 2^5 pages, the second ending at the last page
        assertEquals(List.of(line("optimal", va(0x8000_1000L, 30, 5), va(0x8000_1000L + 8 * 4096, 30, 5),
                SYNC)), json("plan", "--iova", "0x80001000", "--size", "4000K", "--strategy",
                "optimal", "--live-entries", "300", "--json"));
    }

    @Test
    void the_table_lists_the_commands_in_words() {
        CliRun run = CliRun.of("plan", "--iova", "0x80001000", "--size", "4000K");
        assertEquals(Main.OK, run.exit(), run::toString);
        assertTrue(run.out().contains("Strict unmap of 4000K (1000 pages of 4K) at 0x80001000"), run.out());
        assertTrue(run.out().contains("linux: 2 commands and 1 CMD_SYNC, modelled 360 ns"), run.out());
        assertTrue(run.out().contains("TLBI_NH_VA   asid=1 address=0x80001000 num=28 scale=3 tg=1 "
                + "ttl=3 leaf=true  covers 928K"), run.out());
        assertTrue(run.out().contains("... 993 more, the last: CMD_SYNC"), run.out());
    }

    @Test
    void a_range_ending_exactly_at_the_top_of_the_iova_space_is_accepted() {
        assertEquals(List.of(line("per-page", page(0xFFFF_FFFF_F000L), SYNC)), json("plan",
                "--iova", "0xfffffffff000", "--size", "4K", "--strategy", "per-page", "--json"));
        assertTrue(CliRun.of("plan", "--iova", "0xfffffffff000", "--size", "8K").oneLineError()
                .contains("past the 48-bit IOVA space"));
    }

    @Test
    void the_largest_asid_is_65535() {
        assertEquals(List.of(line("linux", "{\"op\":\"TLBI_NH_ASID\",\"asid\":65535}", SYNC)),
                json("plan", "--size", "2M", "--strategy", "linux", "--no-ril", "--asid", "65535",
                        "--json"));
    }

    @Test
    void the_table_names_the_smmu_and_accounts_for_every_command() {
        CliRun noRil = CliRun.of("plan", "--size", "4K", "--no-ril", "--strategy", "per-page");
        assertEquals(Main.OK, noRil.exit(), noRil::toString);
        assertTrue(noRil.out().startsWith("Strict unmap of 4K (1 page of 4K) at 0x0, ASID 1, "
                + "SMMU without RIL:"), noRil.out());
        assertTrue(noRil.out().contains("per-page: 1 command and 1 CMD_SYNC"), noRil.out());
        CliRun ril = CliRun.of("plan", "--size", "4K", "--strategy", "per-page");
        assertTrue(ril.out().startsWith("Strict unmap of 4K (1 page of 4K) at 0x0, ASID 1, "
                + "SMMU with RIL:"), ril.out());
        // per-page: one command per page and a sync; every one listed or counted, never a
        // summary standing for a single command or for none
        for (int pages = 1; pages <= 12; pages++) {
            CliRun run = CliRun.of("plan", "--size", pages * 4 + "K", "--strategy", "per-page");
            assertEquals(Main.OK, run.exit(), run::toString);
            List<String> lines = run.lines();
            long listed = lines.stream().filter(l -> l.startsWith("  TLBI_NH_VA")
                    || l.equals("  CMD_SYNC")).count();
            String more = lines.stream().filter(l -> l.startsWith("  ... ")).findFirst().orElse(null);
            int p = pages;
            if (more == null) {
                assertEquals(pages + 1, listed, run::out);
                assertEquals("  CMD_SYNC", lines.get(lines.size() - 1), run::out);
            } else {
                long rest = Long.parseLong(more.split(" ", -1)[3]);
                assertTrue(rest >= 2, () -> p + " pages: " + run.out());
                assertEquals(pages + 1, listed + rest, run::out);
                assertTrue(more.endsWith("the last: CMD_SYNC"), more);
            }
        }
    }

    @Test
    void a_signed_hex_value_is_refused_naming_the_option_as_typed() {
        assertTrue(CliRun.of("plan", "--iova", "0x-1000", "--size", "4K").oneLineError()
                .startsWith("dmalib plan: --iova=0x-1000: "));
        assertTrue(CliRun.of("plan", "--size", "0x-1000").oneLineError()
                .startsWith("dmalib plan: --size=0x-1000: "));
    }

    @Test
    void bad_arguments_are_one_line_and_exit_2() {
        assertTrue(CliRun.of("plan", "--size", "12Q").oneLineError()
                .contains("--size=12Q: unknown suffix 'Q'"));
        assertTrue(CliRun.of("plan", "--size", "4K", "--granule", "8K").oneLineError()
                .contains("--granule=8K: must be 4K, 16K or 64K"));
        assertTrue(CliRun.of("plan", "--size=-4K").oneLineError()
                .contains("--size=-4K: must not be negative"));
        assertTrue(CliRun.of("plan", "--size", "6K").oneLineError()
                .contains("--size=6K: not a multiple of the granule 4K"));
        assertTrue(CliRun.of("plan", "--iova", "0x800", "--size", "4K").oneLineError()
                .contains("--iova=0x800: not a multiple of the granule 4K"));
        assertTrue(CliRun.of("plan", "--size", "64K", "--granule", "64K", "--iova", "0x1000")
                .oneLineError().contains("--iova=0x1000: not a multiple of the granule 64K"));
        assertTrue(CliRun.of("plan", "--size", "4K", "--live-entries=-3").oneLineError()
                .contains("--live-entries=-3: must not be negative"));
        assertTrue(CliRun.of("plan", "--size", "4K", "--asid", "65536").oneLineError()
                .contains("--asid=65536: must be 0 to 65535"));
        assertTrue(CliRun.of("plan", "--size", "4K", "--strategy", "fast").oneLineError()
                .contains("unknown strategy 'fast'"));
        assertTrue(CliRun.of("plan", "--size", "1G", "--iova", "0xffffffff0000").oneLineError()
                .contains("past the 48-bit IOVA space"));
        CliRun.of("plan").oneLineError();
    }

    @Test
    void a_plan_too_long_to_list_prints_nothing_but_the_error() {
        // 2^36 per-page commands: refused, and the linux plan before it is not printed either,
        // so that no partial table or JSON goes out with exit status 2
        for (String json : new String[] {"--json", "--json=false"}) {
            CliRun run = CliRun.of("plan", "--size", "0x1000000000000", "--strategy",
                    "linux,per-page", json);
            assertTrue(run.oneLineError().startsWith("dmalib plan: "), run.err());
            assertEquals("", run.out(), json);
        }
    }
}
