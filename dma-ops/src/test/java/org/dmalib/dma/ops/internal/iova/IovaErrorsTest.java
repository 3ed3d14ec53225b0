package org.dmalib.dma.ops.internal.iova;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Typed errors of the cached path: they name the values and leave everything as it was. */
class IovaErrorsTest {
    private static final long G = 4096;
    private static final long TOP32 = 0xFFFFF;

    private final IovaDomain d = new IovaDomain(G, 1, TOP32, 2, () -> 0L);

    /** Everything observable, to compare before and after a refused call. */
    private List<Object> state() {
        return List.of(d.treeRanges(), d.outstandingCount(), d.cachedCount(0, 0), d.cachedCount(1, 0),
                d.cachedCount(0, 2), d.cachedCount(1, 2), d.depotSize(0));
    }

    @Test
    void freeingARangeNeverHandedOutIsATypedError() {
        long a = d.allocFast(0, 1, TOP32, true);
        List<Object> before = state();
        UnknownIovaException e = assertThrows(UnknownIovaException.class, () -> d.freeFast(0, a - 1, 1));
        assertEquals(a - 1, e.pfn());
        assertEquals(1, e.size());
        assertTrue(e.getMessage().contains("pfn=0xffffe"), e.getMessage());
        assertEquals(before, state());
    }

    @Test
    void aDoubleFreeIsCaughtOnAnyCpuWhileTheRangeSitsInACache() {
        long a = d.allocFast(0, 1, TOP32, true);
        d.freeFast(0, a, 1);
        List<Object> before = state();
        assertThrows(UnknownIovaException.class, () -> d.freeFast(0, a, 1));
        assertThrows(UnknownIovaException.class, () -> d.freeFast(1, a, 1));
        assertEquals(before, state());
        assertEquals(a, d.allocFast(0, 1, TOP32, true), "handed out once more, not twice");
        assertNotEquals(a, d.allocFast(0, 1, TOP32, true), "the cache held it once only");
    }

    @Test
    void freeingWithAnotherSizeClassIsATypedError() {
        long a = d.allocFast(0, 3, TOP32, true);
        List<Object> before = state();
        UnknownIovaException e = assertThrows(UnknownIovaException.class, () -> d.freeFast(0, a, 8));
        assertTrue(e.getMessage().contains("outstanding with 4 granules, not 8"), e.getMessage());
        assertThrows(UnknownIovaException.class, () -> d.freeFast(0, a, 1));
        assertEquals(before, state());
        d.freeFast(1, a, 4);
        assertEquals(1, d.cachedCount(1, 2), "3 and 4 are the same class");
    }

    @Test
    void aRangeFreedOnAnotherCpuGoesToThatCpusCacheAndCannotBeFreedAgain() {
        long a = d.allocFast(0, 4, TOP32, true);
        d.freeFast(1, a, 4);
        assertEquals(1, d.cachedCount(1, 2));
        assertEquals(0, d.cachedCount(0, 2));
        List<Object> before = state();
        assertThrows(UnknownIovaException.class, () -> d.freeFast(0, a, 4));
        assertThrows(UnknownIovaException.class, () -> d.freeFast(1, a, 4));
        assertEquals(before, state());
        assertEquals(a, d.allocFast(1, 4, TOP32, true));
    }

    @Test
    void pfnZeroAndNegativePfnsAreUnknown() {
        d.allocFast(0, 1, TOP32, true);
        List<Object> before = state();
        assertThrows(UnknownIovaException.class, () -> d.freeFast(0, 0, 1));
        assertThrows(UnknownIovaException.class, () -> d.freeFast(1, -5, 1));
        assertEquals(before, state());
    }

    @Test
    void freeingAReservedRangeIsATypedError() {
        d.reserve(0x1000, 0x1000);
        List<Object> before = state();
        assertThrows(UnknownIovaException.class, () -> d.freeFast(0, 0x1000, 1));
        assertEquals(before, state());
    }

    @Test
    void exhaustionNamesSizeAndLimitAndHandsNothingOut() {
        IovaDomain small = new IovaDomain(G, 1, 7, 1, () -> 0L);
        long a = small.allocFast(0, 4, 7, true);
        assertEquals(4, a, "granules 1 to 3 cannot hold an aligned 4");
        IovaExhaustedException e = assertThrows(IovaExhaustedException.class,
                () -> small.allocFast(0, 3, 100, true));
        assertEquals(4, e.size(), "the rounded size");
        assertEquals(7, e.limitPfn(), "the limit clamped to the aperture");
        assertTrue(e.getMessage().contains("4 granules") && e.getMessage().contains("0x7"), e.getMessage());
        assertEquals(List.of(new IovaRange(4, 7, false)), small.treeRanges());
        assertEquals(1, small.outstandingCount());
    }

    @Test
    void reservingOverACachedRangeIsRefused() {
        long a = d.allocFast(0, 1, TOP32, true);
        d.freeFast(0, a, 1);
        assertThrows(IllegalArgumentException.class, () -> d.reserve(a, a));
    }
}
