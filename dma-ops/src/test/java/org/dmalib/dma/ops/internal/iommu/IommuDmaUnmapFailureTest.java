package org.dmalib.dma.ops.internal.iommu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.PageSizes;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.dmalib.iommu.api.spi.IommuDomainOps;
import org.dmalib.iommu.api.spi.IommuDomains;
import org.junit.jupiter.api.Test;

/**
 * dma-iommu's strict unmap over a driver that fails part-way: what the driver unmapped and
 * gathered before it threw is synced (the IOTLB must not keep translating pages gone from the
 * tables), and the driver's exception is the one that comes out.
 */
class IommuDmaUnmapFailureTest {
    private static final long SZ_4K = 1L << 12;
    private static final long SZ_2M = 1L << 21;
    // two 4K pages below 2 MiB, then a 2 MiB block: the core unmaps them in two driver calls
    private static final long IOVA = SZ_2M - 2 * SZ_4K;
    private static final long SPAN = 2 * SZ_4K + SZ_2M;

    private final RuntimeException fault = new IllegalStateException("walk fault at 0x200000");
    private final RuntimeException syncFault = new IllegalStateException("sync timeout");
    private final List<long[]> synced = new ArrayList<>();
    private boolean syncThrows;

    /** Maps anything; unmaps 4K pages into the gather and throws on the 2 MiB block. */
    private final IommuDomainOps ops = new IommuDomainOps() {
        @Override
        public long mapPages(long iova, long paddr, long pgsize, long pgcount, IommuProt prot) {
            return pgsize * pgcount;
        }

        @Override
        public long unmapPages(long iova, long pgsize, long pgcount, IotlbGather gather) {
            if (pgsize == SZ_2M) {
                throw fault;
            }
            gather.addPages(iova, pgsize, pgcount, this::iotlbSync);
            return pgsize * pgcount;
        }

        @Override
        public void flushIotlbAll() {
            // nothing cached
        }

        @Override
        public void iotlbSync(IotlbGather gather) {
            synced.add(new long[] {gather.start(), gather.end()});
            gather.reset();
            if (syncThrows) {
                throw syncFault;
            }
        }

        @Override
        public OptionalLong iovaToPhys(long iova) {
            return OptionalLong.empty();
        }
    };

    private IommuDma dma() {
        return IommuDma.of(IommuDomains.create(ops, PageSizes.of(SZ_4K, SZ_2M, 1L << 30),
                DomainType.DMA, InvalidationStrategy.LINUX, 48), 1, System::nanoTime);
    }

    @Test
    void the_pages_unmapped_before_the_driver_threw_are_synced() {
        IommuDma dma = dma();
        RuntimeException e = assertThrows(RuntimeException.class, () -> dma.unmapStrict(IOVA, SPAN));
        assertSame(fault, e);
        assertEquals(1, synced.size());
        assertArrayEquals(new long[] {IOVA, IOVA + 2 * SZ_4K - 1}, synced.get(0));
    }

    @Test
    void a_failing_sync_is_suppressed_behind_the_drivers_failure() {
        IommuDma dma = dma();
        syncThrows = true;
        RuntimeException e = assertThrows(RuntimeException.class, () -> dma.unmapStrict(IOVA, SPAN));
        assertSame(fault, e);
        assertArrayEquals(new Throwable[] {syncFault}, e.getSuppressed());
    }
}
