package org.dmalib.dma.ops.internal.bounce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * {@link BouncePool#reserveFor}: swiotlb's {@code min_align_mask} slot math. The offset into the
 * first slot keeps the mask's bits below a slot, the choice of the first slot keeps those from
 * a slot up, and the release finds the first slot again.
 */
class BouncePoolMinAlignTest {
    private static final long SEG = (long) BouncePool.IO_TLB_SEGSIZE * BouncePool.IO_TLB_SIZE;
    private static final long NVME = 0xFFF;

    @Test
    void nvmesMaskKeepsTheLow12BitsByOffsetAndSlotParity() {
        BouncePool pool = new BouncePool(0, 2 * SEG);
        // 0xFA0: 0x7A0 into a slot whose bit 11 is set (an odd slot); slot 0 is skipped
        long a = pool.reserveFor(0x12_3FA0L, 0x50, -1L, NVME);
        assertEquals(0xFA0, a);
        assertEquals(1, pool.slotsInUse());
        // bit 11 clear, offset 0: the next even slot, slot 2; a page, yet not page-stepped
        long b = pool.reserveFor(0x45_6000L, 4096, -1L, NVME);
        assertEquals(0x1000, b);
        assertEquals(3, pool.slotsInUse());
        // bit 11 set, offset 0: slot 5 (0x2800), not page aligned, as Linux with a mask
        long c = pool.reserveFor(0x78_9800L, 4096, -1L, NVME);
        assertEquals(0x2800, c);
        for (long[] r : new long[][] {{a, 0x12_3FA0L}, {b, 0x45_6000L}, {c, 0x78_9800L}}) {
            assertEquals(r[1] & NVME, r[0] & NVME, () -> Long.toHexString(r[0]));
        }
        pool.releaseFor(a, 0x50, NVME);
        pool.releaseFor(b, 4096, NVME);
        pool.releaseFor(c, 4096, NVME);
        assertEquals(0, pool.slotsInUse());
    }

    @Test
    void theOffsetCanTakeOneMoreSlotAndItsReleaseFreesIt() {
        BouncePool pool = new BouncePool(0, SEG);
        // offset 0x7F0 + 0x20 bytes: 0x810 from the slot's start, two slots
        long a = pool.reserveFor(0x1_07F0L, 0x20, -1L, 0x7FF);
        assertEquals(0x7F0, a);
        assertEquals(2, pool.slotsInUse());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> pool.releaseFor(a, 0x20, 0));
        assertTrue(e.getMessage().contains("is not a bounce buffer"), e::getMessage);
        assertEquals(2, pool.slotsInUse(), "a release without the mask is refused, changing nothing");
        pool.releaseFor(a, 0x20, 0x7FF);
        assertEquals(0, pool.slotsInUse());
        assertThrows(IllegalArgumentException.class, () -> pool.releaseFor(a, 0x20, 0x7FF));
    }

    @Test
    void aMaskAboveASlotIsKeptByTheSlotAloneAndMayFindNone() {
        BouncePool pool = new BouncePool(0, SEG);
        // 0x1FFF: bits 11 and 12 of the slot's address are the original's (3 of 4 slots skipped)
        long a = pool.reserveFor(0x5_1800L, 2048, -1L, 0x1FFF);
        assertEquals(0x1800, a);
        BouncePool one = new BouncePool(0, 2048);
        assertFalse(one.couldEverReserveFor(0x800, 16, -1L, NVME), "slot 0 has bit 11 clear");
        assertEquals(-1, one.reserveFor(0x800, 16, -1L, NVME));
        assertTrue(one.couldEverReserveFor(0x7F0, 16, -1L, NVME));
        assertEquals(0x7F0, one.reserveFor(0x7F0, 16, -1L, NVME));
        // the limit bounds the slots, offset included
        BouncePool two = new BouncePool(0, 2 * 2048);
        assertEquals(-1, two.reserveFor(0x800, 2048, 0xFFE, NVME), "slot 1 reaches 0xFFF");
        assertFalse(two.couldEverReserveFor(0x800, 2048, 0xFFE, NVME));
        assertEquals(0x800, two.reserveFor(0x800, 2048, 0xFFF, NVME), "at the limit it fits");
    }

    @Test
    void noMaskIsThePlainReservePageAlignedForAPage() {
        BouncePool pool = new BouncePool(0, SEG);
        assertEquals(0, pool.reserveFor(0x7A0, 16, -1L, 0));
        assertEquals(0x1000, pool.reserveFor(0x7A0, 4096, -1L, 0), "a page starts on a page");
        pool.releaseFor(0, 16, 0);
        pool.releaseFor(0x1000, 4096, 0);
        assertEquals(0, pool.slotsInUse());
    }

    @Test
    void theLargestBufferShrinksByTheMaskRoundedUpToASlot() {
        assertEquals(SEG, BouncePool.maxMappingSize(0));
        assertEquals(SEG - 2048, BouncePool.maxMappingSize(0x7FF));
        assertEquals(SEG - 4096, BouncePool.maxMappingSize(NVME));
        BouncePool pool = new BouncePool(0, 2 * SEG);
        long largest = BouncePool.maxMappingSize(NVME);
        long a = pool.reserveFor(0xFFF, largest, -1L, NVME);
        assertEquals(0xFFF, a & NVME);
        pool.releaseFor(a, largest, NVME);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> pool.reserveFor(0, largest + 1, -1L, NVME));
        assertTrue(e.getMessage().contains("size=" + (largest + 1) + " must be from 1 to " + largest), e::getMessage);
        // a mask of 2^18 - 1 (half the largest buffer and more) would leave no size to bounce
        assertEquals(BouncePool.maxMappingSize() / 2, BouncePool.maxMappingSize(SEG / 2 - 1));
        for (long bad : new long[] {-1, 0x17, SEG, SEG + SEG - 1, SEG - 1}) {
            IllegalArgumentException m = assertThrows(IllegalArgumentException.class,
                    () -> pool.reserveFor(0, 16, -1L, bad));
            assertTrue(m.getMessage().contains(String.format("minAlignMask=0x%x", bad)), m::getMessage);
        }
        assertEquals(0, pool.slotsInUse());
    }
}
