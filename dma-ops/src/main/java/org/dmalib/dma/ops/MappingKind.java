package org.dmalib.dma.ops;

/**
 * Which DMA API call made a mapping (dma-debug's entry type).
 *
 * <p>Thread-safety: immutable constants; safe to use from any thread.
 */
public enum MappingKind {
    /** {@code dma_map_single} / {@code dma_map_page}. */
    SINGLE,
    /** {@code dma_map_sg}. */
    SCATTER_GATHER,
    /** {@code dma_alloc_coherent}. */
    COHERENT
}
