package org.dmalib.dma.ops.internal.iova;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** dma-iommu's {@code iommu_dma_alloc_iova}: limits, 32-bit first, and its permanent switch. */
class DeviceIovaTest {
    private static final long G = 4096;
    private static final long TOP48 = (1L << 36) - 1;
    private static final long FOUR_GIB = 1L << 32;

    private final IovaDomain d = new IovaDomain(G, 1, TOP48, 2, () -> 0L);

    @Test
    void aPciDeviceTriesBelow4GiBFirstAndGivesItUpForGoodOnAFailure() {
        DeviceIova dev = new DeviceIova(-1L, 0, true);
        // leave a single granule free below 4 GiB
        d.reserve(1, 0xFFFFE);
        long low = dev.allocIova(d, 0, G);
        assertEquals(FOUR_GIB - G, low);
        assertTrue(dev.pci32BitWorkaround());
        long high = dev.allocIova(d, 0, G);
        assertEquals(TOP48 << 12, high, "the 32-bit attempt failed: full width, from the top");
        assertFalse(dev.pci32BitWorkaround());
        dev.freeIova(d, 0, low, G);
        d.flushRcaches();
        assertEquals((TOP48 - 1) << 12, dev.allocIova(d, 0, G), "the low granule is free, but never again");
    }

    @Test
    void withoutTheWorkaroundAllocationIsFullWidthAtOnce() {
        DeviceIova dev = new DeviceIova(-1L, 0, false);
        assertEquals(TOP48 << 12, dev.allocIova(d, 0, 1));
    }

    @Test
    void theLimitIsTheSmallerNonZeroOfMaskAndBusLimit() {
        assertEquals(0xFFFF_FFFFL, new DeviceIova(0xFFFF_FFFFL, 0, true).dmaLimit());
        assertEquals(0xFF_FFFF_FFFFL, new DeviceIova(-1L, 0xFF_FFFF_FFFFL, true).dmaLimit());
        assertEquals(0xFFFF_FFFFL, new DeviceIova(0xFFFF_FFFFL, -1L, true).dmaLimit());
        assertThrows(IllegalArgumentException.class, () -> new DeviceIova(0, 0, true));
        DeviceIova dev = new DeviceIova(-1L, 0xF_FFFF_FFFFL, false);
        assertEquals(0xF_FFFF_F000L, dev.allocIova(d, 1, 100), "36-bit bus: the top granule below 64 GiB");
    }

    @Test
    void aDeviceWithA32BitMaskStaysBelow4GiBAndKeepsItsFlag() {
        DeviceIova dev = new DeviceIova(0xFFFF_FFFFL, 0, true);
        assertEquals(FOUR_GIB - G, dev.allocIova(d, 0, G));
        assertTrue(dev.pci32BitWorkaround(), "the 32-bit-first step only runs for limits above 4 GiB");
    }

    @Test
    void byteSizesBecomeGranulesThenPowersOfTwo() {
        DeviceIova dev = new DeviceIova(0xFFFF_FFFFL, 0, false);
        long iova = dev.allocIova(d, 0, G + 1);
        assertEquals(FOUR_GIB - 2 * G, iova, "2 granules, aligned to 2");
        assertThrows(UnknownIovaException.class, () -> dev.freeIova(d, 0, iova, 3 * G));
        dev.freeIova(d, 0, iova, 2 * G);
        assertEquals(1, d.cachedCount(0, 1));
        assertThrows(IllegalArgumentException.class, () -> dev.allocIova(d, 0, 0));
    }

    @Test
    void aLimitBelowTheFirstGranuleIsExhaustionNotABadArgument() {
        // DMA_BIT_MASK(12) reaches IOVA page 0 only, which is never handed out
        DeviceIova dev = new DeviceIova(0xFFFL, 0, false);
        IovaExhaustedException e = assertThrows(IovaExhaustedException.class, () -> dev.allocIova(d, 0, G));
        assertEquals(0, e.limitPfn());
        assertEquals(1, e.size());
        assertEquals(0, d.outstandingCount());
        // one granule more reaches the first granule
        assertEquals(G, new DeviceIova(0x1FFFL, 0, false).allocIova(d, 0, G));
    }

    @Test
    void aFailedAllocationOfADeviceWithA32BitMaskKeepsItsFlag() {
        DeviceIova dev = new DeviceIova(0xFFFF_FFFFL, 0, true);
        // everything below 4 GiB but one granule is reserved: two granules cannot fit
        d.reserve(1, 0xFFFFE);
        assertThrows(IovaExhaustedException.class, () -> dev.allocIova(d, 0, 2 * G));
        assertTrue(dev.pci32BitWorkaround(), "no 32-bit-first attempt failed: the limit is 4 GiB");
    }

    @Test
    void aSpaceStartingAbove4GiBFailsThe32BitAttemptInsteadOfRefusingIt() {
        // aperture_start at 4 GiB: no granule below 4 GiB is ever handed out
        IovaDomain high = new IovaDomain(G, FOUR_GIB >>> 12, TOP48, 1, () -> 0L);
        DeviceIova dev = new DeviceIova(-1L, 0, true);
        assertEquals(TOP48 << 12, dev.allocIova(high, 0, G), "full width at once, from the top");
        assertFalse(dev.pci32BitWorkaround(), "the 32-bit attempt failed, as in Linux");
        assertEquals(1, high.outstandingCount());
    }

    @Test
    void anApertureEndingAt4GiBLeavesTheWorkaroundAlone() {
        // aperture_end = 4 GiB - 1: the limit clamped to it is not above 4 GiB, so Linux makes
        // one attempt, with the flush, and keeps pci_32bit_workaround
        IovaDomain low = new IovaDomain(G, 1, 0xFFFFF, 1, () -> 0L);
        DeviceIova dev = new DeviceIova(-1L, 0, true);
        low.reserve(1, 0xFFFFE);
        assertEquals(FOUR_GIB - G, dev.allocIova(low, 0, G));
        assertThrows(IovaExhaustedException.class, () -> dev.allocIova(low, 0, G));
        assertTrue(dev.pci32BitWorkaround(), "no 32-bit-first attempt: the clamped limit is 4 GiB");
    }

    @Test
    void aFreeOfAnIovaInsideAGranuleIsRefusedAndNamesIt() {
        DeviceIova dev = new DeviceIova(0xFFFF_FFFFL, 0, false);
        long iova = dev.allocIova(d, 0, G);
        UnknownIovaException e = assertThrows(UnknownIovaException.class, () -> dev.freeIova(d, 0, iova + 8, G));
        assertTrue(e.getMessage().contains(Long.toHexString(iova + 8)), e.getMessage());
        assertEquals(1, d.outstandingCount(), "the range is still outstanding");
        dev.freeIova(d, 0, iova, G);
        assertEquals(0, d.outstandingCount());
    }
}
