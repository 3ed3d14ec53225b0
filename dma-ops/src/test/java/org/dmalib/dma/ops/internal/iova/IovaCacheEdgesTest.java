package org.dmalib.dma.ops.internal.iova;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The range caches at their edges: a cached range that would end past the caller's limit, the
 * top class on the last CPU, refills of a class above 0, marks of other classes, the first
 * granule marked on another CPU, and a double free after a flush.
 */
class IovaCacheEdgesTest {
    private static final long G = 4096;
    private static final long TOP32 = 0xFFFFF;
    private static final int MAG = Magazine.IOVA_MAG_SIZE;

    private static IovaDomain domain(long endPfn, int cpus) {
        return new IovaDomain(G, 1, endPfn, cpus, () -> 0L);
    }

    @Test
    void aCachedRangeThatWouldEndPastTheLimitIsNotHandedOut() {
        IovaDomain d = domain(TOP32, 1);
        long pair = d.allocFast(0, 2, TOP32, false);
        assertEquals(TOP32 - 1, pair);
        d.freeFast(0, pair, 2);
        assertEquals(1, d.cachedCount(0, 1));
        // the cached [0xFFFFE, 0xFFFFF] ends past 0xFFFFE: the tree's next aligned pair instead
        assertEquals(TOP32 - 3, d.allocFast(0, 2, TOP32 - 1, false));
        assertEquals(1, d.cachedCount(0, 1), "the cached pair stays cached");
        assertEquals(pair, d.allocFast(0, 2, TOP32, false), "it still fits the full limit");
    }

    @Test
    void aCachedRangeWhoseFirstGranuleIsTheLimitIsHandedOutBehindAMark() {
        IovaDomain d = domain(TOP32, 1);
        long high = d.allocFast(0, 1, TOP32, false);
        long low = d.allocFast(0, 1, TOP32, false);
        d.freeFast(0, low, 1);
        d.freeFast(0, high, 1);
        assertEquals(high, d.allocFast(0, 1, TOP32, false), "popped: its mark is at the top now");
        assertEquals(low, d.allocFast(0, 1, low, false), "the next cached range, exactly at the limit");
        assertEquals(2, d.tree().allocatedCount(), "nothing new from the tree");
    }

    @Test
    void theLastCpuCachesTwoFullMagazinesOfTheTopClass() {
        IovaDomain d = domain(TOP32, 2);
        long[] p = new long[2 * MAG];
        for (int i = 0; i < p.length; i++) {
            p[i] = d.allocFast(1, 32, TOP32, false);
        }
        for (long pfn : p) {
            d.freeFast(1, pfn, 32);
        }
        assertEquals(2 * MAG, d.cachedCount(1, 5));
        assertEquals(0, d.depotSize(5));
        long[] again = new long[p.length];
        for (int i = 0; i < again.length; i++) {
            again[i] = d.allocFast(1, 32, TOP32, false);
        }
        assertArrayEquals(sorted(p), sorted(again), "the same ranges come back from the caches");
        assertEquals(p.length, d.tree().allocatedCount());
    }

    @Test
    void aClassAboveZeroRefillsFromItsPreviousMagazineThenItsDepot() {
        IovaDomain d = domain(TOP32, 1);
        long[] p = new long[2 * MAG + 1];
        for (int i = 0; i < p.length; i++) {
            p[i] = d.allocFast(0, 4, TOP32, false);
        }
        for (long pfn : p) {
            d.freeFast(0, pfn, 4);
        }
        assertEquals(MAG + 1, d.cachedCount(0, 2));
        assertEquals(1, d.depotSize(2));
        long[] again = new long[p.length];
        for (int i = 0; i < again.length; i++) {
            again[i] = d.allocFast(0, 4, TOP32, false);
        }
        assertArrayEquals(sorted(p), sorted(again));
        assertEquals(0, d.depotSize(2));
        assertEquals(p.length, d.tree().allocatedCount(), "nothing new from the tree");
        assertEquals(p.length, d.outstandingCount());
    }

    @Test
    void rangesPoppedFromTheCachesOfEveryClassCountAsOutstanding() {
        IovaDomain d = domain(TOP32, 1);
        long[] sizes = {1, 2, 4, 8, 16, 32};
        long[] p = new long[sizes.length];
        for (int i = 0; i < sizes.length; i++) {
            p[i] = d.allocFast(0, sizes[i], TOP32, false);
        }
        for (int i = 0; i < sizes.length; i++) {
            d.freeFast(0, p[i], sizes[i]);
        }
        assertEquals(0, d.outstandingCount());
        for (int i = 0; i < sizes.length; i++) {
            assertEquals(p[i], d.allocFast(0, sizes[i], TOP32, false), "a hit in class " + i);
            assertEquals(i + 1, d.outstandingCount());
        }
    }

    @Test
    void theFirstGranuleMarkedOnOneCpuIsFreedOnAnother() {
        IovaDomain d = domain(4, 2);
        long[] p = new long[4];
        for (int i = 0; i < p.length; i++) {
            p[i] = d.allocFast(1, 1, 4, false);
        }
        assertEquals(1, p[3]);
        for (long pfn : p) {
            d.freeFast(1, pfn, 1);
        }
        assertEquals(1, d.allocFast(1, 1, 4, false), "popped on CPU 1: a mark in its slot");
        d.freeFast(0, 1, 1);
        assertEquals(1, d.cachedCount(0, 0));
        assertEquals(0, d.outstandingCount());
        assertThrows(UnknownIovaException.class, () -> d.freeFast(0, 1, 1));
    }

    @Test
    void aRangeFreedAgainAfterItsCpuWasFlushedIsUnknown() {
        IovaDomain d = domain(TOP32, 1);
        long a = d.allocFast(0, 1, TOP32, false);
        d.freeFast(0, a, 1);
        d.flushCpu(0);
        assertEquals(0, d.tree().allocatedCount());
        UnknownIovaException e = assertThrows(UnknownIovaException.class, () -> d.freeFast(0, a, 1));
        assertEquals(a, e.pfn());
        assertEquals(0, d.cachedCount(0, 0), "nothing was cached by the bad free");
        assertEquals(0, d.tree().allocatedCount());
    }

    private static long[] sorted(long[] a) {
        long[] s = a.clone();
        Arrays.sort(s);
        return s;
    }
}
