package org.dmalib.iommu.smmu;

import java.util.OptionalLong;
import org.dmalib.hw.Cpu;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.PageSizes;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.dmalib.iommu.api.spi.FlushOps;
import org.dmalib.iommu.smmu.internal.pgtable.ArmLpaePageTable;
import org.dmalib.iommu.smmu.internal.pgtable.LpaeConfig;

/**
 * The driver's one dependency on the page-table package: {@link ArmLpaePageTable} seen as a
 * {@link DomainPageTable}.
 *
 * <p>Thread-safety: as {@link ArmLpaePageTable}.
 */
final class PageTableAdapter implements DomainPageTable {
    private final ArmLpaePageTable table;

    private PageTableAdapter(ArmLpaePageTable table) {
        this.table = table;
    }

    /** {@link PageTableFactory} of production: an ARM LPAE stage-1 table. */
    static DomainPageTable allocate(int granule, int ias, int oas, boolean coherentWalk, Cpu cpu,
            TableMemory memory, FlushOps flushOps) {
        return new PageTableAdapter(ArmLpaePageTable.allocate(
                new LpaeConfig(granule, ias, oas, coherentWalk), cpu, memory, flushOps));
    }

    @Override
    public PageSizes pageSizes() {
        return table.config().pageSizes();
    }

    @Override
    public int levels() {
        return table.config().levels();
    }

    @Override
    public int t0sz() {
        return table.config().t0sz();
    }

    @Override
    public long ttbr() {
        return table.ttbr();
    }

    @Override
    public long mapPages(long iova, long paddr, long pgsize, long pgcount, IommuProt prot) {
        return table.mapPages(iova, paddr, pgsize, pgcount, prot);
    }

    @Override
    public long mapPageList(long iova, long[] paddrs, int from, int count, IommuProt prot) {
        return table.mapPageList(iova, paddrs, from, count, prot);
    }

    @Override
    public long unmapPages(long iova, long pgsize, long pgcount, IotlbGather gather) {
        return table.unmapPages(iova, pgsize, pgcount, gather);
    }

    @Override
    public void checkUnmap(long iova, long size) {
        table.checkUnmap(iova, size);
    }

    @Override
    public OptionalLong iovaToPhys(long iova) {
        return table.iovaToPhys(iova);
    }

    @Override
    public void free() {
        table.free();
    }

    @Override
    public int tablesInUse() {
        return table.tablesInUse();
    }

    @Override
    public long leafCount() {
        return table.leafCount();
    }
}
