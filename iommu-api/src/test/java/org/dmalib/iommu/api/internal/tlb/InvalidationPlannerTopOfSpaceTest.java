package org.dmalib.iommu.api.internal.tlb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.internal.tlb.TlbCommand.CmdSync;
import org.dmalib.iommu.api.internal.tlb.TlbCommand.TlbiNhAsid;
import org.dmalib.iommu.api.internal.tlb.TlbCommand.TlbiNhVa;
import org.junit.jupiter.api.Test;

/**
 * Ranges at the top of a 63-bit space, ending exactly at 2^63 (their last byte
 * {@code Long.MAX_VALUE}): every planner plans them as it plans any other range, and one
 * granule more is refused.
 */
class InvalidationPlannerTopOfSpaceTest {
    private static final long SZ_4K = 1L << 12;
    private static final long SZ_16K = 1L << 14;
    private static final long SZ_64K = 1L << 16;
    private static final long SZ_2M = 1L << 21;
    private static final int ASID = 7;
    private static final TlbCommand SYNC = new CmdSync();
    // enough live entries that an ASID-wide invalidation never beats the exact plan
    private static final RefillEstimate MANY_LIVE = new RefillEstimate(100_000, 4);

    /** Returns the first byte of the {@code size} bytes that end exactly at 2^63. */
    private static long top(long size) {
        return Long.MAX_VALUE - size + 1;
    }

    private static InvalidationRequest atTop(long size, long granule, boolean leaf, long tg,
            boolean ril) {
        return new InvalidationRequest(ASID, top(size), size, granule, leaf, tg, ril);
    }

    private static InvalidationRequest leafAtTop(long size, boolean ril) {
        return atTop(size, SZ_4K, true, SZ_4K, ril);
    }

    private static TlbCommand page(long address) {
        return TlbiNhVa.page(ASID, address, true);
    }

    @Test
    void a_request_may_end_exactly_at_2_to_the_63_and_one_granule_past_it_is_refused_naming_it() {
        InvalidationRequest r = leafAtTop(SZ_4K, true);
        assertEquals(0x7FFF_FFFF_FFFF_F000L, r.iova());
        assertEquals(Long.MAX_VALUE, r.last());
        assertEquals(Long.MAX_VALUE, new InvalidationRequest(ASID, 1L << 62, 1L << 62, SZ_4K, true,
                SZ_4K, true).last());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new InvalidationRequest(ASID, top(SZ_4K), 2 * SZ_4K, SZ_4K, true, SZ_4K, true));
        assertTrue(e.getMessage().contains("size=0x2000 from iova=0x7ffffffffffff000 ends past 2^63"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new InvalidationRequest(ASID,
                top(SZ_64K), 2 * SZ_64K, SZ_64K, true, SZ_64K, true));
        assertTrue(e.getMessage().contains("size=0x20000 from iova=0x7fffffffffff0000"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new InvalidationRequest(ASID,
                top(SZ_2M), SZ_2M + SZ_4K, SZ_4K, false, SZ_4K, true));
    }

    @Test
    void per_page_plans_the_top_pages_one_command_each() {
        for (boolean ril : new boolean[] {true, false}) {
            InvalidationRequest r = leafAtTop(3 * SZ_4K, ril);
            List<TlbCommand> expected = List.of(page(top(3 * SZ_4K)), page(top(2 * SZ_4K)),
                    page(top(SZ_4K)), SYNC);
            assertEquals(expected, InvalidationPlanner.perPage(r));
            assertEquals(expected, InvalidationPlanner.plan(InvalidationStrategy.PER_PAGE, r,
                    CostModel.GEM5, MANY_LIVE));
        }
        assertEquals(List.of(page(top(SZ_2M)), SYNC), InvalidationPlanner.perPage(
                atTop(SZ_2M, SZ_2M, true, SZ_4K, true)), "the top 2 MiB block");
    }

    @Test
    void linux_with_ril_plans_the_top_pages_with_its_windows() {
        // the top page: one range command, SCALE 0 NUM 0 TTL 3
        assertEquals(List.of(new TlbiNhVa(ASID, top(SZ_4K), 0, 0, 1, 3, true), SYNC),
                InvalidationPlanner.linux(leafAtTop(SZ_4K, true)));
        // 1000 pages up to the top: the reference example's two windows, the second ending there
        long base = top(1000 * SZ_4K);
        List<TlbCommand> thousand = List.of(new TlbiNhVa(ASID, base, 28, 3, 1, 3, true),
                new TlbiNhVa(ASID, base + 232 * SZ_4K, 2, 8, 1, 3, true), SYNC);
        assertEquals(thousand, InvalidationPlanner.linux(leafAtTop(1000 * SZ_4K, true)));
        assertEquals(thousand, InvalidationPlanner.plan(InvalidationStrategy.LINUX,
                leafAtTop(1000 * SZ_4K, true), CostModel.GEM5, MANY_LIVE));
        // the top 2 MiB block: 512 pages, SCALE 9, TTL 2; and the top 64 KiB page, TG 3
        assertEquals(List.of(new TlbiNhVa(ASID, top(SZ_2M), 0, 9, 1, 2, true), SYNC),
                InvalidationPlanner.linux(atTop(SZ_2M, SZ_2M, true, SZ_4K, true)));
        assertEquals(List.of(new TlbiNhVa(ASID, top(SZ_64K), 0, 0, 3, 3, true), SYNC),
                InvalidationPlanner.linux(atTop(SZ_64K, SZ_64K, true, SZ_64K, true)));
        assertEquals(List.of(new TlbiNhVa(ASID, top(SZ_16K), 0, 0, 2, 3, true), SYNC),
                InvalidationPlanner.linux(atTop(SZ_16K, SZ_16K, true, SZ_16K, true)));
        // the walk flush of the top table of 4 KiB leaves: one command without TTL
        assertEquals(List.of(new TlbiNhVa(ASID, top(SZ_2M), 0, 9, 1, 0, false), SYNC),
                InvalidationPlanner.linux(atTop(SZ_2M, SZ_4K, false, SZ_4K, true)));
        // a non-leaf 33 pages is widened to 34 as anywhere: the extra page lies above 2^63,
        // where nothing is mapped (the erratum workaround widens upward in Linux too)
        assertEquals(List.of(new TlbiNhVa(ASID, top(33 * SZ_4K), 16, 1, 1, 0, false), SYNC),
                InvalidationPlanner.linux(atTop(33 * SZ_4K, SZ_4K, false, SZ_4K, true)));
    }

    @Test
    void linux_without_ril_plans_the_top_pages_per_page_or_asid_wide() {
        assertEquals(List.of(page(top(SZ_4K)), SYNC),
                InvalidationPlanner.linux(leafAtTop(SZ_4K, false)));
        List<TlbCommand> below = InvalidationPlanner.linux(leafAtTop(511 * SZ_4K, false));
        assertEquals(512, below.size());
        assertEquals(page(top(511 * SZ_4K)), below.get(0));
        assertEquals(page(top(SZ_4K)), below.get(510));
        assertEquals(List.of(new TlbiNhAsid(ASID), SYNC),
                InvalidationPlanner.linux(leafAtTop(512 * SZ_4K, false)));
    }

    @Test
    void optimal_plans_the_top_pages_with_the_fewest_commands() {
        long base = top(1000 * SZ_4K);
        // two overlapping windows of 992 pages, the second ending at 2^63
        assertEquals(List.of(new TlbiNhVa(ASID, base, 30, 5, 1, 3, true),
                        new TlbiNhVa(ASID, base + 8 * SZ_4K, 30, 5, 1, 3, true), SYNC),
                InvalidationPlanner.optimal(leafAtTop(1000 * SZ_4K, true), CostModel.GEM5,
                        MANY_LIVE));
        assertEquals(List.of(new TlbiNhVa(ASID, top(SZ_4K), 0, 0, 1, 3, true), SYNC),
                InvalidationPlanner.optimal(leafAtTop(SZ_4K, true), CostModel.GEM5, MANY_LIVE));
        // a non-leaf single page: two pages (SCALE 1), widened upward as Linux does
        assertEquals(List.of(new TlbiNhVa(ASID, top(SZ_4K), 0, 1, 1, 0, false), SYNC),
                InvalidationPlanner.optimal(atTop(SZ_4K, SZ_4K, false, SZ_4K, true),
                        CostModel.GEM5, MANY_LIVE));
        // without RIL: one command per page
        assertEquals(List.of(page(top(2 * SZ_4K)), page(top(SZ_4K)), SYNC),
                InvalidationPlanner.plan(InvalidationStrategy.OPTIMAL, leafAtTop(2 * SZ_4K, false),
                        CostModel.GEM5, MANY_LIVE));
    }

    @Test
    void every_plan_covers_exactly_a_random_range_ending_at_the_top() {
        Random rnd = new Random(63);
        long[] tgs = {SZ_4K, SZ_16K, SZ_64K};
        for (int i = 0; i < 2_000; i++) {
            long tg = tgs[rnd.nextInt(3)];
            long granule = tg << (rnd.nextInt(4) == 0 ? Long.numberOfTrailingZeros(tg) - 3 : 0);
            long size = granule * (1L + (rnd.nextBoolean() ? rnd.nextInt(64) : rnd.nextInt(5_000)));
            InvalidationRequest r = atTop(size, granule, rnd.nextBoolean(), tg, rnd.nextBoolean());
            assertEquals(Long.MAX_VALUE, r.last());
            RefillEstimate refills = new RefillEstimate(rnd.nextInt(5000), 1 + rnd.nextInt(4));
            for (InvalidationStrategy s : InvalidationStrategy.values()) {
                InvalidationPlannerTest.assertCovers(r, s,
                        InvalidationPlanner.plan(s, r, CostModel.GEM5, refills));
            }
        }
    }
}
