package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.junit.jupiter.api.Test;

/**
 * A strict unmap of a range so large that Linux's range encoding would need a SCALE its 5-bit
 * field cannot hold (2^32 pages of 4 KiB: 16 TiB) still invalidates it: the unmap returns, and no
 * stale IOTLB entry survives (it used to throw from the sync, after the table had been cleared).
 */
class HugeRangeUnmapTest {
    private static final int SID = 3;
    private static final long GIB = 1L << 30;
    private static final long SIXTEEN_TIB = 1L << 44;

    @Test
    void a_16_tib_strict_unmap_of_gigabyte_blocks_invalidates_every_block_with_ril() {
        Rig rig = new Rig(SmmuConfig.gem5().withRangeInvalidation(true));
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, 4096);
        rig.driver.attach(domain, SID);
        DmaPort port = rig.port(SID);
        // every block maps the same gigabyte of RAM: the table holds 16384 level-1 blocks
        for (long iova = 0; iova < SIXTEEN_TIB; iova += GIB) {
            domain.map(iova, GIB, GIB, IommuProt.READ_WRITE);
        }
        long last = SIXTEEN_TIB - GIB;
        assertEquals(DmaStatus.OK, Rig.read(port, 0));
        assertEquals(DmaStatus.OK, Rig.read(port, last)); // both blocks now in the IOTLB
        SmmuDriverCounters before = rig.driver.counters();

        assertEquals(SIXTEEN_TIB, domain.unmap(0, SIXTEEN_TIB));

        SmmuDriverCounters d = rig.driver.counters().minus(before);
        // Linux would truncate SCALE 32 to 0 and invalidate one page: the driver goes ASID-wide
        assertEquals(0, d.tlbiNhVa(), d.toString());
        assertEquals(1, d.tlbiNhAsid(), d.toString());
        assertEquals(1, d.cmdSyncs(), d.toString());
        assertEquals(DmaStatus.ABORT, Rig.read(port, 0));
        assertEquals(DmaStatus.ABORT, Rig.read(port, last));
        assertTrue(domain.iovaToPhys(last).isEmpty());
    }
}
