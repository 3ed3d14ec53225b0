package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.dmalib.hw.Coherency;
import org.dmalib.iommu.api.DmaDirection;
import org.junit.jupiter.api.Test;

/**
 * Pages next to other pages: a free run that ends right below a used page is used, a buffer
 * right below a reserved region or a coherent allocation maps without a debug report, and the
 * exhaustion message names the searched range exactly (a 64 MiB machine, 1 MiB bounce pool).
 */
class PageNeighboursTest {
    private static final int PAGE = PageAllocator.PAGE_SIZE;
    private static final long MEMORY = 64L << 20;

    private final Rig r = new Rig(Coherency.NON_COHERENT);

    @Test
    void aReservedRegionGoesRightBelowTheOneAboveIt() {
        long top = r.memory.reserveRegion(PAGE, PAGE);
        assertEquals(MEMORY - PAGE, top);
        assertEquals(top - PAGE, r.memory.reserveRegion(PAGE, PAGE));
        assertEquals(2, r.memory.pagesReserved());
    }

    @Test
    void aOnePageHoleBetweenTwoBuffersIsFilledFirst() {
        CpuBuffer a = r.memory.allocate(PAGE);
        CpuBuffer b = r.memory.allocate(PAGE);
        CpuBuffer c = r.memory.allocate(PAGE);
        assertEquals(a.paddr() + PAGE, b.paddr());
        assertEquals(b.paddr() + PAGE, c.paddr());
        r.memory.free(b);
        assertEquals(b.paddr(), r.memory.allocate(PAGE).paddr());
    }

    @Test
    void aBufferRightBelowAReservedRegionMapsWithoutAReport() {
        long region = r.memory.reserveRegion(PAGE, PAGE);
        CpuBuffer below = r.memory.allocateAbove(region - PAGE, PAGE);
        assertEquals(region - PAGE, below.paddr());
        DmaMapping m = r.dev.mapSingle(r.cpu, below, DmaDirection.TO_DEVICE);
        m.unmap(r.cpu);
        assertEquals(0, r.dev.debugReportCount());
    }

    @Test
    void aBufferRightBelowACoherentAllocationMapsWithoutAReport() {
        CpuBuffer below = r.memory.allocate(PAGE);
        CoherentBuffer ring = r.dev.allocCoherent(r.cpu, PAGE);
        assertEquals(below.paddr() + PAGE, ring.cpuAddress());
        DmaMapping m = r.dev.mapSingle(r.cpu, below, DmaDirection.TO_DEVICE);
        m.unmap(r.cpu);
        ring.free();
        assertEquals(0, r.dev.debugReportCount());
    }

    @Test
    void exhaustionNamesTheSearchedRangeInBytes() {
        int tooBig = (int) (MEMORY - Rig.POOL) + PAGE;
        DmaMappingException e = assertThrows(DmaMappingException.class, () -> r.memory.allocate(tooBig));
        assertEquals(String.format("no free run of pages=%d for size=%d in [0x100000, 0x4000000)",
                tooBig / PAGE, tooBig), e.getMessage());
    }
}
