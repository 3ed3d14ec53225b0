package org.dmalib.hw.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmalib.hw.CacheGeometry;
import org.junit.jupiter.api.Test;

/**
 * The region filters that let the fabric skip caches and pages: never a false negative (a
 * skipped cache holding a line would lose its dirty data), and back to an exact "no" once the
 * lines are gone, whichever way they went (replaced, dropped).
 */
class DataCacheTest {
    // a small cache: 4 sets of 2 ways of 64-byte lines, so replacement is easy to force
    private static final CacheGeometry SMALL = new CacheGeometry(64, 512, 2);
    private static final int LINES_PER_REGION = 4096 / 64;

    private final int[] shared = DataCache.sharedRegionFilter();
    private final DataCache a = new DataCache(SMALL, shared);
    private final DataCache b = new DataCache(SMALL, shared);

    private static long line(long region, int index) {
        return region * LINES_PER_REGION + index;
    }

    private static void fill(DataCache c, long line) {
        c.install(c.victimFor(line), line);
    }

    @Test
    void a_held_region_is_always_reported_and_an_empty_filter_reports_none() {
        for (long r = 0; r < 64; r++) {
            assertFalse(a.mayHoldRegion(r), "region " + r);
            assertFalse(a.mayAnyHoldRegion(r), "region " + r);
            assertFalse(a.othersMayHoldRegion(r), "region " + r);
        }
        fill(a, line(5, 0));
        assertTrue(a.mayHoldRegion(5));
        assertTrue(a.mayAnyHoldRegion(5));
        assertTrue(b.mayAnyHoldRegion(5), "the shared filter is the union");
        assertFalse(a.othersMayHoldRegion(5), "only a holds it");
        assertTrue(b.othersMayHoldRegion(5));
        assertFalse(b.mayHoldRegion(5));
        assertFalse(a.mayHoldRegion(6), "a region hashing elsewhere is not reported");
        assertFalse(a.mayAnyHoldRegion(6));
    }

    @Test
    void replacing_and_dropping_lines_return_the_filters_to_an_exact_no() {
        // four lines of region 3 in one set of two ways: two are replaced
        for (int i = 0; i < 4; i++) {
            fill(a, line(3, i * 4));
        }
        fill(b, line(9, 1));
        assertTrue(a.mayHoldRegion(3));
        int held = 0;
        for (int i = 0; i < 4; i++) {
            int s = a.probe(line(3, i * 4));
            if (s >= 0) {
                held++;
                a.drop(s);
            }
        }
        assertEquals(2, held, "two ways");
        assertFalse(a.mayHoldRegion(3), "every line of region 3 is gone");
        assertFalse(a.mayAnyHoldRegion(3));
        assertTrue(a.mayAnyHoldRegion(9));
        assertTrue(a.othersMayHoldRegion(9));
        // a line moved out by replacement leaves its region; the new one's region is counted
        fill(b, line(9, 5));
        fill(b, line(12, 9)); // same set as line(9, 1) and line(9, 5): replaces the older
        assertTrue(b.mayHoldRegion(12));
        b.drop(b.probe(line(9, 5)));
        b.drop(b.probe(line(12, 9)));
        for (long r = 0; r < 64; r++) {
            assertFalse(a.mayAnyHoldRegion(r), "region " + r);
            assertFalse(b.mayHoldRegion(r), "region " + r);
        }
    }

    @Test
    void a_drop_of_an_empty_slot_changes_no_count() {
        fill(a, line(7, 0));
        int s = a.probe(line(7, 0));
        a.drop(s);
        a.drop(s); // already empty
        fill(b, line(7, 0));
        assertTrue(b.mayAnyHoldRegion(7));
        assertTrue(a.othersMayHoldRegion(7));
        b.drop(b.probe(line(7, 0)));
        assertFalse(a.mayAnyHoldRegion(7));
    }

    @Test
    void installing_into_an_empty_way_changes_no_other_regions_count() {
        // every region from 0 to 4095 holds one line of a big fully associative cache, then each
        // is dropped: an install into an empty way must not have taken a count from any region
        CacheGeometry big = new CacheGeometry(64, 64 * 4096, 4096);
        DataCache c = new DataCache(big, DataCache.sharedRegionFilter());
        for (long r = 0; r < 4096; r++) {
            fill(c, line(r, 0));
        }
        for (long r = 0; r < 4096; r++) {
            assertTrue(c.mayHoldRegion(r), "region " + r);
        }
        for (long r = 0; r < 4096; r++) {
            c.drop(c.probe(line(r, 0)));
        }
        for (long r = 0; r < 4096; r++) {
            assertFalse(c.mayHoldRegion(r), "region " + r);
        }
    }

    @Test
    void a_filter_not_made_for_sharing_is_refused() {
        assertThrows(IllegalArgumentException.class, () -> new DataCache(SMALL, new int[16]));
    }
}
