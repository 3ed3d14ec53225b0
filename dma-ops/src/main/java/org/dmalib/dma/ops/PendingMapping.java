package org.dmalib.dma.ops;

import org.dmalib.iommu.api.DmaDirection;

/**
 * A live mapping as the leak report and {@link DmaDevice#pendingMappings()} describe it.
 * Immutable and thread-safe.
 *
 * @param dmaAddress the (first) DMA address the device was given
 * @param size bytes mapped (the sum over the segments of a scatterlist)
 * @param direction the mapping's direction ({@code BIDIRECTIONAL} for coherent allocations)
 * @param kind which call made it
 * @param segments the number of DMA segments (1 but for scatterlists)
 */
public record PendingMapping(
        long dmaAddress, long size, DmaDirection direction, MappingKind kind, int segments) {
    @Override
    public String toString() {
        return String.format("%s dmaAddress=0x%x size=%d dir=%s segments=%d",
                kind, dmaAddress, size, direction, segments);
    }
}
