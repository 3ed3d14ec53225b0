package org.dmalib.dma.ops;

/**
 * One IOVA range a mapping holds in its IOMMU domain: granule aligned, {@code length} bytes as
 * dma-iommu computed them (the segments' granule-aligned lengths plus any segment-boundary
 * padding), before the IOVA allocator rounded the allocation up (to a power of two under 32
 * granules). Immutable and thread-safe.
 *
 * @param iova the first byte, granule aligned
 * @param length bytes mapped at {@code iova}, a multiple of the granule
 */
public record IovaRange(long iova, long length) {
    @Override
    public String toString() {
        return String.format("IovaRange[iova=0x%x length=0x%x]", iova, length);
    }
}
