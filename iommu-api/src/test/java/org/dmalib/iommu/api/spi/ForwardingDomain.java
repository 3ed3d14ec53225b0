package org.dmalib.iommu.api.spi;

import java.util.OptionalLong;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.PageSizes;

/**
 * A domain that forwards everything but {@code mapRuns}, which it leaves to
 * {@link IommuDomain}'s default, for the tests of that default.
 */
final class ForwardingDomain implements IommuDomain {
    private final IommuDomain d;

    ForwardingDomain(IommuDomain d) {
        this.d = d;
    }

    @Override
    public DomainType type() {
        return d.type();
    }

    @Override
    public InvalidationStrategy strategy() {
        return d.strategy();
    }

    @Override
    public PageSizes pageSizes() {
        return d.pageSizes();
    }

    @Override
    public long apertureStart() {
        return d.apertureStart();
    }

    @Override
    public long apertureEnd() {
        return d.apertureEnd();
    }

    @Override
    public void map(long iova, long paddr, long size, IommuProt prot) {
        d.map(iova, paddr, size, prot);
    }

    @Override
    public long unmap(long iova, long size) {
        return d.unmap(iova, size);
    }

    @Override
    public void flushIotlbAll() {
        d.flushIotlbAll();
    }

    @Override
    public OptionalLong iovaToPhys(long iova) {
        return d.iovaToPhys(iova);
    }
}
