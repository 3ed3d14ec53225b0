package org.dmalib.dma.ops;

import java.util.List;
import org.dmalib.iommu.api.DmaDirection;

/**
 * What a device's registry of live mappings holds (dma-debug's {@code dma_debug_entry}):
 * something it can find by DMA address, match against an unmap, and describe in a report.
 */
sealed interface Tracked permits DmaMapping, CoherentBuffer {
    /** Returns the mapping as reports list it. */
    PendingMapping describe();

    /** Returns the first DMA address. */
    long dmaAddress();

    /** Returns which call made it. */
    MappingKind kind();

    /** Returns its direction (BIDIRECTIONAL for a coherent allocation). */
    DmaDirection direction();

    /** Returns the entry count the map call was given ({@code sg_call_ents}; 1 but for lists). */
    int inputCount();

    /** Returns the driver's frames that made it (empty when debugging is off). */
    List<StackTraceElement> mappedAt();

    /**
     * Returns the lowest DMA address of its segments: {@link #dmaAddress()} unless a list's DMA
     * segments do not ascend (a direct mapping keeps the list's order).
     */
    long dmaLow();

    /** Returns the bytes from {@link #dmaLow()} to the end of its highest DMA segment. */
    long dmaExtent();

    /** Returns whether {@code dmaAddress} lies inside the mapping's DMA segments. */
    boolean contains(long dmaAddress);
}
