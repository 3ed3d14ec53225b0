package org.dmalib.dma.ops;

import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.PageSizes;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.dmalib.iommu.api.spi.GatheringDomain;

/**
 * A test domain that forwards every call to a driver's real domain; subclasses override the
 * calls they change. It has a DMA cookie of its own: a test wraps a rig's domain to give the
 * wrapper to a DMA domain of its own, and leaves the rig's DMA domain unused. Safe for
 * concurrent use as far as the real domain is.
 */
abstract class ForwardingDomain implements GatheringDomain {
    final GatheringDomain real;
    private final AtomicBoolean cookieTaken = new AtomicBoolean();

    ForwardingDomain(GatheringDomain real) {
        this.real = real;
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
        real.map(iova, paddr, size, prot);
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
        return cookieTaken.compareAndSet(false, true); // the first claim wins, as the real one
    }
}
