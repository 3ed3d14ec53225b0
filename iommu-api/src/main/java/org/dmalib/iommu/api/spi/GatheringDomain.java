package org.dmalib.iommu.api.spi;

import com.google.errorprone.annotations.CanIgnoreReturnValue;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.OutOfRangeException;
import org.dmalib.iommu.api.PartialUnmapException;
import org.dmalib.iommu.api.UnalignedException;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;

/**
 * An {@link IommuDomain} with the gather-based calls the DMA API (and VFIO-like batching) needs:
 * unmap without a sync, then one sync for everything gathered. Kept out of {@code IommuDomain}
 * because a gather is a privileged primitive.
 *
 * <p>Thread-safety as {@link IommuDomain}; a gather is confined to one thread.
 */
public interface GatheringDomain extends IommuDomain {
    /**
     * Unmaps as {@link #unmap} does but leaves the leaf invalidations in {@code gather}
     * ({@code iommu_unmap_fast}); the caller must {@link #iotlbSync} before reusing the IOVA or
     * the memory. Walk-cache invalidations of freed tables are still synchronous.
     *
     * <p>If the driver fails part-way, its exception propagates and nothing is synced:
     * {@code gather} then holds the leaf invalidations of what was unmapped before the failure
     * (less what an early sync of the gather already invalidated), and the caller must still
     * {@link #iotlbSync} it before reusing the IOVA or the memory.
     *
     * @param iova device address: a multiple of the smallest page size, in the aperture
     * @param size bytes: a multiple of the smallest page size
     * @param gather collects the leaf invalidations; may already hold some
     * @return the bytes unmapped, as {@link #unmap}
     * @throws UnalignedException if {@code iova | size} is not aligned, naming them
     * @throws OutOfRangeException if a value is negative or the range leaves the aperture
     * @throws PartialUnmapException as {@link #unmap}; nothing is unmapped or gathered
     */
    @CanIgnoreReturnValue
    long unmapFast(long iova, long size, IotlbGather gather);

    /**
     * Invalidates what {@code gather} holds, waits, and empties the gather
     * ({@code iommu_iotlb_sync}).
     *
     * @param gather the gather of earlier {@link #unmapFast} calls
     */
    void iotlbSync(IotlbGather gather);

    /**
     * Takes the domain's DMA cookie ({@code iommu_get_dma_cookie}): the first call returns
     * true, every later one false (Linux's {@code -EEXIST}), so that one DMA-API IOVA space
     * owns the domain's addresses. The cookie is never given back: the IOVA space that took it
     * holds the only record of which addresses are in use.
     *
     * <p>Thread-safety: atomic; of racing calls exactly one returns true.
     *
     * @return whether this call took the cookie
     */
    boolean claimDmaCookie();
}
