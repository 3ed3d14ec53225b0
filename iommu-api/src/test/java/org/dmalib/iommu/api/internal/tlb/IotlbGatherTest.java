package org.dmalib.iommu.api.internal.tlb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class IotlbGatherTest {
    private static final long SZ_4K = 1L << 12;
    private static final long SZ_2M = 1L << 21;
    // the last 4 KiB page and 2 MiB block of a 63-bit space: each ends exactly at 2^63
    private static final long TOP_PAGE = Long.MAX_VALUE - SZ_4K + 1;
    private static final long TOP_BLOCK = Long.MAX_VALUE - SZ_2M + 1;

    /** What an early sync saw: the gathered range at the time of the call. */
    record Synced(long start, long end, long pgsize) {}

    private final List<Synced> synced = new ArrayList<>();

    private void sync(IotlbGather g) {
        synced.add(new Synced(g.start(), g.end(), g.pgsize()));
    }

    @Test
    void a_new_gather_is_empty() {
        IotlbGather g = new IotlbGather();
        assertTrue(g.isEmpty());
        assertEquals(Long.MAX_VALUE, g.start());
        assertEquals(0, g.end());
        assertEquals(0, g.pgsize());
        assertEquals(0, g.size());
        assertFalse(g.isQueued());
        assertFalse(g.isDisjoint(0x100000, SZ_4K));
    }

    @Test
    void adjacent_and_overlapping_pages_merge_without_a_sync() {
        IotlbGather g = new IotlbGather();
        g.addPage(0x10000, SZ_4K, this::sync);
        g.addPage(0x11000, SZ_4K, this::sync);
        g.addPage(0xF000, SZ_4K, this::sync);
        g.addPage(0x10000, SZ_4K, this::sync);
        assertEquals(List.of(), synced);
        assertEquals(0xF000, g.start());
        assertEquals(0x11FFF, g.end());
        assertEquals(3 * SZ_4K, g.size());
        assertEquals(SZ_4K, g.pgsize());
    }

    @Test
    void a_run_of_pages_is_its_pages_added_one_by_one() {
        // adjacent to what is gathered, then after a gap (one early sync), then another size
        long[][] runs = {{0x10000, SZ_4K, 3}, {0x13000, SZ_4K, 5}, {0x40000, SZ_4K, 2},
            {0x3F000, SZ_4K, 1}, {SZ_2M, SZ_2M, 4}};
        IotlbGather byRun = new IotlbGather();
        IotlbGather byPage = new IotlbGather();
        List<Synced> pageSyncs = new ArrayList<>();
        for (long[] r : runs) {
            byRun.addPages(r[0], r[1], r[2], this::sync);
            for (long j = 0; j < r[2]; j++) {
                byPage.addPage(r[0] + j * r[1], r[1],
                        g -> pageSyncs.add(new Synced(g.start(), g.end(), g.pgsize())));
            }
            assertEquals(byPage.toString(), byRun.toString());
        }
        assertEquals(pageSyncs, synced);
        assertEquals(2, synced.size(), "the gap and the size change");
    }

    @Test
    void a_bad_run_is_refused_and_changes_nothing() {
        IotlbGather g = new IotlbGather();
        g.addPage(0x10000, SZ_4K, this::sync);
        assertThrows(IllegalArgumentException.class, () -> g.addPages(0x11000, SZ_4K, 0, this::sync));
        assertThrows(IllegalArgumentException.class,
                () -> g.addPages(Long.MAX_VALUE - SZ_4K + 1, SZ_4K, 2, this::sync));
        assertThrows(IllegalArgumentException.class, () -> g.addPages(0x11800, SZ_4K, 2, this::sync));
        assertEquals(0x10000, g.start());
        assertEquals(0x10FFF, g.end());
        assertEquals(List.of(), synced);
    }

    @Test
    void a_gap_syncs_early_then_starts_over() {
        IotlbGather g = new IotlbGather();
        g.addPage(0x10000, SZ_4K, this::sync);
        g.addPage(0x12000, SZ_4K, this::sync);
        assertEquals(List.of(new Synced(0x10000, 0x10FFF, SZ_4K)), synced);
        assertEquals(0x12000, g.start());
        assertEquals(0x12FFF, g.end());
    }

    @Test
    void a_page_size_change_syncs_early_even_when_adjacent() {
        IotlbGather g = new IotlbGather();
        g.addPage(SZ_2M - SZ_4K, SZ_4K, this::sync);
        g.addPage(SZ_2M, SZ_2M, this::sync);
        assertEquals(List.of(new Synced(SZ_2M - SZ_4K, SZ_2M - 1, SZ_4K)), synced);
        assertEquals(SZ_2M, g.start());
        assertEquals(2 * SZ_2M - 1, g.end());
        assertEquals(SZ_2M, g.pgsize());
    }

    @Test
    void add_range_widens_without_touching_the_page_size_and_reset_clears_queued() {
        IotlbGather g = new IotlbGather();
        g.setQueued(true);
        g.addRange(0x4000, 0x2000);
        g.addRange(0x1000, 0x1000);
        assertEquals(0x1000, g.start());
        assertEquals(0x5FFF, g.end());
        assertTrue(g.isEmpty());
        assertTrue(g.isDisjoint(0x7000, SZ_4K));
        assertFalse(g.isDisjoint(0x6000, SZ_4K));
        g.reset();
        assertFalse(g.isQueued());
        assertEquals(Long.MAX_VALUE, g.start());
    }

    @Test
    void bad_pages_are_refused_and_change_nothing() {
        IotlbGather g = new IotlbGather();
        g.addPage(0x10000, SZ_4K, this::sync);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> g.addPage(0x11800, SZ_4K, this::sync));
        assertTrue(e.getMessage().contains("iova=0x11800"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> g.addPage(0x12000, 0x3000, this::sync));
        assertThrows(IllegalArgumentException.class, () -> g.addPage(-SZ_4K, SZ_4K, this::sync));
        assertThrows(IllegalArgumentException.class, () -> g.addRange(Long.MAX_VALUE - 1, SZ_4K));
        assertEquals(List.of(), synced);
        assertEquals(0x10FFF, g.end());
    }

    @Test
    void a_gap_of_two_bytes_is_a_gap_and_touching_is_not() {
        IotlbGather g = new IotlbGather();
        g.addRange(0x1002, 0xFFE); // [0x1002, 0x1fff]
        assertTrue(g.isDisjoint(0, 0x1000), "0x1000 and 0x1001 lie between");
        assertFalse(g.isDisjoint(0, 0x1002), "ends where the gathered range starts");
        assertFalse(g.isDisjoint(0x2000, 0x1000), "starts where the gathered range ends");
        assertTrue(g.isDisjoint(0x2001, 0x1000));
    }

    @Test
    void a_bad_disjointness_query_is_refused_naming_it() {
        IotlbGather g = new IotlbGather();
        g.addRange(0x1000, 0x1000);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> g.isDisjoint(-SZ_4K, SZ_4K));
        assertTrue(e.getMessage().contains("iova=0xfffffffffffff000"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> g.isDisjoint(0x3000, 0));
    }

    @Test
    void a_bad_page_of_another_size_is_refused_before_the_early_sync() {
        IotlbGather g = new IotlbGather();
        g.addPage(0x10000, SZ_4K, this::sync);
        // a differently sized page would sync first: the bad one must not get that far
        assertThrows(IllegalArgumentException.class, () -> g.addPage(-SZ_2M, SZ_2M, this::sync));
        assertEquals(List.of(), synced);
        assertEquals(0x10000, g.start());
        assertEquals(0x10FFF, g.end());
        assertEquals(SZ_4K, g.pgsize());
    }

    @Test
    void ranges_may_start_at_zero_and_end_at_the_last_address() {
        IotlbGather g = new IotlbGather();
        g.addRange(0, 1);
        assertEquals(0, g.start());
        g.addRange(Long.MAX_VALUE - 1, 1);
        assertEquals(Long.MAX_VALUE - 1, g.end());
        g.addRange(Long.MAX_VALUE, 1); // the last byte: the range ends exactly at 2^63
        assertEquals(Long.MAX_VALUE, g.end());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> g.addRange(0x1000, 0));
        assertTrue(e.getMessage().contains("size=0x0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> g.addRange(Long.MAX_VALUE, 2));
        assertTrue(e.getMessage().contains("iova=0x7fffffffffffffff size=0x2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> g.addRange(TOP_PAGE, SZ_4K + 1));
        assertThrows(IllegalArgumentException.class, () -> g.isDisjoint(TOP_PAGE + 1, SZ_4K));
        assertEquals(0, g.start());
        assertEquals(Long.MAX_VALUE, g.end());
    }

    @Test
    void a_run_reaching_the_top_of_the_address_space_is_taken_and_one_past_it_changes_nothing() {
        IotlbGather g = new IotlbGather();
        g.addPages(0, 1L << 62, 1, this::sync);
        assertEquals((1L << 62) - 1, g.end());
        IotlbGather whole = new IotlbGather();
        whole.addPages(0, 1L << 62, 2, this::sync); // all of [0, 2^63)
        assertEquals(0, whole.start());
        assertEquals(Long.MAX_VALUE, whole.end());
        assertThrows(ArithmeticException.class, whole::size, "2^63 bytes: no long counts them");
        IotlbGather h = new IotlbGather();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> h.addPages(0, 1L << 62, 3, this::sync));
        assertTrue(e.getMessage().contains("count=3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> h.addPages(1L << 62, 1L << 62, 2, this::sync));
        assertTrue(e.getMessage().contains("count=2 pages of size=0x4000000000000000"),
                e.getMessage());
        assertTrue(h.isEmpty());
        assertEquals(Long.MAX_VALUE, h.start());
        assertThrows(IllegalArgumentException.class, () -> h.addPages(0, 0, 1, this::sync));
        assertThrows(IllegalArgumentException.class, () -> h.addPages(-SZ_4K, SZ_4K, 1, this::sync));
        assertTrue(h.isEmpty());
        assertEquals(List.of(), synced);
    }

    @Test
    void the_top_page_of_a_63_bit_space_is_gathered_and_merges_with_its_neighbours() {
        IotlbGather g = new IotlbGather();
        g.addPage(TOP_PAGE, SZ_4K, this::sync);
        assertEquals(TOP_PAGE, g.start());
        assertEquals(Long.MAX_VALUE, g.end());
        assertEquals(SZ_4K, g.size());
        // below and touching a range whose end is the last byte: no gap (end + 1 would wrap)
        assertFalse(g.isDisjoint(TOP_PAGE - SZ_4K, SZ_4K));
        g.addPage(TOP_PAGE - SZ_4K, SZ_4K, this::sync);
        g.addPage(TOP_PAGE, SZ_4K, this::sync); // again: overlaps
        assertEquals(List.of(), synced);
        assertEquals(TOP_PAGE - SZ_4K, g.start());
        assertEquals(2 * SZ_4K, g.size());
        // a gap below it is still a gap
        assertTrue(g.isDisjoint(TOP_PAGE - 3 * SZ_4K, SZ_4K));
        g.addPage(0, SZ_4K, this::sync);
        assertEquals(List.of(new Synced(TOP_PAGE - SZ_4K, Long.MAX_VALUE, SZ_4K)), synced);
        assertEquals(0, g.start());
        assertEquals(SZ_4K - 1, g.end());
    }

    @Test
    void the_top_page_joins_a_range_ending_just_below_it_and_a_gap_below_the_top_syncs() {
        IotlbGather g = new IotlbGather();
        g.addPage(TOP_PAGE - SZ_4K, SZ_4K, this::sync);
        // above and touching: the new range's last byte is MAX_VALUE (last + 1 would wrap)
        assertFalse(g.isDisjoint(TOP_PAGE, SZ_4K));
        g.addPage(TOP_PAGE, SZ_4K, this::sync);
        assertEquals(List.of(), synced);
        assertEquals(Long.MAX_VALUE, g.end());
        IotlbGather far = new IotlbGather();
        far.addPage(0x10000, SZ_4K, this::sync);
        assertTrue(far.isDisjoint(TOP_PAGE, SZ_4K));
        far.addPages(TOP_PAGE - 2 * SZ_4K, SZ_4K, 3, this::sync);
        assertEquals(List.of(new Synced(0x10000, 0x10FFF, SZ_4K)), synced);
        assertEquals(TOP_PAGE - 2 * SZ_4K, far.start());
        assertEquals(Long.MAX_VALUE, far.end());
        assertEquals(3 * SZ_4K, far.size());
    }

    @Test
    void a_run_of_blocks_may_end_at_the_top_and_one_page_more_is_refused_naming_it() {
        IotlbGather g = new IotlbGather();
        g.addPages(TOP_BLOCK - SZ_2M, SZ_2M, 2, this::sync);
        assertEquals(TOP_BLOCK - SZ_2M, g.start());
        assertEquals(Long.MAX_VALUE, g.end());
        assertEquals(SZ_2M, g.pgsize());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> g.addPages(TOP_BLOCK - SZ_2M, SZ_2M, 3, this::sync));
        assertTrue(e.getMessage().contains("count=3 pages of size=0x200000 from iova=0x7fffffffffc00000"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> g.addPages(TOP_PAGE, SZ_4K, 2, this::sync));
        assertThrows(IllegalArgumentException.class, () -> g.addPage(TOP_PAGE, SZ_2M, this::sync));
        assertEquals(List.of(), synced);
        assertEquals(TOP_BLOCK - SZ_2M, g.start());
        assertEquals(Long.MAX_VALUE, g.end());
    }
}
