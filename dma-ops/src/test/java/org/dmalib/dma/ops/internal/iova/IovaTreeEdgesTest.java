package org.dmalib.dma.ops.internal.iova;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The tree at the edges of its ranges: reservations that touch or end with an existing one, a
 * lookup of a range's last granule, the cache points of a range that ends on the first granule
 * above 4 GiB, and the exact address-space bound in the refusals (4 KiB granule:
 * dma_32bit_pfn = 0x100000).
 */
class IovaTreeEdgesTest {
    private static final long G = 4096;
    private static final long TOP32 = 0xFFFFF;
    private static final long DMA32 = 0x100000;
    private static final long TOP48 = (1L << 36) - 1;
    private static final long ANCHOR = Long.MAX_VALUE;

    @Test
    void theRefusalsNameTheLastGranuleOfTheAddressSpaceExactly() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new IovaTree(G, 1, 1L << 52));
        assertEquals("startPfn=0x1 endPfn=0x10000000000000: need 1 <= startPfn <= endPfn <= 0xfffffffffffff",
                e.getMessage());
        IovaTree t = new IovaTree(G, 1, TOP32);
        e = assertThrows(IllegalArgumentException.class, () -> t.reserve(0, 1L << 52));
        assertEquals("reserve [0x0, 0x10000000000000]: need 0 <= pfnLo <= pfnHi <= 0xfffffffffffff",
                e.getMessage());
    }

    @Test
    void aReservationEndingOnTheFirstGranuleOfAReservedRangeGrowsItDownwards() {
        IovaTree t = new IovaTree(G, 1, 100);
        t.reserve(10, 20);
        t.reserve(5, 10);
        assertEquals(List.of(new IovaRange(5, 20, true)), t.ranges());
    }

    @Test
    void aReservationStartingOnTheLastGranuleOfAReservedRangeAddsOnlyWhatLiesAbove() {
        IovaTree t = new IovaTree(G, 1, 100);
        t.reserve(10, 20);
        t.reserve(20, 30);
        assertEquals(List.of(new IovaRange(10, 20, true), new IovaRange(21, 30, true)), t.ranges());
    }

    @Test
    void aReservationInsideAReservedRangeUpToItsEndChangesNothing() {
        IovaTree t = new IovaTree(G, 1, 100);
        t.reserve(10, 20);
        t.reserve(15, 20);
        assertEquals(List.of(new IovaRange(10, 20, true)), t.ranges());
    }

    @Test
    void findReturnsTheRangeForItsLastGranule() {
        IovaTree t = new IovaTree(G, 1, TOP32);
        long lo = t.alloc(3, TOP32, false);
        assertEquals(TOP32 - 2, lo);
        IovaRange r = new IovaRange(lo, TOP32, false);
        assertEquals(r, t.find(TOP32));
        assertEquals(r, t.find(lo));
        assertEquals(3, t.find(TOP32).size());
    }

    @Test
    void aRangeEndingOnTheFirstGranuleAbove4GiBIsTheFullWidthCachePoint() {
        IovaTree t = new IovaTree(G, 1, TOP48);
        // unaligned, limit 0x100000: the range [0xFFFFF, 0x100000] straddles 4 GiB
        assertEquals(0xFFFFF, t.alloc(2, DMA32, false));
        assertEquals(0xFFFFF, t.cachedPfn());
        assertEquals(ANCHOR, t.cached32Pfn(), "the 32-bit cache point stays");
    }

    @Test
    void freeingARangeEndingOnTheFirstGranuleAbove4GiBLeavesThe32BitCachePoint() {
        IovaTree t = new IovaTree(G, 1, TOP48);
        long straddling = t.alloc(2, DMA32, false);
        assertEquals(0xFFFFE, t.alloc(1, TOP32, true), "below the straddling range");
        assertEquals(0xFFFFE, t.cached32Pfn());
        t.free(straddling, 2);
        assertEquals(0xFFFFE, t.cached32Pfn());
    }

    @Test
    void freeingARangeThatStartsAt4GiBKeepsTheFailed32BitSize() {
        IovaTree t = new IovaTree(G, 1, TOP48);
        // 15 granules stay free below 4 GiB
        t.reserve(1, 0xFFFF0);
        assertEquals(DMA32, t.alloc(1, DMA32, true));
        assertEquals(0, t.tryAlloc(32, TOP32, true));
        assertEquals(32, t.max32AllocSize());
        t.free(DMA32, 1);
        assertEquals(32, t.max32AllocSize(), "nothing below 4 GiB was freed");
    }

    @Test
    void freeingTheFullWidthCachedRangeMovesTheCachePointToItsSuccessor() {
        IovaTree t = new IovaTree(G, 1, TOP48);
        assertEquals(TOP48, t.alloc(1, TOP48, true));
        assertEquals(TOP48 - 1, t.alloc(1, TOP48, true));
        assertEquals(TOP48 - 1, t.cachedPfn());
        t.free(TOP48 - 1, 1);
        assertEquals(TOP48, t.cachedPfn());
        assertEquals(TOP48 - 1, t.alloc(1, TOP48, true), "the freed granule is found again");
    }

    @Test
    void aGapTooSmallBelowTheCachePointIsSkippedForTheNextOneThatFits() {
        IovaTree t = new IovaTree(G, 1, 100);
        assertEquals(100, t.alloc(1, 100, true));
        assertEquals(99, t.alloc(1, 100, true));
        assertEquals(98, t.alloc(1, 100, true));
        t.free(99, 1);
        // from the cache point (100): [98, 99] would cover 98, so the aligned pair below it
        assertEquals(96, t.alloc(2, 100, true));
        assertEquals(List.of(new IovaRange(96, 97, false), new IovaRange(98, 98, false),
                new IovaRange(100, 100, false)), t.ranges());
    }
}
