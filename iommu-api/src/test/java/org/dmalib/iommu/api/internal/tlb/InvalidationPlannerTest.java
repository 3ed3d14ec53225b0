package org.dmalib.iommu.api.internal.tlb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.internal.tlb.TlbCommand.CmdSync;
import org.dmalib.iommu.api.internal.tlb.TlbCommand.TlbiNhAsid;
import org.dmalib.iommu.api.internal.tlb.TlbCommand.TlbiNhVa;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class InvalidationPlannerTest {
    private static final long SZ_4K = 1L << 12;
    private static final long SZ_16K = 1L << 14;
    private static final long SZ_64K = 1L << 16;
    private static final long SZ_2M = 1L << 21;
    private static final long SZ_1G = 1L << 30;
    private static final int ASID = 7;
    private static final TlbCommand SYNC = new CmdSync();

    private static InvalidationRequest leaf(long iova, long size, long granule, boolean ril) {
        return new InvalidationRequest(ASID, iova, size, granule, true, SZ_4K, ril);
    }

    private static List<TlbCommand> linuxRil(long pages) {
        return InvalidationPlanner.linux(leaf(SZ_1G, pages * SZ_4K, SZ_4K, true));
    }

    @Test
    void linux_ril_reference_examples() {
        // 1 GiB = 2^18 pages: one command, SCALE 18, NUM field 0
        assertEquals(List.of(new TlbiNhVa(ASID, SZ_1G, 0, 18, 1, 3, true), SYNC), linuxRil(1 << 18));
        // 1 GiB + 4 KiB: two commands
        assertEquals(3, linuxRil((1 << 18) + 1).size());
        // 100 pages = 0b1100100: SCALE 2, NUM field 24
        assertEquals(List.of(new TlbiNhVa(ASID, SZ_1G, 24, 2, 1, 3, true), SYNC), linuxRil(100));
        // 1000 pages: SCALE 3 NUM 28 (232 pages), then SCALE 8 NUM 2 (768 pages)
        assertEquals(List.of(new TlbiNhVa(ASID, SZ_1G, 28, 3, 1, 3, true),
                new TlbiNhVa(ASID, SZ_1G + 232 * SZ_4K, 2, 8, 1, 3, true), SYNC), linuxRil(1000));
    }

    @Test
    void linux_ril_encodes_tg_and_the_leaf_level() {
        TlbiNhVa block = (TlbiNhVa) InvalidationPlanner.linux(leaf(0, 4 * SZ_2M, SZ_2M, true)).get(0);
        assertEquals(2, block.ttl());
        assertEquals(1, block.tg());
        TlbiNhVa giant = (TlbiNhVa) InvalidationPlanner.linux(leaf(0, SZ_1G, SZ_1G, true)).get(0);
        assertEquals(1, giant.ttl());
        TlbiNhVa k16 = (TlbiNhVa) InvalidationPlanner.linux(
                new InvalidationRequest(ASID, 0, SZ_16K, SZ_16K, true, SZ_16K, true)).get(0);
        assertEquals(2, k16.tg());
        assertEquals(3, k16.ttl());
        TlbiNhVa k64 = (TlbiNhVa) InvalidationPlanner.linux(
                new InvalidationRequest(ASID, 0, SZ_64K * 3, SZ_64K, true, SZ_64K, true)).get(0);
        assertEquals(3, k64.tg());
        assertEquals(SZ_64K * 3, k64.rangeBytes());
    }

    @Test
    void linux_ril_non_leaf_has_no_ttl_and_never_scale_0_num_0() {
        InvalidationRequest walk = new InvalidationRequest(ASID, 0, 33 * SZ_4K, SZ_4K, false, SZ_4K, true);
        List<TlbCommand> plan = InvalidationPlanner.linux(walk);
        // 33 pages & 31 == 1: Linux invalidates 34 (SCALE 1 NUM 16)
        assertEquals(List.of(new TlbiNhVa(ASID, 0, 16, 1, 1, 0, false), SYNC), plan);
        InvalidationRequest one = new InvalidationRequest(ASID, 0, SZ_4K, SZ_4K, false, SZ_4K, true);
        assertEquals(List.of(new TlbiNhVa(ASID, 0, 0, 1, 1, 0, false), SYNC),
                InvalidationPlanner.linux(one));
    }

    @Test
    void linux_without_ril_cuts_over_to_asid_at_granule_over_8_granules() {
        assertEquals(512 * SZ_4K, InvalidationPlanner.linuxAsidThreshold(SZ_4K));
        assertEquals(8192 * SZ_64K, InvalidationPlanner.linuxAsidThreshold(SZ_64K));
        List<TlbCommand> below = InvalidationPlanner.linux(leaf(0, 511 * SZ_4K, SZ_4K, false));
        assertEquals(512, below.size());
        assertEquals(TlbiNhVa.page(ASID, 510 * SZ_4K, true), below.get(510));
        assertEquals(SYNC, below.get(511));
        assertEquals(List.of(new TlbiNhAsid(ASID), SYNC),
                InvalidationPlanner.linux(leaf(0, 512 * SZ_4K, SZ_4K, false)));
        InvalidationRequest k64Below = new InvalidationRequest(ASID, 0, 8191 * SZ_64K, SZ_64K, true, SZ_64K, false);
        assertEquals(8192, InvalidationPlanner.linux(k64Below).size());
        InvalidationRequest k64At = new InvalidationRequest(ASID, 0, 8192 * SZ_64K, SZ_64K, true, SZ_64K, false);
        assertEquals(List.of(new TlbiNhAsid(ASID), SYNC), InvalidationPlanner.linux(k64At));
        // the threshold scales with the gathered granule: 511 blocks of 2 MiB are still per page
        assertEquals(512, InvalidationPlanner.linux(leaf(0, 511 * SZ_2M, SZ_2M, false)).size());
        assertThrows(IllegalArgumentException.class, () -> InvalidationPlanner.linuxAsidThreshold(SZ_4K / 2));
    }

    @Test
    void per_page_is_one_non_range_command_per_granule_computed_on_demand() {
        List<TlbCommand> plan = InvalidationPlanner.perPage(leaf(0, 1L << 40, SZ_4K, true));
        assertEquals((1 << 28) + 1, plan.size());
        assertEquals(TlbiNhVa.page(ASID, (1L << 40) - SZ_4K, true), plan.get((1 << 28) - 1));
        assertEquals(SYNC, plan.get(1 << 28));
        assertThrows(IndexOutOfBoundsException.class, () -> plan.get((1 << 28) + 1));
        assertThrows(IllegalArgumentException.class,
                () -> InvalidationPlanner.perPage(leaf(0, 1L << 44, SZ_4K, true)));
        List<TlbCommand> blocks = InvalidationPlanner.perPage(leaf(SZ_1G, 3 * SZ_2M, SZ_2M, true));
        assertEquals(List.of(TlbiNhVa.page(ASID, SZ_1G, true), TlbiNhVa.page(ASID, SZ_1G + SZ_2M, true),
                TlbiNhVa.page(ASID, SZ_1G + 2 * SZ_2M, true), SYNC), blocks);
    }

    @Test
    void optimal_ril_uses_one_window_or_two_overlapping_ones() {
        RefillEstimate someLive = new RefillEstimate(10, 4);
        List<TlbCommand> p = InvalidationPlanner.optimal(leaf(SZ_1G, 1000 * SZ_4K, SZ_4K, true),
                CostModel.GEM5, someLive);
        // 1000 is no (NUM+1)*2^SCALE; the largest window below it is 31*32 = 992
        assertEquals(List.of(new TlbiNhVa(ASID, SZ_1G, 30, 5, 1, 3, true),
                new TlbiNhVa(ASID, SZ_1G + 8 * SZ_4K, 30, 5, 1, 3, true), SYNC), p);
        assertEquals(2, InvalidationPlanner.optimal(leaf(0, 100 * SZ_4K, SZ_4K, true),
                CostModel.GEM5, someLive).size());
        // with nothing else live, one ASID-wide command beats two range commands
        assertEquals(List.of(new TlbiNhAsid(ASID), SYNC), InvalidationPlanner.optimal(
                leaf(0, 1000 * SZ_4K, SZ_4K, true), CostModel.GEM5, RefillEstimate.NONE));
    }

    @Test
    void optimal_goes_asid_wide_only_when_the_cost_model_says_so() {
        InvalidationRequest r = leaf(0, 1000 * SZ_4K, SZ_4K, false);
        // per page: 1000 * 30 + 300 ns; ASID: 30 + 300 + L * (27 + 4 * 30) ns: cheaper for L < 204
        assertEquals(List.of(new TlbiNhAsid(ASID), SYNC),
                InvalidationPlanner.optimal(r, CostModel.GEM5, new RefillEstimate(203, 4)));
        assertEquals(1001, InvalidationPlanner.optimal(r, CostModel.GEM5, new RefillEstimate(204, 4)).size());
        // with RIL two commands are always cheaper than any refill
        assertEquals(3, InvalidationPlanner.optimal(leaf(0, 1000 * SZ_4K, SZ_4K, true),
                CostModel.GEM5, new RefillEstimate(1, 1)).size());
    }

    @Test
    void every_plan_covers_exactly_the_invalidated_range() {
        Random rnd = new Random(2015);
        long[] tgs = {SZ_4K, SZ_16K, SZ_64K};
        for (int i = 0; i < 4_000; i++) {
            long tg = tgs[rnd.nextInt(3)];
            long granule = tg << (rnd.nextInt(4) == 0 ? Long.numberOfTrailingZeros(tg) - 3 : 0);
            boolean leaf = rnd.nextBoolean();
            boolean ril = rnd.nextBoolean();
            long granules = 1L + (rnd.nextBoolean() ? rnd.nextInt(64) : rnd.nextInt(5_000));
            long iova = (rnd.nextLong() & 0xFFFF_FFFF_FFFFL) & -granule;
            InvalidationRequest r = new InvalidationRequest(rnd.nextInt(1 << 16), iova,
                    granules * granule, granule, leaf, tg, ril);
            RefillEstimate refills = new RefillEstimate(rnd.nextInt(5000), 1 + rnd.nextInt(4));
            for (InvalidationStrategy s : InvalidationStrategy.values()) {
                List<TlbCommand> plan = InvalidationPlanner.plan(s, r, CostModel.GEM5, refills);
                assertCovers(r, s, plan);
            }
        }
    }

    static void assertCovers(InvalidationRequest r, InvalidationStrategy s, List<TlbCommand> plan) {
        String what = s + " " + r;
        assertEquals(SYNC, plan.get(plan.size() - 1), what);
        assertEquals(1, plan.stream().filter(c -> c instanceof CmdSync).count(), what);
        if (plan.get(0) instanceof TlbiNhAsid asid) {
            assertEquals(2, plan.size(), what);
            assertEquals(r.asid(), asid.asid(), what);
            assertTrue(s != InvalidationStrategy.PER_PAGE, what);
            return;
        }
        long[][] spans = new long[plan.size() - 1][];
        for (int i = 0; i < spans.length; i++) {
            TlbiNhVa c = (TlbiNhVa) plan.get(i);
            assertEquals(r.asid(), c.asid(), what);
            assertEquals(r.leaf(), c.leaf(), what);
            long len = c.isRange() ? c.rangeBytes() : r.granule();
            if (c.isRange()) {
                assertEquals(r.minPageSize(), c.granuleBytes(), what);
                assertFalse(!r.leaf() && c.num() == 0 && c.scale() == 0, "non-leaf SCALE=NUM=0: " + what);
            }
            // offsets from the request's first byte: at the top of a 63-bit space the end of
            // a span is 2^63 or above, which no long holds
            long offset = c.address() - r.iova();
            spans[i] = new long[] {offset, offset + len};
        }
        Arrays.sort(spans, Comparator.comparingLong(a -> a[0]));
        long start = spans[0][0];
        long end = spans[0][1];
        for (long[] sp : spans) {
            assertTrue(sp[0] <= end, "gap in " + what);
            end = Math.max(end, sp[1]);
        }
        assertEquals(0, start, what);
        // the only over-coverage is the non-leaf erratum workaround: one page more
        boolean widened = !r.leaf() && r.ril() && s != InvalidationStrategy.PER_PAGE
                && (s == InvalidationStrategy.LINUX ? (r.pages() & 31) == 1 : r.pages() == 1);
        assertEquals(r.size() + (widened ? r.minPageSize() : 0), end, what);
    }

    @Test
    void optimal_is_never_worse_than_linux_nor_linux_than_per_page() {
        Random rnd = new Random(6);
        for (int i = 0; i < 20_000; i++) {
            boolean ril = rnd.nextBoolean();
            long granule = rnd.nextInt(3) == 0 ? SZ_2M : SZ_4K;
            long granules = 1L + rnd.nextInt(rnd.nextBoolean() ? 40 : 200_000);
            InvalidationRequest r = new InvalidationRequest(ASID, SZ_1G, granules * granule, granule,
                    rnd.nextBoolean(), SZ_4K, ril);
            int perPage = InvalidationPlanner.perPage(r).size();
            int linux = InvalidationPlanner.linux(r).size();
            int optimal = InvalidationPlanner.optimal(r, CostModel.GEM5, RefillEstimate.NONE).size();
            assertTrue(optimal <= linux && linux <= perPage,
                    r + ": optimal=" + optimal + " linux=" + linux + " perPage=" + perPage);
        }
    }

    /**
     * Brute force: the fewest windows {@code (NUM+1) * 2^SCALE} whose union is exactly
     * {@code [0, n)}. best[e] = fewest windows covering exactly [0, e); a window ending at e
     * starts at e - w >= 0 and must reach back to the covered prefix c >= e - w.
     */
    @Test
    void optimal_ril_is_minimal_by_brute_force_up_to_2048_pages() {
        final int max = 2048;
        List<Integer> windows = new ArrayList<>();
        for (int w = 1; w <= max; w++) {
            if (isWindowByFields(w)) {
                windows.add(w);
            }
        }
        int[] best = new int[max + 1];
        int[] disjoint = new int[max + 1];
        Arrays.fill(best, Integer.MAX_VALUE / 2);
        Arrays.fill(disjoint, Integer.MAX_VALUE / 2);
        best[0] = 0;
        disjoint[0] = 0;
        for (int e = 1; e <= max; e++) {
            int widest = 0;
            for (int w : windows) {
                if (w > e) {
                    break;
                }
                disjoint[e] = Math.min(disjoint[e], disjoint[e - w] + 1);
                widest = w;
            }
            // a narrower window ending at e reaches back to fewer prefixes: the widest suffices
            for (int c = e - widest; c < e; c++) {
                best[e] = Math.min(best[e], best[c] + 1);
            }
        }
        for (int n = 1; n <= max; n++) {
            InvalidationRequest r = leaf(0, n * SZ_4K, SZ_4K, true);
            List<TlbCommand> optimal = InvalidationPlanner.optimal(r, CostModel.GEM5, RefillEstimate.NONE);
            List<TlbCommand> rangeOnly = optimal.get(0) instanceof TlbiNhAsid
                    ? null : optimal;
            long windowsUsed = InvalidationPlanner.fewestWindows(r);
            assertEquals(best[n], windowsUsed, "n=" + n);
            if (rangeOnly != null) {
                assertEquals(best[n] + 1, rangeOnly.size(), "n=" + n);
            }
            // Linux's windows are disjoint: never fewer than the disjoint optimum
            assertTrue(linuxRil(n).size() - 1 >= disjoint[n], "n=" + n);
            assertTrue(disjoint[n] >= best[n], "n=" + n);
        }
    }

    private static boolean isWindowByFields(long w) {
        for (int scale = 0; scale <= 31; scale++) {
            for (int num = 0; num <= 31; num++) {
                if ((long) (num + 1) << scale == w) {
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    void window_helpers_agree_with_the_fields() {
        for (long w = 1; w <= 5000; w++) {
            assertEquals(isWindowByFields(w), InvalidationPlanner.isWindow(w), "w=" + w);
            long largest = InvalidationPlanner.largestWindow(w);
            assertTrue(largest <= w && isWindowByFields(largest) && 2 * largest >= w, "w=" + w);
        }
        // beyond the largest window, 32 * 2^31 granules: ceil(n / that) commands
        InvalidationRequest largest = new InvalidationRequest(ASID, 0, 1L << 52, SZ_64K, true, SZ_64K, true);
        assertEquals(1, InvalidationPlanner.fewestWindows(largest));
        InvalidationRequest bigger = new InvalidationRequest(ASID, 0, (1L << 52) + SZ_64K, SZ_64K, true, SZ_64K, true);
        assertEquals(2, InvalidationPlanner.fewestWindows(bigger));
        assertEquals(3, InvalidationPlanner.optimal(bigger, CostModel.GEM5, new RefillEstimate(1L << 40, 4)).size());
        InvalidationRequest triple = new InvalidationRequest(ASID, 0, 3L << 52, SZ_64K, true, SZ_64K, true);
        assertEquals(3, InvalidationPlanner.fewestWindows(triple));
    }

    @Test
    void linux_refuses_a_scale_its_field_cannot_hold() {
        InvalidationRequest r = leaf(0, 1L << 44, SZ_4K, true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InvalidationPlanner.linux(r));
        assertTrue(e.getMessage().contains("SCALE=32"), e.getMessage());
    }

    @Test
    void a_plan_of_a_range_linux_cannot_encode_is_asid_wide() {
        // 2^32 pages, and 2^32 + 1 (one window of SCALE 0, then SCALE 32): both refused by linux
        for (long size : new long[] {1L << 44, (1L << 44) + SZ_4K}) {
            InvalidationRequest r = leaf(0, size, SZ_4K, true);
            assertThrows(IllegalArgumentException.class, () -> InvalidationPlanner.linux(r));
            assertEquals(List.of(new TlbiNhAsid(ASID), SYNC), InvalidationPlanner.plan(
                    InvalidationStrategy.LINUX, r, CostModel.GEM5, RefillEstimate.NONE));
        }
        // the largest range linux encodes keeps its range commands
        InvalidationRequest fits = leaf(0, (1L << 44) - SZ_4K, SZ_4K, true);
        assertEquals(InvalidationPlanner.linux(fits), InvalidationPlanner.plan(
                InvalidationStrategy.LINUX, fits, CostModel.GEM5, RefillEstimate.NONE));
    }

    @Test
    void commands_are_validated_raw_fields_with_the_cli_json() {
        TlbiNhVa c = new TlbiNhVa(1, 0x1000, 24, 2, 1, 3, true);
        assertEquals(100, c.granules());
        assertEquals(100 * SZ_4K, c.rangeBytes());
        assertEquals("{\"op\":\"TLBI_NH_VA\",\"address\":4096,\"num\":24,\"scale\":2,\"tg\":1,\"ttl\":3,\"leaf\":true}",
                c.json());
        assertEquals("{\"op\":\"TLBI_NH_ASID\",\"asid\":5}", new TlbiNhAsid(5).json());
        assertEquals("{\"op\":\"CMD_SYNC\"}", SYNC.json());
        assertEquals("{\"op\":\"TLBI_NH_ALL\"}", new TlbCommand.TlbiNhAll().json());
        assertEquals(0, TlbiNhVa.page(1, 0, false).rangeBytes());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TlbiNhVa(1, 0x1800, 0, 0, 0, 0, true));
        assertTrue(e.getMessage().contains("address=0x1800"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TlbiNhVa(1, 0, 32, 0, 1, 0, true));
        assertThrows(IllegalArgumentException.class, () -> new TlbiNhVa(1, 0, 1, 0, 0, 0, true));
        assertThrows(IllegalArgumentException.class, () -> new TlbiNhAsid(1 << 16));
        assertThrows(IllegalArgumentException.class,
                () -> new InvalidationRequest(1, 0x1000, SZ_2M, SZ_2M, true, SZ_4K, true));
        assertThrows(IllegalArgumentException.class,
                () -> new InvalidationRequest(1, 0, SZ_4K, SZ_4K, true, SZ_2M, true));
        assertThrows(IllegalArgumentException.class,
                () -> new InvalidationRequest(1, 0, 0, SZ_4K, true, SZ_4K, true));
    }

    @Test
    void linux_accepts_the_largest_scale_its_field_holds() {
        // 2^31 pages of 4 KiB: SCALE 31, NUM field 0, the most one command can say at SCALE 31
        assertEquals(List.of(new TlbiNhVa(ASID, 0, 0, 31, 1, 3, true), SYNC),
                InvalidationPlanner.linux(leaf(0, 1L << 43, SZ_4K, true)));
    }

    @Test
    void optimal_keeps_the_exact_plan_on_a_cost_tie() {
        // no miss cycles: per page 2 * 30 + 300 ns; ASID-wide 30 + 300 + 1 refill of 1 read * 30
        CostModel noMissCycles = new CostModel(1.0, 0, 0, 0, 0, 0, 0, 30.0, 300.0);
        InvalidationRequest r = leaf(0, 2 * SZ_4K, SZ_4K, false);
        assertEquals(List.of(TlbiNhVa.page(ASID, 0, true), TlbiNhVa.page(ASID, SZ_4K, true), SYNC),
                InvalidationPlanner.optimal(r, noMissCycles, new RefillEstimate(1, 1)));
        assertEquals(List.of(new TlbiNhAsid(ASID), SYNC),
                InvalidationPlanner.optimal(r, noMissCycles, RefillEstimate.NONE));
    }

    @Test
    void the_linux_asid_threshold_holds_for_every_power_of_two_granule() {
        assertEquals(1L << 57, InvalidationPlanner.linuxAsidThreshold(1L << 30));
        assertEquals(1L << 61, InvalidationPlanner.linuxAsidThreshold(1L << 32));
        // 2^30 granules of 2^33 bytes do not fit a long: never reached
        assertEquals(Long.MAX_VALUE, InvalidationPlanner.linuxAsidThreshold(1L << 33));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> InvalidationPlanner.linuxAsidThreshold(3 * SZ_4K));
        assertTrue(e.getMessage().contains("granule=0x3000"), e.getMessage());
    }

    @Test
    void optimal_beyond_two_largest_windows_tiles_them_from_the_start() {
        long window = 1L << 52; // 32 * 2^31 granules of 64 KiB
        InvalidationRequest triple = new InvalidationRequest(ASID, 0, 3 * window, SZ_64K, true, SZ_64K, true);
        assertEquals(List.of(new TlbiNhVa(ASID, 0, 31, 31, 3, 3, true),
                        new TlbiNhVa(ASID, window, 31, 31, 3, 3, true),
                        new TlbiNhVa(ASID, 2 * window, 31, 31, 3, 3, true), SYNC),
                InvalidationPlanner.optimal(triple, CostModel.GEM5, new RefillEstimate(1L << 40, 4)));
    }

    @Test
    void no_window_covers_zero_granules_and_the_largest_window_uses_scale_31() {
        assertFalse(InvalidationPlanner.isWindow(0));
        assertFalse(InvalidationPlanner.isWindow(-1));
        assertEquals(1L << 36, InvalidationPlanner.largestWindow(1L << 36));
        assertEquals(1L << 36, InvalidationPlanner.largestWindow(Long.MAX_VALUE));
    }

    @Test
    void requests_are_validated_at_their_bounds() {
        assertEquals(0, new InvalidationRequest(0, 0, SZ_4K, SZ_4K, true, SZ_4K, true).asid());
        assertEquals(TlbCommand.MAX_ASID, new InvalidationRequest(TlbCommand.MAX_ASID, 0, SZ_4K,
                SZ_4K, true, SZ_4K, true).asid());
        Map<String, Executable> bad = Map.of(
                "asid=-1", () -> new InvalidationRequest(-1, 0, SZ_4K, SZ_4K, true, SZ_4K, true),
                "asid=65536", () -> new InvalidationRequest(1 << 16, 0, SZ_4K, SZ_4K, true, SZ_4K, true),
                "minPageSize=0x2000", () -> new InvalidationRequest(1, 0, 0x2000, 0x2000, true, 0x2000, true),
                "granule=0x3000", () -> new InvalidationRequest(1, 0, 0x3000, 0x3000, true, SZ_4K, true),
                "size=0x4000000000001000", () -> new InvalidationRequest(1, 1L << 62,
                        (1L << 62) + SZ_4K, SZ_4K, true, SZ_4K, true));
        bad.forEach((named, construct) -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, construct);
            assertTrue(e.getMessage().startsWith(named), named + ": " + e.getMessage());
        });
        assertEquals(14, new InvalidationRequest(1, 0, SZ_16K, SZ_16K, true, SZ_16K, true).tgShift());
    }

    @Test
    void command_fields_are_validated_at_their_bounds() {
        assertEquals(0, new TlbiNhAsid(0).asid());
        assertEquals(TlbCommand.MAX_ASID, new TlbiNhAsid(TlbCommand.MAX_ASID).asid());
        assertEquals(TlbCommand.MAX_ASID, TlbiNhVa.page(TlbCommand.MAX_ASID, 0, true).asid());
        assertEquals(0, TlbiNhVa.page(0, 0, true).asid());
        Map<String, Executable> bad = Map.of(
                "asid=-1", () -> new TlbiNhAsid(-1),
                "asid=65536", () -> TlbiNhVa.page(1 << 16, 0, true),
                "address=0xfffffffffffff000", () -> TlbiNhVa.page(1, -SZ_4K, true),
                "num=-1", () -> new TlbiNhVa(1, 0, -1, 0, 1, 0, true),
                "scale=-1", () -> new TlbiNhVa(1, 0, 0, -1, 1, 0, true),
                "scale=32", () -> new TlbiNhVa(1, 0, 0, 32, 1, 0, true),
                "tg=-1", () -> new TlbiNhVa(1, 0, 0, 0, -1, 0, true),
                "tg=4", () -> new TlbiNhVa(1, 0, 0, 0, 4, 0, true),
                "ttl=4", () -> new TlbiNhVa(1, 0, 0, 0, 1, 4, true),
                "ttl=-1", () -> new TlbiNhVa(1, 0, 0, 0, 1, -1, true));
        bad.forEach((named, construct) -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, construct);
            assertTrue(e.getMessage().contains(named), named + ": " + e.getMessage());
        });
        // a non-range command carries no scale and no level
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new TlbiNhVa(1, 0, 0, 1, 0, 0, true))
                .getMessage().contains("scale=1"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new TlbiNhVa(1, 0, 0, 0, 0, 2, true))
                .getMessage().contains("ttl=2"));
    }

    @Test
    void a_per_granule_plan_may_be_as_long_as_a_list_holds_and_no_longer() {
        long most = Integer.MAX_VALUE - 1; // commands; the sync makes Integer.MAX_VALUE elements
        List<TlbCommand> plan = InvalidationPlanner.perPage(leaf(0, most * SZ_4K, SZ_4K, true));
        assertEquals(Integer.MAX_VALUE, plan.size());
        assertEquals(SYNC, plan.get(Integer.MAX_VALUE - 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> InvalidationPlanner.perPage(leaf(0, (most + 1) * SZ_4K, SZ_4K, true)));
        assertTrue(e.getMessage().contains("has 2147483647 commands"), e.getMessage());
    }
}
