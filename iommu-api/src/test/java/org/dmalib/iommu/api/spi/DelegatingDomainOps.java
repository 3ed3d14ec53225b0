package org.dmalib.iommu.api.spi;

import java.util.OptionalLong;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;

/** Domain ops that forward to a {@link FakePageTable}; tests override the one call they bend. */
class DelegatingDomainOps implements IommuDomainOps {
    final FakePageTable table;

    DelegatingDomainOps(FakePageTable table) {
        this.table = table;
    }

    @Override
    public long mapPages(long iova, long paddr, long pgsize, long pgcount, IommuProt prot) {
        return table.mapPages(iova, paddr, pgsize, pgcount, prot);
    }

    @Override
    public long unmapPages(long iova, long pgsize, long pgcount, IotlbGather gather) {
        return table.unmapPages(iova, pgsize, pgcount, gather);
    }

    @Override
    public void flushIotlbAll() {
        table.flushIotlbAll();
    }

    @Override
    public void iotlbSync(IotlbGather gather) {
        table.iotlbSync(gather);
    }

    @Override
    public OptionalLong iovaToPhys(long iova) {
        return table.iovaToPhys(iova);
    }
}
