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
     * @param paddr the first physical address, not negative
     * @param size the length in bytes, not negative, with {@code paddr + size} at most 2^63 - 1
     * @return whether both ends are aligned
     * @throws IllegalArgumentException naming the bad value if {@code paddr} or {@code size} is
     *     negative or the range ends past 2^63 - 1 (no physical range: it cannot be aligned)
     */
    public static boolean isDmaAligned(long paddr, long size) {
        if (paddr < 0 || size < 0 || size > Long.MAX_VALUE - paddr) {
            throw new IllegalArgumentException(String.format(
                    "paddr=0x%x size=%d is no physical range: both must be non-negative and"
                            + " paddr + size at most 2^63 - 1", paddr, size));
        }
        return ((paddr | size) & (DMA_MIN_ALIGN - 1)) == 0;
    }
}
