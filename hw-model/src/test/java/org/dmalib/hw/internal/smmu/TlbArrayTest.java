package org.dmalib.hw.internal.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The valid-entry count that lets invalidations of an empty array skip the scan. */
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
}
