package org.dmalib.dma.ops.internal.bounce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Slot bookkeeping: segment boundaries, page alignment, limits, release checks. */
class BouncePoolTest {
    private static final long SEG = (long) BouncePool.IO_TLB_SEGSIZE * BouncePool.IO_TLB_SIZE;

    @Test
    void constantsAreSwiotlbs() {
        assertEquals(2048, BouncePool.IO_TLB_SIZE);
        assertEquals(128, BouncePool.IO_TLB_SEGSIZE);
        assertEquals(256 * 1024, BouncePool.maxMappingSize());
    }

    @Test
    void aBufferNeverCrossesASegment() {
        BouncePool pool = new BouncePool(0, 2 * SEG);
        long a = pool.reserve(SEG - 2048, -1L);
        assertEquals(0, a);
        // one slot left in segment 0: a 2-slot buffer must go to segment 1
        long b = pool.reserve(2 * 2048 - 1, -1L);
        assertEquals(SEG, b);
        assertEquals(127 + 2, pool.slotsInUse());
    }

    @Test
    void pageSizedBuffersArePageAligned() {
        BouncePool pool = new BouncePool(0, SEG);
        assertEquals(0, pool.reserve(100, -1L));
        assertEquals(4096, pool.reserve(4096, -1L));
    }

    @Test
    void limitKeepsBuffersBelowTheMask() {
        BouncePool pool = new BouncePool(0, 2 * SEG);
        assertEquals(-1, pool.reserve(4096, 4095 - 1));
        assertEquals(0, pool.reserve(4096, 4095));
        assertEquals(-1, pool.reserve(4096, 4095), "the only slots under the limit are taken");
        assertEquals(2, pool.slotsInUse());
    }

    @Test
    void aFullPoolCouldStillServeARequestThatATooSmallOrTooHighPoolNeverCould() {
        BouncePool pool = new BouncePool(0, 16 * 2048);
        long a = pool.reserve(16 * 2048, -1L);
        assertEquals(-1, pool.reserve(2048, -1L));
        assertTrue(pool.couldEverReserve(2048, -1L, 2048), "full, not too small");
        assertFalse(pool.couldEverReserve(16 * 2048 + 1, -1L, 2048), "17 slots in a pool of 16");
        assertFalse(pool.couldEverReserve(4096, 4095 - 1, 2048), "no page of it ends at the limit");
        assertTrue(pool.couldEverReserve(4096, 4095, 2048));
        // 64 KiB alignment in a pool at 8 KiB: no aligned start inside it
        BouncePool high = new BouncePool(8192, 64 * 2048);
        assertFalse(high.couldEverReserve(2048, -1L, 65536));
        assertEquals(-1, high.reserveAligned(2048, -1L, 65536));
        assertTrue(high.couldEverReserve(2048, -1L, 8192));
        pool.release(a, 16 * 2048);
        assertEquals(0, pool.slotsInUse(), "asking reserves nothing");
        assertThrows(IllegalArgumentException.class, () -> pool.couldEverReserve(0, -1L, 2048));
        assertThrows(IllegalArgumentException.class, () -> pool.couldEverReserve(2048, -1L, 1024));
    }

    @Test
    void releaseChecksWhatItFrees() {
        BouncePool pool = new BouncePool(0, SEG);
        long a = pool.reserve(2048, -1L);
        pool.release(a, 2048);
        assertThrows(IllegalArgumentException.class, () -> pool.release(a, 2048));
        assertThrows(IllegalArgumentException.class, () -> pool.release(SEG, 2048));
        assertEquals(0, pool.slotsInUse());
    }

    @Test
    void anAlignedReservationStartsOnItsAlignment() {
        BouncePool pool = new BouncePool(0, 2 * SEG);
        assertEquals(0, pool.reserve(2048, -1L));
        // 16 KiB alignment for a 2 KiB buffer: the next multiple of 16 KiB, not the next slot
        assertEquals(16384, pool.reserveAligned(2048, -1L, 16384));
        assertThrows(IllegalArgumentException.class, () -> pool.reserveAligned(2048, -1L, 3000));
        assertThrows(IllegalArgumentException.class, () -> pool.reserveAligned(2048, -1L, 1024));
    }

    @Test
    void aPoolAtABaseHandsOutAndTakesBackOnlyItsOwnSlots() {
        long base = 0x100000;
        BouncePool pool = new BouncePool(base, SEG);
        assertEquals(base, pool.base());
        assertEquals(BouncePool.IO_TLB_SEGSIZE, pool.slotCount());
        assertFalse(pool.contains(base - 1));
        assertTrue(pool.contains(base));
        assertTrue(pool.contains(base + SEG - 1));
        assertFalse(pool.contains(base + SEG));
        long a = pool.reserve(4096, -1L);
        assertEquals(base, a);
        refusesRelease(pool, base - 2048, 2048, "tlbAddr=0xff800 size=2048 is not a bounce buffer of this pool");
        refusesRelease(pool, base + SEG, 2048, "is not a bounce buffer of this pool");
        refusesRelease(pool, base + 1024, 2048, "is not a bounce buffer of this pool");
        refusesRelease(pool, a, 0, "tlbAddr=0x100000 size=0 is not a bounce buffer of this pool");
        refusesRelease(pool, a + 4096, 2048, "tlbAddr=0x101000 size=2048 is not reserved");
        refusesRelease(pool, a, 8192, "is not reserved");
        refusesRelease(pool, base + SEG - 2048, 4096, "is not reserved");
        assertEquals(2, pool.slotsInUse(), "the refused releases changed nothing");
        pool.release(a + 2048, 2048);
        pool.release(a, 2048);
        assertEquals(0, pool.slotsInUse());
    }

    private static void refusesRelease(BouncePool pool, long tlbAddr, long size, String named) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pool.release(tlbAddr, size));
        assertTrue(e.getMessage().contains(named), e::getMessage);
    }

    @Test
    void theBaseAndSizeMustBeNonNegativeMultiplesOfASlot() {
        for (long bad : new long[] {-2048, 1024}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BouncePool(bad, SEG));
            assertTrue(e.getMessage().contains("must be a non-negative multiple of 2048"), e::getMessage);
        }
        for (long bad : new long[] {-2048, 1000, (Integer.MAX_VALUE + 1L) << 11}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BouncePool(0, bad));
            assertTrue(e.getMessage().contains("size=" + bad + " must be a non-negative multiple of 2048"),
                    e::getMessage);
        }
        BouncePool none = new BouncePool(4096, 0);
        assertEquals(0, none.slotCount());
        assertEquals(-1, none.reserve(2048, -1L));
    }

    @Test
    void aReservationIsFromOneByteToTheLargestMappingSize() {
        BouncePool pool = new BouncePool(0, 2 * SEG);
        for (long bad : new long[] {0, -1, BouncePool.maxMappingSize() + 1}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pool.reserve(bad, -1L));
            assertTrue(e.getMessage().contains("size=" + bad + " must be from 1 to 262144"), e::getMessage);
        }
        assertEquals(0, pool.slotsInUse());
        assertEquals(0, pool.reserve(BouncePool.maxMappingSize(), -1L));
        assertEquals(SEG, pool.reserve(1, -1L));
    }

    @Test
    void theSearchGoesOnAfterTheLastReservationNotFromTheStart() {
        BouncePool pool = new BouncePool(0, SEG);
        long a = pool.reserve(2048, -1L);
        pool.release(a, 2048);
        assertEquals(2048, pool.reserve(2048, -1L), "next fit, as swiotlb's index");
    }

    @Test
    void aBufferFitsOnlyInsideThePoolAndRightUpToAUsedSlot() {
        BouncePool three = new BouncePool(0, 3 * 2048);
        assertEquals(0, three.reserve(4096, -1L));
        assertEquals(-1, three.reserve(4096, -1L), "one slot is left: a page does not fit past the end");
        assertEquals(4096, three.reserve(2048, -1L));

        BouncePool two = new BouncePool(0, 2 * 2048);
        long first = two.reserve(2048, -1L);
        assertEquals(2048, two.reserve(2048, -1L));
        two.release(first, 2048);
        assertEquals(first, two.reserve(2048, -1L), "the free slot just before a used one");
    }

    @Test
    void aPageSizedSearchStartsAtThePageOfTheNextSlot() {
        BouncePool pool = new BouncePool(0, SEG);
        assertEquals(0, pool.reserve(2048, -1L));
        assertEquals(2048, pool.reserve(2048, -1L));
        assertEquals(4096, pool.reserve(2048, -1L));
        pool.release(4096, 2048);
        // the next slot is 3, in the page of slots 2 and 3: both free now, so that page
        assertEquals(4096, pool.reserve(4096, -1L));
    }
}
