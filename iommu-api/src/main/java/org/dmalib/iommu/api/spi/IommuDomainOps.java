package org.dmalib.iommu.api.spi;

import com.google.errorprone.annotations.CanIgnoreReturnValue;
import com.google.errorprone.annotations.CheckReturnValue;
import java.util.OptionalLong;
import org.dmalib.iommu.api.IommuException;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;

/**
 * What an IOMMU driver implements for one paging domain ({@code struct iommu_domain_ops},
 * reference §3.1). The IOMMU core calls it with page runs chosen by
 * {@link org.dmalib.iommu.api.PageSizes#pgsize}, so every {@code iova} and {@code paddr} is
 * aligned to {@code pgsize}, and {@code pgsize} is one of the domain's page sizes.
 *
 * <p>Thread-safety: implementations must allow concurrent calls on disjoint IOVA ranges (as
 * io-pgtable's lock-free tables do). Maps must not invalidate the IOTLB (an SMMUv3 caches no
 * invalid entries).
 */
@CheckReturnValue
public interface IommuDomainOps {
    /**
     * Maps {@code pgcount} pages of {@code pgsize} bytes from {@code iova} to {@code paddr}
     * ({@code map_pages}). May map fewer pages than asked (io-pgtable stops at the end of the
     * current table); the core then calls again for the rest.
     *
     * @param iova device address, a multiple of {@code pgsize}
     * @param paddr physical address, a multiple of {@code pgsize}
     * @param pgsize a supported page size
     * @param pgcount pages: positive
     * @param prot the protection: READ or WRITE is set
     * @return the bytes mapped: a positive multiple of {@code pgsize}, at most
     *     {@code pgsize * pgcount}
     * @throws MapPagesException on failure after mapping some pages: it carries the bytes
     *     mapped and the reason
     * @throws IommuException on failure before mapping anything
     */
    long mapPages(long iova, long paddr, long pgsize, long pgcount, IommuProt prot);

    /**
     * Maps smallest-size pages at consecutive device addresses to a list of physical pages, the
     * scatterlist walk of {@link org.dmalib.iommu.api.IommuDomain#mapRuns}: page {@code i}
     * ({@code from <= i < from + count}) at {@code iova + (i - from) * pgsize} to
     * {@code paddrs[i]}. May map fewer pages than asked (a page table stops at the end of the
     * current table); the core then calls again for the rest. The default maps the list's
     * physically contiguous prefix with one {@link #mapPages}; a driver whose tables can take a
     * run of unrelated pages in one walk overrides it.
     *
     * @param iova device address, a multiple of {@code pgsize}
     * @param pgsize the domain's smallest page size
     * @param paddrs physical addresses, each a multiple of {@code pgsize}
     * @param from the run's first page in {@code paddrs}
     * @param count pages: positive, {@code from + count <= paddrs.length}
     * @param prot the protection: READ or WRITE is set
     * @return the bytes mapped: a positive multiple of {@code pgsize}, at most
     *     {@code pgsize * count}
     * @throws MapPagesException on failure after mapping some pages: it carries the bytes
     *     mapped and the reason
     * @throws IommuException on failure before mapping anything
     */
    default long mapPageList(long iova, long pgsize, long[] paddrs, int from, int count,
            IommuProt prot) {
        int n = 1;
        while (n < count && paddrs[from + n] == paddrs[from] + n * pgsize) {
            n++;
        }
        return mapPages(iova, paddrs[from], pgsize, n, prot);
    }

    /**
     * Unmaps {@code pgcount} pages of {@code pgsize} bytes from {@code iova}
     * ({@code unmap_pages}). Leaf invalidations go to {@code gather} (through
     * {@link FlushOps#addPage}, skipped when the gather is queued); walk-cache invalidations of
     * freed tables are done synchronously before the tables are freed. Refuses to unmap part of a
     * bigger block.
     *
     * @param iova device address, a multiple of {@code pgsize}
     * @param pgsize a supported page size
     * @param pgcount pages: positive
     * @param gather collects the leaf invalidations
     * @return the bytes unmapped, a multiple of {@code pgsize}; 0 means stop: nothing mapped at
     *     {@code iova}, or {@code iova} is inside a bigger block
     */
    @CanIgnoreReturnValue
    long unmapPages(long iova, long pgsize, long pgcount, IotlbGather gather);

    /**
     * Refuses, before anything is unmapped, an unmap of {@code [iova, iova + size)} that would
     * have to subdivide a larger mapping (a block only partly inside the range): Linux since
     * v6.13 no longer splits blocks on unmap. The core calls it once per unmap call; the default
     * accepts everything, for drivers whose mappings are never larger than the granule.
     *
     * @param iova the first IOVA, aligned to the smallest page size
     * @param size bytes, aligned to the smallest page size, positive
     * @throws org.dmalib.iommu.api.PartialUnmapException naming the block, if the range starts or
     *     ends inside one
     */
    default void checkUnmap(long iova, long size) {}

    /** Invalidates every IOTLB entry of the domain and waits ({@code flush_iotlb_all}). */
    void flushIotlbAll();

    /**
     * Invalidates what {@code gather} holds and waits ({@code iotlb_sync}); nothing if it is
     * empty. The caller empties the gather afterwards.
     *
     * @param gather the gathered range
     */
    void iotlbSync(IotlbGather gather);

    /**
     * Translates {@code iova} by a software walk of the page table ({@code iova_to_phys}).
     *
     * @param iova a device address inside the domain's input address size
     * @return the physical address, or empty if not mapped
     */
    OptionalLong iovaToPhys(long iova);
}
