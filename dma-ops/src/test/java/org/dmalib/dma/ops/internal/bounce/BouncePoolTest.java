package org.dmalib.dma.ops.internal.bounce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
}
