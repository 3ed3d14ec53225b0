package org.dmalib.iommu.api.spi;

import org.dmalib.iommu.api.internal.tlb.IotlbGather;

/**
 * The page-table code's callbacks into the IOMMU driver for TLB maintenance
 * ({@code struct iommu_flush_ops}, reference §4.8); the driver implements them, the page-table
 * code calls them while unmapping.
 *
 * <p>All three may be called from latency-critical paths (atomic context in Linux) and must not
 * block. Implementations must be thread-safe: concurrent unmaps of disjoint ranges call them
 * concurrently.
 */
public interface FlushOps {
    /** Invalidates every IOTLB and walk-cache entry of the context, synchronously. */
    void flushAll();

    /**
     * Invalidates intermediate (walk-cache) state for {@code [iova, iova + size)}, synchronously:
     * called after clearing a table entry and before freeing the table, so no walk can reach the
     * freed memory. Issued even when a flush queue owns the leaf invalidations.
     *
     * @param iova first byte of the range, a multiple of {@code size}
     * @param size bytes: the block size of the table entry that was cleared
     * @param granule the leaf granule of the page table (Linux passes it; without range
     *     invalidation the driver issues {@code size / granule} commands)
     */
    void flushWalk(long iova, long size, long granule);

    /**
     * Queues the leaf invalidation of one page: usually
     * {@code gather.addPage(iova, granule, this driver's iotlbSync)}, which syncs early on a gap or
     * a page-size change.
     *
     * @param gather the unmap's gather; not queued (the page-table code skips queued gathers)
     * @param iova the page's first byte, a multiple of {@code granule}
     * @param granule the page's size
     */
    void addPage(IotlbGather gather, long iova, long granule);

    /**
     * {@link #addPage} of {@code count} consecutive leaf pages of {@code granule} from
     * {@code iova}, in address order: what an unmap calls for the run of entries it cleared.
     * The default calls {@link #addPage} for each; a driver whose gather can take the run in one
     * step overrides it.
     *
     * @param gather the caller's gather, not queued
     * @param iova the first page's device address, a multiple of {@code granule}
     * @param granule the pages' size
     * @param count pages: positive
     */
    default void addPages(IotlbGather gather, long iova, long granule, long count) {
        for (long j = 0; j < count; j++) {
            addPage(gather, iova + j * granule, granule);
        }
    }
}
