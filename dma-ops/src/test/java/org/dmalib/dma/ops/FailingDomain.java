package org.dmalib.dma.ops;

import java.util.ArrayList;
import java.util.List;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.spi.GatheringDomain;

/**
 * A real SMMU domain whose {@code map} fails from its {@code failAt}-th call on, as a driver out
 * of page-table memory does (nothing changed by the failing call); records every map that
 * succeeded. Confined to one test thread.
 */
final class FailingDomain extends ForwardingDomain {
    private final int failAt;
    private int calls;
    final List<long[]> mapped = new ArrayList<>();

    FailingDomain(GatheringDomain real, int failAt) {
        super(real);
        this.failAt = failAt;
    }

    @Override
    public void map(long iova, long paddr, long size, IommuProt prot) {
        if (++calls >= failAt) {
            throw new IllegalStateException(String.format(
                    "page-table memory exhausted mapping iova=0x%x size=0x%x", iova, size));
        }
        real.map(iova, paddr, size, prot);
        mapped.add(new long[] {iova, size});
    }
}
