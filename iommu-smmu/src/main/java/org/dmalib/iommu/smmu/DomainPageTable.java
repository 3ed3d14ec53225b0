package org.dmalib.iommu.smmu;

import java.util.OptionalLong;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.PageSizes;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;

/**
 * What the driver needs of one domain's stage-1 page table: the operations of
 * {@code ArmLpaePageTable} (io-pgtable-arm) and the geometry of its {@code LpaeConfig}. The one
 * production implementation is {@link PageTableAdapter}; keeping the driver behind this
 * interface confines the page-table package to one class.
 *
 * <p>Thread-safety: as {@code ArmLpaePageTable}: map and unmap of disjoint ranges may run
 * concurrently.
 */
interface DomainPageTable {
    /** Returns the page sizes the table can map (granule and its blocks). */
    PageSizes pageSizes();

    /** Returns the number of levels a walk reads (PTE reads per refill). */
    int levels();

    /** Returns CD.T0SZ: 64 minus the input address size. */
    int t0sz();

    /** Returns the physical address of the start-level table (CD.TTB0). */
    long ttbr();

    /** See {@code ArmLpaePageTable.mapPages}: bytes mapped, never TLB work. */
    long mapPages(long iova, long paddr, long pgsize, long pgcount, IommuProt prot);

    /** See {@code ArmLpaePageTable.mapPageList}: granule pages of a list, one table's worth. */
    long mapPageList(long iova, long[] paddrs, int from, int count, IommuProt prot);

    /** See {@code ArmLpaePageTable.unmapPages}: bytes unmapped, 0 at a hole. */
    long unmapPages(long iova, long pgsize, long pgcount, IotlbGather gather);

    /** See {@code ArmLpaePageTable.checkUnmap}: throws PartialUnmapException. */
    void checkUnmap(long iova, long size);

    /** See {@code ArmLpaePageTable.iovaToPhys}. */
    OptionalLong iovaToPhys(long iova);

    /** Frees every table; the table is unusable afterwards. */
    void free();

    /** Returns the number of tables allocated. */
    int tablesInUse();

    /** Returns the leaf entries (pages and blocks) the table holds. */
    long leafCount();
}
