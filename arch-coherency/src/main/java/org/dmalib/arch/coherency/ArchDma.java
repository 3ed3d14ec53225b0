package org.dmalib.arch.coherency;

/**
 * Public facts of the arm64 DMA architecture that drivers may rely on.
 *
 * <p>Holds constants only; stateless and thread-safe.
 */
public final class ArchDma {
    /**
     * {@code ARCH_DMA_MINALIGN} on arm64: 128 bytes, the largest cache writeback granule
     * (CTR_EL0.CWG) Linux supports; buffers for non-coherent DMA that share a granule with other
     * data can be corrupted by cache maintenance.
     */
    public static final int DMA_MIN_ALIGN = 128;

    private ArchDma() {}

    /**
     * Returns whether {@code [paddr, paddr + size)} starts and ends on a
     * {@link #DMA_MIN_ALIGN} boundary, so that no cache line is shared with other data.
     *
     * @param paddr the first physical address
     * @param size the length in bytes, not negative
     * @return whether both ends are aligned
     */
    public static boolean isDmaAligned(long paddr, long size) {
        return ((paddr | size) & (DMA_MIN_ALIGN - 1)) == 0;
    }
}
