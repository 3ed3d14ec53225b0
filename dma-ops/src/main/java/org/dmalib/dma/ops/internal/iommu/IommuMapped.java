package org.dmalib.dma.ops.internal.iommu;

import java.util.List;
import org.dmalib.iommu.api.DmaSegment;

/**
 * What a streaming mapping over an IOMMU holds on the IOMMU side: one IOVA range (granule
 * aligned, the size the allocator was asked for) and the DMA segments the device was given.
 * Immutable and thread-safe.
 *
 * @param iova the first byte of the IOVA range
 * @param iovaLength the bytes of the IOVA range (a multiple of the granule)
 * @param dmaSegments the DMA segments, in order, at least one
 */
public record IommuMapped(long iova, long iovaLength, List<DmaSegment> dmaSegments) {
    /**
     * Copies the segment list.
     *
     * @throws IllegalArgumentException if there is no segment
     */
    public IommuMapped {
        dmaSegments = List.copyOf(dmaSegments);
        if (dmaSegments.isEmpty()) {
            throw new IllegalArgumentException("a mapping has at least one DMA segment");
        }
    }
}
