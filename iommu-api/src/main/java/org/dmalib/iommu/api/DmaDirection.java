package org.dmalib.iommu.api;

/**
 * The direction of a DMA transfer, from the device's point of view ({@code enum
 * dma_data_direction}). It decides which cache maintenance the DMA API does and, behind an
 * IOMMU, the read/write permission of the mapping.
 *
 * <p>Thread-safety: immutable constants; safe to use from any thread.
 */
public enum DmaDirection {
    /** Both ways: the device may read and write the buffer ({@code DMA_BIDIRECTIONAL}). */
    BIDIRECTIONAL,
    /** The device reads the buffer: memory to device ({@code DMA_TO_DEVICE}). */
    TO_DEVICE,
    /** The device writes the buffer: device to memory ({@code DMA_FROM_DEVICE}). */
    FROM_DEVICE,
    /** No transfer ({@code DMA_NONE}): valid for nothing but debugging, never for a mapping. */
    NONE;

    /** {@return whether the device may read memory in this direction} */
    public boolean deviceReads() {
        return this == TO_DEVICE || this == BIDIRECTIONAL;
    }

    /** {@return whether the device may write memory in this direction} */
    public boolean deviceWrites() {
        return this == FROM_DEVICE || this == BIDIRECTIONAL;
    }

    /** {@return whether a buffer may be mapped in this direction (every direction but NONE)} */
    public boolean isValidForMapping() {
        return this != NONE;
    }
}
