package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.OptionalLong;
import org.dmalib.hw.Coherency;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Coherent allocations over a domain whose IOVA granule is larger than the 4 KiB page
 * ({@code iommu_dma_alloc}): whole granules of granule-aligned pages, so the device reaches
 * nothing but the allocation through its mapping.
 */
class IommuCoherentGranuleTest {

    @ParameterizedTest
    @ValueSource(ints = {16 * 1024, 64 * 1024})
    void aPageSizedAllocationTakesAWholeAlignedGranuleAndExposesNoNeighbour(int granule) {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT, granule);
        // a neighbour one page into the first granule above the pool: a page-aligned first fit
        // would put the allocation right after it, in the same granule
        CpuBuffer neighbour = r.memory.allocate(4096);
        byte[] secret = Rig.pattern(4096, 9);
        neighbour.write(r.cpu, 0, secret);
        int pages = r.memory.pagesInUse();

        CoherentBuffer buf = r.dev.allocCoherent(r.cpu, 4096);
        assertEquals(0, buf.dmaAddress() % granule, "the DMA address is a granule's first byte");
        assertEquals(0, buf.cpuAddress() % granule, "the pages start a granule");
        assertEquals(pages + granule / 4096, r.memory.pagesInUse(), "the whole granule is taken");
        // every byte the device reaches through the allocation's granule is the allocation's
        for (long off = 0; off < granule; off += 4096) {
            OptionalLong phys = r.domain.iovaToPhys(buf.dmaAddress() + off);
            assertEquals(OptionalLong.of(buf.cpuAddress() + off), phys);
            assertFalse(phys.getAsLong() >= neighbour.paddr() && phys.getAsLong() < neighbour.end(),
                    "the neighbour's page is not reachable");
        }
        assertArrayEquals(new byte[granule], r.deviceRead(buf.dmaAddress(), granule),
                "the rest of the granule is zeroed as well");

        buf.free();
        assertEquals(pages, r.memory.pagesInUse());
        assertEquals(0, r.dmaDomain.iovaRangesOutstanding());
        assertArrayEquals(secret, neighbour.read(r.cpu, 0, 4096));
    }

    @Test
    void theLargestSizeIsTheLastWholeGranuleAnIntHolds() {
        IommuRig r = new IommuRig(Coherency.COHERENT, 64 * 1024);
        DmaUsageException e = assertThrows(DmaUsageException.class,
                () -> r.dev.allocCoherent(r.cpu, Integer.MAX_VALUE & -4096));
        assertEquals(String.format("size=%d must be at most %d: its whole IOVA granules of 65536"
                + " bytes must fit an int", Integer.MAX_VALUE & -4096, Integer.MAX_VALUE & -65536),
                e.getMessage());
        assertEquals(0, r.dev.pendingMappings().size());
    }
}
