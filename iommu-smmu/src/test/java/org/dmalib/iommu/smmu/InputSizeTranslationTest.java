package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * For every granule and every input size the driver accepts (25 to 48 bits), a device translates
 * through the domain at the bottom, the middle and the top of the input range, a block of the
 * largest size just below the top included, and every strict unmap takes its pages away: the
 * driver's tables (start level, pgd size, T0SZ, TG0) and its TLB invalidations (TG, TTL, ranges)
 * agree with the SMMU's walker and IOTLB for every shape, not only for 48 bits. Strategy, RIL and
 * walk coherence rotate over the shapes.
 */
class InputSizeTranslationTest {
    private static final int SID = 1;
    private static final long BLOCK_PADDR = 1L << 30; // aligned for every block size up to 1 GiB

    static Stream<Arguments> shapes() {
        List<Arguments> out = new ArrayList<>();
        List<InvalidationStrategy> strategies = List.of(InvalidationStrategy.LINUX,
                InvalidationStrategy.PER_PAGE, InvalidationStrategy.OPTIMAL);
        int i = 0;
        for (long granule : new long[] {1L << 12, 1L << 14, 1L << 16}) {
            for (int ias = 25; ias <= 48; ias++, i++) {
                out.add(Arguments.of(granule, ias, strategies.get(i % 3), i % 2 == 0,
                        i % 4 < 2));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "granule={0} ias={1} {2} ril={3} coherent={4}")
    @MethodSource("shapes")
    void pages_and_blocks_translate_and_unmap_at_the_bottom_middle_and_top(long granule, int ias,
            InvalidationStrategy strategy, boolean ril, boolean coherent) {
        Rig rig = new Rig(SmmuConfig.gem5().withRangeInvalidation(ril).withCoherentWalk(coherent));
        IommuDomain d = rig.driver.allocateDomain(DomainType.UNMANAGED, strategy, (int) granule,
                ias);
        rig.driver.attach(d, SID);
        DmaPort port = rig.port(SID);
        long top = 1L << ias;
        long block = d.pageSizes().maxPageSize();
        d.map(0, Rig.DATA, granule, IommuProt.READ_WRITE);
        d.map(top - granule, Rig.DATA + granule, granule, IommuProt.READ_WRITE);
        assertEquals(DmaStatus.OK, Rig.read(port, 0));
        assertEquals(DmaStatus.OK, Rig.read(port, top - 1));
        long blockAt = top - 2 * block; // the last block below the top page's
        boolean withBlock = block > granule && blockAt > granule;
        if (withBlock) {
            d.map(blockAt, BLOCK_PADDR, block, IommuProt.READ_WRITE);
            assertEquals(DmaStatus.OK, Rig.read(port, blockAt));
            assertEquals(DmaStatus.OK, Rig.read(port, blockAt + block - 1));
            assertEquals(BLOCK_PADDR + block - 1, d.iovaToPhys(blockAt + block - 1).getAsLong());
        }
        assertEquals(granule, d.unmap(top - granule, granule));
        assertEquals(DmaStatus.ABORT, Rig.read(port, top - 1));
        if (withBlock) {
            assertEquals(block, d.unmap(blockAt, block));
            assertEquals(DmaStatus.ABORT, Rig.read(port, blockAt));
            assertEquals(DmaStatus.ABORT, Rig.read(port, blockAt + block - 1));
        }
        // six pages across the middle of the input range: a table boundary at every level
        long mid = top / 2 - 3 * granule;
        d.map(mid, Rig.DATA, 6 * granule, IommuProt.READ_WRITE);
        Rig.assertReads(port, mid, 6 * granule, granule, DmaStatus.OK);
        assertEquals(6 * granule, d.unmap(mid, 6 * granule));
        Rig.assertReads(port, mid, 6 * granule, granule, DmaStatus.ABORT);
        assertEquals(DmaStatus.OK, Rig.read(port, 0)); // untouched by the other unmaps
        assertEquals(granule, d.unmap(0, granule));
        assertEquals(DmaStatus.ABORT, Rig.read(port, 0));

        int driverBlocks = 3; // stream table, command queue, event queue
        rig.driver.detach(SID);
        rig.driver.freeDomain(d);
        assertEquals(driverBlocks, rig.tables.blocksInUse(), "every table and the CD are freed");
    }
}
