package org.dmalib.dma.ops.internal.iova;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The outstanding marks: a range popped from a magazine stays in its slot, marked, until it is
 * freed or the slot is needed; every operation that would lose a mark moves it to the map first.
 * Each test drives one of those operations and then checks that the range is still outstanding
 * exactly once (counted, freeable once, refused a second time).
 */
class IovaMarkTest {
    private static final long G = 4096;
    private static final long TOP32 = 0xFFFFF;
    private static final int MAG = Magazine.IOVA_MAG_SIZE;

    private final IovaDomain d = new IovaDomain(G, 1, TOP32, 2, () -> 0L);

    private List<Object> state() {
        return List.of(d.treeRanges(), d.outstandingCount(), d.cachedCount(0, 0), d.cachedCount(1, 0),
                d.cachedCount(0, 2), d.cachedCount(1, 2), d.depotSize(0));
    }

    /** Allocates {@code n} single granules on CPU 0 (from the tree while nothing is cached). */
    private long[] allocOnes(int n) {
        long[] p = new long[n];
        for (int i = 0; i < n; i++) {
            p[i] = d.allocFast(0, 1, TOP32, false);
        }
        return p;
    }

    /** Frees {@code pfn} once on {@code cpu}, then checks that a second free is refused. */
    private void freeOnce(int cpu, long pfn) {
        d.freeFast(cpu, pfn, 1);
        List<Object> before = state();
        assertThrows(UnknownIovaException.class, () -> d.freeFast(0, pfn, 1));
        assertThrows(UnknownIovaException.class, () -> d.freeFast(1, pfn, 1));
        assertEquals(before, state());
    }

    @Test
    void aMarkedRangeFreedOnAnotherCpuIsFoundInTheAllocatingCpusSlot() {
        long a = d.allocFast(0, 1, TOP32, true);
        d.freeFast(0, a, 1);
        assertEquals(a, d.allocFast(0, 1, TOP32, true), "popped: now a mark in CPU 0's slot");
        assertEquals(1, d.outstandingCount());
        freeOnce(1, a);
        assertEquals(1, d.cachedCount(1, 0));
        assertEquals(0, d.cachedCount(0, 0));
        assertEquals(0, d.outstandingCount());
        assertEquals(a, d.allocFast(1, 1, TOP32, true));
    }

    @Test
    void aMarkedRangeFreedWithAnotherSizeIsATypedErrorOnEveryCpu() {
        long a = d.allocFast(0, 3, TOP32, true);
        d.freeFast(0, a, 3);
        assertEquals(a, d.allocFast(0, 4, TOP32, true));
        List<Object> before = state();
        for (int cpu = 0; cpu < 2; cpu++) {
            int c = cpu;
            UnknownIovaException e = assertThrows(UnknownIovaException.class, () -> d.freeFast(c, a, 8));
            assertTrue(e.getMessage().contains("outstanding with 4 granules, not 8"), e.getMessage());
            e = assertThrows(UnknownIovaException.class, () -> d.freeFast(c, a, 1));
            assertTrue(e.getMessage().contains("outstanding with 4 granules, not 1"), e.getMessage());
        }
        assertEquals(before, state());
        d.freeFast(0, a, 3);
        assertEquals(1, d.cachedCount(0, 2));
        assertEquals(0, d.outstandingCount());
    }

    @Test
    void aSecondPopMovesTheFirstMarkToTheMapAndFreesInAllocationOrderWork() {
        long[] p = allocOnes(2);
        d.freeFast(0, p[0], 1);
        d.freeFast(0, p[1], 1);
        assertEquals(p[1], d.allocFast(0, 1, TOP32, true));
        assertEquals(p[0], d.allocFast(0, 1, TOP32, true), "the pop leaves the slot of p[1]");
        assertEquals(2, d.outstandingCount());
        freeOnce(0, p[1]);
        freeOnce(0, p[0]);
        assertEquals(2, d.cachedCount(0, 0));
        assertEquals(0, d.outstandingCount());
        assertEquals(p[0], d.allocFast(0, 1, TOP32, true), "last freed, first handed out");
    }

    @Test
    void aFlushKeepsAMarkedRangeOutstanding() {
        long[] p = allocOnes(2);
        d.freeFast(0, p[0], 1);
        d.freeFast(0, p[1], 1);
        assertEquals(p[1], d.allocFast(0, 1, TOP32, true), "marked one slot above the base");
        d.flushCpu(0);
        assertEquals(0, d.cachedCount(0, 0));
        assertEquals(1, d.outstandingCount());
        assertEquals(List.of(new IovaRange(p[1], p[1], false)), d.treeRanges());
        freeOnce(0, p[1]);
        assertEquals(1, d.cachedCount(0, 0));
    }

    @Test
    void aRefillFromTheDepotKeepsTheMarkItCopiesOver() {
        long[] p = allocOnes(2 * MAG + 2);
        for (int i = 0; i < 2 * MAG + 1; i++) {
            d.freeFast(1, p[i], 1);
        }
        assertEquals(1, d.depotSize(0));
        long z = p[2 * MAG + 1];
        d.freeFast(0, z, 1);
        assertEquals(z, d.allocFast(0, 1, TOP32, true), "CPU 0 empty, z marked at the base");
        assertEquals(p[2 * MAG - 1], d.allocFast(0, 1, TOP32, true), "the depot's magazine");
        assertEquals(0, d.depotSize(0));
        assertEquals(2, d.outstandingCount());
        freeOnce(0, z);
        freeOnce(0, p[2 * MAG - 1]);
        assertEquals(0, d.outstandingCount());
    }

    @Test
    void aRangeMarkedInThePreviousMagazineSurvivesTheSwapIntoIt() {
        long[] p = allocOnes(MAG + 2);
        for (int i = 0; i <= MAG; i++) {
            d.freeFast(0, p[i], 1);
        }
        // loaded: p[MAG] alone; prev: p[0] to p[MAG - 1], full
        assertEquals(p[MAG], d.allocFast(0, 1, TOP32, true), "loaded empty, p[MAG] marked");
        assertEquals(p[MAG - 1], d.allocFast(0, 1, TOP32, true), "swapped: p[MAG]'s magazine is prev");
        d.freeFast(0, p[MAG - 1], 1);
        // loaded full again: this free swaps in prev and writes where p[MAG]'s mark is
        d.freeFast(0, p[MAG + 1], 1);
        assertEquals(1, d.outstandingCount());
        assertEquals(MAG + 1, d.cachedCount(0, 0));
        freeOnce(0, p[MAG]);
        assertEquals(MAG + 2, d.cachedCount(0, 0));
        assertEquals(0, d.outstandingCount());
    }

    @Test
    void aRangeMarkedInThePreviousMagazineIsFreedFromThere() {
        long[] p = allocOnes(MAG + 1);
        for (long pfn : p) {
            d.freeFast(0, pfn, 1);
        }
        assertEquals(p[MAG], d.allocFast(0, 1, TOP32, true));
        assertEquals(p[MAG - 1], d.allocFast(0, 1, TOP32, true), "both marked, in two magazines");
        freeOnce(0, p[MAG]);
        freeOnce(1, p[MAG - 1]);
        assertEquals(MAG, d.cachedCount(0, 0));
        assertEquals(1, d.cachedCount(1, 0));
        assertEquals(0, d.outstandingCount());
    }

    @Test
    void aBadPfnWhoseComplementIsInASlotIsUnknown() {
        List<Object> fresh = state();
        // every slot of a fresh CPU is 0, the complement of -1
        assertThrows(UnknownIovaException.class, () -> d.freeFast(0, -1, 1));
        assertThrows(UnknownIovaException.class, () -> d.freeFast(1, -1, 1));
        assertEquals(fresh, state());
        long[] p = allocOnes(2);
        d.freeFast(0, p[0], 1);
        d.flushCpu(0);
        // the flushed p[0] is left at the top of CPU 0's magazine as a stale value
        List<Object> before = state();
        assertThrows(UnknownIovaException.class, () -> d.freeFast(0, ~p[0], 1));
        assertThrows(UnknownIovaException.class, () -> d.freeFast(1, ~p[0], 1));
        assertEquals(before, state());
        assertEquals(1, d.outstandingCount());
    }
}
