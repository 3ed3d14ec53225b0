package org.dmalib.dma.ops.internal.iova;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The range caches: hits, magazine swaps, the depot, limits, reclaim and flush-and-retry. */
class IovaDomainTest {
    private static final long G = 4096;
    private static final long TOP32 = 0xFFFFF;
    private static final long TOP48 = (1L << 36) - 1;
    private static final int MAG = Magazine.IOVA_MAG_SIZE;
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    private final AtomicLong now = new AtomicLong();

    private IovaDomain domain(long endPfn, int cpus) {
        return new IovaDomain(G, 1, endPfn, cpus, now::get);
    }

    @Test
    void constantsAreLinuxs() {
        assertEquals(127, MAG);
        assertEquals(6, IovaDomain.RANGE_CACHE_MAX_SIZE);
        assertEquals(100 * MS, Depot.IOVA_DEPOT_DELAY_NANOS);
    }

    @Test
    void requestsUnder32GranulesAreRoundedToAPowerOfTwo() {
        assertEquals(1, IovaDomain.roundedSize(1));
        assertEquals(4, IovaDomain.roundedSize(3));
        assertEquals(16, IovaDomain.roundedSize(9));
        assertEquals(32, IovaDomain.roundedSize(31));
        assertEquals(33, IovaDomain.roundedSize(33), "from 32 on, only aligned, not rounded");
        IovaDomain d = domain(TOP32, 1);
        assertEquals(0xFFFFC, d.allocFast(0, 3, TOP32, true));
        assertEquals(new IovaRange(0xFFFFC, 0xFFFFF, false), d.treeRanges().get(0));
        // (0xFFFFC - 33) & ~63, below the cache point
        assertEquals(0xFFFC0, d.allocFast(0, 33, TOP32, true), "33 granules, aligned to 64");
        assertEquals(new IovaRange(0xFFFC0, 0xFFFE0, false), d.treeRanges().get(0));
    }

    @Test
    void aFreedRangeIsHandedOutAgainOnTheSameCpuWithoutTheTree() {
        IovaDomain d = domain(TOP32, 2);
        long a = d.allocFast(0, 1, TOP32, true);
        d.freeFast(0, a, 1);
        assertEquals(1, d.cachedCount(0, 0));
        assertEquals(1, d.tree().allocatedCount(), "a cached range stays allocated in the tree");
        assertNotEquals(a, d.allocFast(1, 1, TOP32, true), "another CPU misses");
        assertEquals(a, d.allocFast(0, 1, TOP32, true));
        assertEquals(0, d.cachedCount(0, 0));
        assertEquals(2, d.outstandingCount());
    }

    @Test
    void sizesAbove32GranulesBypassTheCache() {
        IovaDomain d = domain(TOP32, 1);
        long a = d.allocFast(0, 33, TOP32, true);
        d.freeFast(0, a, 33);
        assertEquals(0, d.tree().allocatedCount());
        long b = d.allocFast(0, 32, TOP32, true);
        d.freeFast(0, b, 32);
        assertEquals(1, d.cachedCount(0, 5), "32 granules: the largest class");
    }

    @Test
    void loadedThenPrevThenTheDepot() {
        IovaDomain d = domain(TOP32, 2);
        long[] p = allocOnes(d, 2 * MAG + 1);
        for (int i = 0; i < 2 * MAG; i++) {
            d.freeFast(0, p[i], 1);
        }
        assertEquals(2 * MAG, d.cachedCount(0, 0), "loaded full, swapped with prev, filled again");
        assertEquals(0, d.depotSize(0));
        d.freeFast(0, p[2 * MAG], 1);
        assertEquals(1, d.depotSize(0), "both full: the loaded magazine goes to the depot");
        assertEquals(MAG + 1, d.cachedCount(0, 0));
        // LIFO: the last range freed comes back first, then the top of prev (the first 127)
        assertEquals(p[2 * MAG], d.allocFast(0, 1, TOP32, true));
        assertEquals(p[MAG - 1], d.allocFast(0, 1, TOP32, true));
        // CPU 1 has nothing of its own: it takes the depot's magazine (the second 127)
        assertEquals(p[2 * MAG - 1], d.allocFast(1, 1, TOP32, true));
        assertEquals(0, d.depotSize(0));
        assertEquals(MAG - 1, d.cachedCount(1, 0));
        assertEquals(2 * MAG + 1, d.tree().allocatedCount(), "every hit stayed off the tree");
    }

    @Test
    void aPopTakesTheTopmostRangeThatFitsTheLimit() {
        IovaDomain d = domain(TOP48, 1);
        long low = d.allocFast(0, 1, TOP32, true);
        long high = d.allocFast(0, 1, TOP48, true);
        assertEquals(0xFFFFF, low);
        assertEquals(TOP48, high);
        d.freeFast(0, low, 1);
        d.freeFast(0, high, 1);
        assertEquals(low, d.allocFast(0, 1, TOP32, true), "under the high one on top");
        // only the high one is cached: a 32-bit request misses and goes to the tree
        assertEquals(0xFFFFE, d.allocFast(0, 1, TOP32, true));
        assertEquals(high, d.allocFast(0, 1, TOP48, true));
    }

    @Test
    void aRangeThatFitsBelowTheTopIsSwappedWithTheTopAsInLinux() {
        IovaDomain d = domain(TOP48, 1);
        long high1 = d.allocFast(0, 1, TOP48, true);
        long low = d.allocFast(0, 1, TOP32, true);
        long high2 = d.allocFast(0, 1, TOP48, true);
        d.freeFast(0, high1, 1);
        d.freeFast(0, low, 1);
        d.freeFast(0, high2, 1);
        // iova_magazine_pop: the search starts at the top (high2), takes low from the middle
        // and moves the top into its slot
        assertEquals(low, d.allocFast(0, 1, TOP32, true));
        assertEquals(2, d.cachedCount(0, 0));
        assertEquals(high2, d.allocFast(0, 1, TOP48, true), "the old top, now where low was");
        assertEquals(high1, d.allocFast(0, 1, TOP48, true));
        assertEquals(0, d.cachedCount(0, 0));
    }

    @Test
    void aMagazineKeepsItsRangesAndOrderThroughTheDepot() {
        IovaDomain d = domain(TOP32, 2);
        long[] p = allocOnes(d, 2 * MAG + 1);
        freeOnes(d, 0, p);
        assertEquals(1, d.depotSize(0));
        // CPU 1 takes the depot's magazine (the second 127 freed) and pops it top first
        for (int i = 2 * MAG - 1; i >= MAG; i--) {
            assertEquals(p[i], d.allocFast(1, 1, TOP32, true), "index " + i);
        }
        assertEquals(0, d.cachedCount(1, 0));
        // CPU 1 frees them all again: its magazine fills, then (both full) goes to the depot
        for (int i = MAG; i < 2 * MAG; i++) {
            d.freeFast(1, p[i], 1);
        }
        assertEquals(MAG, d.cachedCount(1, 0));
        d.flushRcaches();
        assertEquals(0, d.cachedCount(0, 0));
        assertEquals(0, d.cachedCount(1, 0));
        assertEquals(0, d.tree().allocatedCount(), "every range back in the tree exactly once");
    }

    @Test
    void everyCachedSizeMapsToItsClassAndTheNextSizeBypassesTheCaches() {
        IovaDomain d = domain(TOP32, 1);
        for (long size = 1; size <= 33; size++) {
            long pfn = d.allocFast(0, size, TOP32, true);
            d.freeFast(0, pfn, size);
            int order = 64 - Long.numberOfLeadingZeros(IovaDomain.roundedSize(size) - 1);
            if (size <= 32) {
                assertEquals(1, d.cachedCount(0, order), "size " + size);
                assertEquals(pfn, d.allocFast(0, IovaDomain.roundedSize(size), TOP32, true));
                d.freeFast(0, pfn, IovaDomain.roundedSize(size));
            }
        }
        assertEquals(6, d.tree().allocatedCount(), "one range per class stays cached");
    }

    @Test
    void theDepotGivesOneMagazinePer100MsBackWhileItHoldsMoreThanOnePerCpu() {
        IovaDomain d = domain(TOP32, 1);
        int n = 2 * MAG + 2 * MAG + 1;
        freeOnes(d, 0, allocOnes(d, n));
        // pushes at frees 255, 382 and 509: three full magazines, armed at t=0 for t=100 ms
        assertEquals(3, d.depotSize(0));
        now.set(99 * MS);
        assertEquals(0, d.reclaimDepot());
        now.set(100 * MS);
        assertEquals(1, d.reclaimDepot());
        assertEquals(n - MAG, d.tree().allocatedCount());
        now.set(350 * MS);
        assertEquals(1, d.reclaimDepot(), "due at 200 ms: down to one magazine, then it stops");
        assertEquals(1, d.depotSize(0));
        now.set(10_000 * MS);
        assertEquals(0, d.reclaimDepot());
        assertEquals(0, d.outstandingCount());
        assertEquals(n - 2 * MAG, d.tree().allocatedCount());
    }

    @Test
    void aDepotPushOnTheFreePathRunsTheReclaimThatIsDue() {
        IovaDomain d = domain(TOP32, 1);
        long[] p = allocOnes(d, 2 * MAG + 2 * MAG + 1);
        for (int i = 0; i < 2 * MAG + MAG + 1; i++) {
            d.freeFast(0, p[i], 1);
        }
        assertEquals(2, d.depotSize(0));
        now.set(150 * MS);
        for (int i = 2 * MAG + MAG + 1; i < p.length; i++) {
            d.freeFast(0, p[i], 1);
        }
        // the third push found the work overdue: one magazine went back, depot 3 - 1
        assertEquals(2, d.depotSize(0));
    }

    @Test
    void onExhaustionFlushRcacheReturnsEveryCachedRangeAndRetries() {
        IovaDomain d = domain(8, 2);
        freeOnes(d, 0, allocOnes(d, 8));
        assertEquals(0, d.tryAllocFast(1, 1, 8, false), "CPU 1 misses; the tree is full of cached ranges");
        assertEquals(0, d.tryAllocFast(0, 2, 8, false), "no size-2 class entry, tree full");
        assertEquals(8, d.cachedCount(0, 0));
        long two = d.allocFast(1, 2, 8, true);
        assertEquals(6, two, "after the flush the tree is empty: the top aligned pair [6, 7]");
        assertEquals(0, d.cachedCount(0, 0));
        assertEquals(1, d.tree().allocatedCount());
        assertEquals(1, d.outstandingCount());
    }

    @Test
    void flushingTheDepotAndACpuReturnsTheirRanges() {
        IovaDomain d = domain(TOP32, 2);
        freeOnes(d, 1, allocOnes(d, 2 * MAG + 1));
        d.flushCpu(1);
        assertEquals(0, d.cachedCount(1, 0));
        assertEquals(MAG, d.tree().allocatedCount(), "the depot's magazine is left");
        d.flushRcaches();
        assertEquals(0, d.tree().allocatedCount());
        assertEquals(0, d.depotSize(0));
    }

    @Test
    void everyClassFillsItsOwnTwoMagazinesThenItsOwnDepotAndFlushesToTheTree() {
        IovaDomain d = domain(TOP32, 2);
        int[] orders = {1, 2, 5};
        for (int order : orders) {
            long size = 1L << order;
            long[] p = new long[2 * MAG + 1];
            for (int i = 0; i < p.length; i++) {
                p[i] = d.allocFast(0, size, TOP32, false);
            }
            for (int i = 0; i < 2 * MAG; i++) {
                d.freeFast(0, p[i], size);
            }
            assertEquals(2 * MAG, d.cachedCount(0, order));
            assertEquals(0, d.depotSize(order));
            d.freeFast(0, p[2 * MAG], size);
            assertEquals(1, d.depotSize(order));
            assertEquals(MAG + 1, d.cachedCount(0, order));
        }
        for (int order = 0; order < IovaDomain.RANGE_CACHE_MAX_SIZE; order++) {
            int expected = order == 1 || order == 2 || order == 5 ? MAG + 1 : 0;
            assertEquals(expected, d.cachedCount(0, order), "class " + order);
            assertEquals(0, d.cachedCount(1, order), "class " + order);
        }
        assertEquals(0, d.outstandingCount());
        d.flushCpu(0);
        for (int order : orders) {
            assertEquals(0, d.cachedCount(0, order));
        }
        assertEquals((long) orders.length * MAG, d.tree().allocatedCount(), "only the depots' magazines are left");
        d.flushRcaches();
        assertEquals(0, d.tree().allocatedCount());
        assertEquals(List.of(), d.treeRanges());
    }

    @Test
    void outstandingCountsEveryClassAndTheUncachedSizesUntilFreed() {
        IovaDomain d = domain(TOP32, 2);
        long[] sizes = {1, 2, 3, 4, 8, 16, 32, 33, 100};
        long[] p = new long[sizes.length];
        for (int i = 0; i < sizes.length; i++) {
            p[i] = d.allocFast(i % 2, sizes[i], TOP32, true);
            assertEquals(i + 1, d.outstandingCount());
        }
        for (int i = 0; i < sizes.length; i++) {
            d.freeFast((i + 1) % 2, p[i], sizes[i]);
            assertEquals(sizes.length - i - 1, d.outstandingCount());
        }
    }

    @Test
    void theFirstGranuleIsHandedOutAndFreedLikeAnyOther() {
        IovaDomain d = domain(1, 2);
        assertEquals(1, d.allocFast(0, 1, 1, true));
        assertEquals(0, d.tryAllocFast(0, 1, 1, false), "the only granule is out");
        d.freeFast(1, 1, 1);
        assertEquals(1, d.cachedCount(1, 0));
        assertEquals(1, d.allocFast(1, 1, 1, true));
        d.freeFast(1, 1, 1);
        assertEquals(1, d.allocFast(0, 1, 1, true), "the other CPU's cache is flushed for it");
        assertEquals(1, d.outstandingCount());
    }

    /** Frees every one-granule range of {@code pfns} on CPU {@code cpu}, in order. */
    private static void freeOnes(IovaDomain d, int cpu, long[] pfns) {
        for (long pfn : pfns) {
            d.freeFast(cpu, pfn, 1);
        }
    }

    private static long[] allocOnes(IovaDomain d, int n) {
        long[] p = new long[n];
        for (int i = 0; i < n; i++) {
            p[i] = d.allocFast(0, 1, d.endPfn(), false);
        }
        return p;
    }

    @Test
    void limitBelowStartAndBadArgumentsAreRefused() {
        IovaDomain d = new IovaDomain(G, 16, TOP32, 2, now::get);
        assertThrows(IllegalArgumentException.class, () -> d.allocFast(0, 1, 15, true));
        assertThrows(IllegalArgumentException.class, () -> d.allocFast(0, 0, TOP32, true));
        assertThrows(IllegalArgumentException.class, () -> d.allocFast(0, -3, TOP32, true));
        assertThrows(IllegalArgumentException.class, () -> d.allocFast(2, 1, TOP32, true));
        assertThrows(IllegalArgumentException.class, () -> d.allocFast(-1, 1, TOP32, true));
        assertThrows(IllegalArgumentException.class, () -> d.freeFast(0, 0xFFFFF, 0));
        assertThrows(IllegalArgumentException.class, () -> new IovaDomain(G, 1, TOP32, 0, now::get));
        assertEquals(0, d.tree().allocatedCount());
    }
}
