package org.dmalib.dma.ops;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.PageSizes;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.dmalib.iommu.api.spi.GatheringDomain;

/**
 * A real SMMU domain whose {@code map} fails from its {@code failAt}-th call on, as a driver out
 * of page-table memory does (nothing changed by the failing call); records every map that
 * succeeded. It has a DMA cookie of its own: a test wraps a rig's domain to give the failing
 * domain to a DMA domain of its own, and leaves the rig's DMA domain unused. Confined to one test
 * thread.
 */
final class FailingDomain implements GatheringDomain {
    private final GatheringDomain real;
    private final int failAt;
    private int calls;
    private boolean cookieTaken;
    final List<long[]> mapped = new ArrayList<>();

    FailingDomain(GatheringDomain real, int failAt) {
        this.real = real;
        this.failAt = failAt;
    }

    @Override
    public DomainType type() {
        return real.type();
    }

    @Override
    public InvalidationStrategy strategy() {
        return real.strategy();
    }

    @Override
    public PageSizes pageSizes() {
        return real.pageSizes();
    }

    @Override
    public long apertureStart() {
        return real.apertureStart();
    }

    @Override
    public long apertureEnd() {
        return real.apertureEnd();
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

    @Override
    public long unmap(long iova, long size) {
        return real.unmap(iova, size);
    }

    @Override
    public void flushIotlbAll() {
        real.flushIotlbAll();
    }

    @Override
    public OptionalLong iovaToPhys(long iova) {
        return real.iovaToPhys(iova);
    }

    @Override
    public long unmapFast(long iova, long size, IotlbGather gather) {
        return real.unmapFast(iova, size, gather);
    }

    @Override
    public void iotlbSync(IotlbGather gather) {
        real.iotlbSync(gather);
    }

    @Override
    public boolean claimDmaCookie() {
        boolean first = !cookieTaken;
        cookieTaken = true;
        return first;
    }
}
