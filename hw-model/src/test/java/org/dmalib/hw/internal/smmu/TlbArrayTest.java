package org.dmalib.hw.internal.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The translation-cache array: the valid-entry count that lets invalidations of an empty array
 * skip the scan, replacement (an invalid way first, then round robin), the change count the
 * replay relies on, and invalidation of exactly the entries overlapping a half-open range,
 * whether the array is probed set by set or scanned.
 */
class TlbArrayTest {
    private static final int PAGE_SHIFT = 12;
    private static final int BLOCK_SHIFT = 21;

    @Test
    void the_count_follows_inserts_refreshes_evictions_and_invalidations() {
        TlbArray tlb = new TlbArray(8, 2); // 4 sets of 2 ways
        tlb.insert(1, 0x1000, PAGE_SHIFT, 3, 10);
        tlb.insert(1, 0x1000, PAGE_SHIFT, 3, 11); // the same translation: refreshed in place
        assertEquals(1, tlb.validEntries());
        assertEquals(11, tlb.lookup(1, 0x1abc, PAGE_SHIFT));
        // three pages of one set (tag % 4 == 1): the third evicts one of the first two
        tlb.insert(1, 0x5000, PAGE_SHIFT, 3, 12);
        tlb.insert(1, 0x9000, PAGE_SHIFT, 3, 13);
        assertEquals(2, tlb.validEntries(), "an eviction replaces, it does not add");
        tlb.insert(2, 0x40_0000, BLOCK_SHIFT, 2, 14); // tag 2: another set
        assertEquals(3, tlb.validEntries());

        assertEquals(1, tlb.invalidateRange(1, 0x9000, 0xa000, 0));
        assertEquals(2, tlb.validEntries());
        assertEquals(1, tlb.invalidateAsid(2));
        assertEquals(1, tlb.validEntries());
        assertEquals(1, tlb.invalidateAsid(-1));
        assertEquals(0, tlb.validEntries());
        assertEquals(0, tlb.invalidateRange(-1, 0, Long.MAX_VALUE, 0), "empty: nothing to drop");
        assertEquals(TlbArray.MISS, tlb.lookupAnySize(1, 0x5000));

        // emptied once, the array still finds and drops entries of every size
        tlb.insert(3, 0x40_0000, BLOCK_SHIFT, 2, 15);
        tlb.insert(3, 0x3000, PAGE_SHIFT, 3, 16);
        assertEquals(15, tlb.lookupAnySize(3, 0x41_2345));
        assertEquals(1, tlb.invalidateRange(3, 0x40_1000, 0x40_2000, 0), "the block overlaps");
        assertEquals(1, tlb.invalidateRange(3, 0x3000, 0x4000, 3));
        assertEquals(0, tlb.validEntries());
    }

    @Test
    void a_scan_stops_counting_at_the_valid_entries_but_drops_them_all() {
        TlbArray tlb = new TlbArray(64, 64); // fully associative
        for (int i = 0; i < 40; i++) {
            tlb.insert(i % 2, (long) i << PAGE_SHIFT, PAGE_SHIFT, 3, i);
        }
        assertEquals(40, tlb.validEntries());
        assertEquals(20, tlb.invalidateAsid(0));
        assertEquals(20, tlb.validEntries());
        for (int i = 0; i < 40; i++) {
            long want = i % 2 == 1 ? i : TlbArray.MISS;
            assertEquals(want, tlb.lookup(1, (long) i << PAGE_SHIFT, PAGE_SHIFT), "page " + i);
        }
        assertEquals(20, tlb.invalidateAsid(-1));
        assertEquals(0, tlb.validEntries());
    }

    @Test
    void an_absent_array_misses_and_ignores_inserts() {
        TlbArray none = new TlbArray(0, 4);
        assertTrue(none.absent());
        none.insert(1, 0x1000, PAGE_SHIFT, 3, 10);
        assertEquals(TlbArray.MISS, none.lookup(1, 0x1000, PAGE_SHIFT));
        assertEquals(TlbArray.MISS, none.lookupAnySize(1, 0x1000));
        assertEquals(0, none.validEntries());
    }

    @Test
    void slots_never_filled_match_no_lookup_not_even_asid_0_at_address_0() {
        TlbArray micro = new TlbArray(8, 8);
        micro.insert(1, 0x5000, PAGE_SHIFT, 3, 10); // one valid entry, seven empty slots
        assertEquals(TlbArray.MISS, micro.lookupAnySize(0, 0));
        assertEquals(TlbArray.MISS, micro.lookupAnySize(0, 0x5000), "another ASID");
        assertEquals(10, micro.lookupAnySize(1, 0x5fff));
    }

    @Test
    void a_fill_takes_an_invalid_way_before_evicting_a_valid_one() {
        TlbArray tlb = new TlbArray(8, 2); // 4 sets of 2 ways; pages 1, 5, 9 share set 1
        tlb.insert(1, 0x1000, PAGE_SHIFT, 3, 10);
        tlb.insert(1, 0x5000, PAGE_SHIFT, 3, 11);
        assertEquals(1, tlb.invalidateRange(1, 0x5000, 0x6000, 0)); // the second way is free
        tlb.insert(1, 0x9000, PAGE_SHIFT, 3, 12);
        assertEquals(10, tlb.lookup(1, 0x1000, PAGE_SHIFT), "the valid way was not evicted");
        assertEquals(12, tlb.lookup(1, 0x9000, PAGE_SHIFT));
        assertEquals(2, tlb.validEntries());
    }

    @Test
    void the_change_count_moves_at_every_insert_and_every_invalidation_that_drops_something() {
        TlbArray tlb = new TlbArray(8, 2);
        assertEquals(0, tlb.changes());
        tlb.insert(1, 0x1000, PAGE_SHIFT, 3, 10);
        tlb.insert(1, 0x1000, PAGE_SHIFT, 3, 11); // a refresh in place changes the contents too
        assertEquals(2, tlb.changes());
        long before = tlb.changes();
        tlb.insert(1, 0x2000, PAGE_SHIFT, 3, 12);
        assertEquals(1, tlb.invalidateRange(1, 0x1000, 0x2000, 0));
        assertNotEquals(before, tlb.changes(), "page 1 gone, page 2 new: lookups differ");
        assertEquals(4, tlb.changes());
        assertEquals(0, tlb.invalidateAsid(9));
        assertEquals(0, tlb.invalidateRange(1, 0x8000, 0x9000, 0));
        assertEquals(4, tlb.changes(), "nothing dropped: every lookup answers as before");
        assertEquals(1, tlb.invalidateAsid(1));
        assertEquals(5, tlb.changes());
    }

    @Test
    void an_empty_range_drops_nothing() {
        for (TlbArray tlb : new TlbArray[] {new TlbArray(8, 2), new TlbArray(8, 8)}) {
            tlb.insert(1, 0x1000, PAGE_SHIFT, 3, 10);
            assertEquals(0, tlb.invalidateRange(1, 0x1800, 0x1800, 0));
            assertEquals(0, tlb.invalidateRange(1, 0x1800, 0x1000, 0));
            assertEquals(10, tlb.lookup(1, 0x1000, PAGE_SHIFT));
        }
    }

    @Test
    void a_range_drops_the_entries_it_overlaps_and_not_the_ones_it_touches() {
        // probed set by set (8 sets, a range of a few pages) and scanned (fully associative)
        for (TlbArray tlb : new TlbArray[] {new TlbArray(16, 2), new TlbArray(8, 8)}) {
            tlb.insert(1, 0x4000, PAGE_SHIFT, 3, 10);
            tlb.insert(1, 0x5000, PAGE_SHIFT, 3, 11);
            tlb.insert(1, 0x6000, PAGE_SHIFT, 3, 12);
            assertEquals(0, tlb.invalidateRange(1, 0x3000, 0x4000, 0), "ends where page 4 starts");
            assertEquals(0, tlb.invalidateRange(1, 0x7000, 0x8000, 0), "starts after page 6");
            assertEquals(3, tlb.validEntries());
            assertEquals(1, tlb.invalidateRange(1, 0x4fff, 0x5000, 0), "the last byte of page 4");
            assertEquals(TlbArray.MISS, tlb.lookup(1, 0x4000, PAGE_SHIFT));
            assertEquals(1, tlb.invalidateRange(1, 0x5000, 0x6000, 0), "exactly page 5");
            assertEquals(12, tlb.lookup(1, 0x6000, PAGE_SHIFT), "the page after the range stays");
            assertEquals(1, tlb.validEntries());
        }
    }

    @Test
    void a_scan_counts_what_it_drops() {
        TlbArray micro = new TlbArray(32, 32);
        for (int i = 0; i < 5; i++) {
            micro.insert(i % 2, (long) i << PAGE_SHIFT, PAGE_SHIFT, 3, i);
        }
        assertEquals(3, micro.invalidateRange(0, 0, 5L << PAGE_SHIFT, 0)); // pages 0, 2, 4
        assertEquals(2, micro.invalidateRange(-1, 0, 5L << PAGE_SHIFT, 3));
        assertEquals(0, micro.validEntries());
    }

    @Test
    void invalidating_an_asid_with_no_entries_keeps_the_others_findable_by_range() {
        TlbArray tlb = new TlbArray(64, 4); // 16 sets: a 2-page range is probed, not scanned
        tlb.insert(1, 0x1000, PAGE_SHIFT, 3, 10);
        tlb.insert(1, 0x40_0000, BLOCK_SHIFT, 2, 11);
        assertEquals(0, tlb.invalidateAsid(0)); // ASID 0 is an ASID, not "every ASID"
        assertEquals(1, tlb.invalidateRange(1, 0x1000, 0x3000, 0));
        assertEquals(1, tlb.invalidateRange(1, 0x40_1000, 0x40_3000, 0));
        assertEquals(0, tlb.validEntries());
    }

    @Test
    void a_range_over_the_whole_input_space_drops_every_entry_of_a_set_associative_array() {
        TlbArray tlb = new TlbArray(2048, 4); // the gem5 main TLB: 512 sets
        for (int i = 0; i < 100; i++) {
            tlb.insert(1, 0x4000_0000L + ((long) i << PAGE_SHIFT), PAGE_SHIFT, 3, i);
        }
        tlb.insert(1, 0x8000_0000L, BLOCK_SHIFT, 2, 100);
        tlb.insert(2, 0xffff_ffff_f000L, PAGE_SHIFT, 3, 101);
        // what TLBI_NH_VA with the largest range asks for: at most 2^52, scanned once
        assertEquals(102, tlb.invalidateRange(-1, 0, 1L << 52, 0));
        assertEquals(0, tlb.validEntries());
    }
}
