package org.dmalib.iommu.api;

/**
 * One output entry of a mapped scatterlist: what the device is told ({@code sg_dma_address},
 * {@code sg_dma_len}).
 *
 * <p>Thread-safety: immutable; safe to share between threads.
 *
 * @param dmaAddress the bus address the device uses: not negative
 * @param dmaLength bytes: positive
 */
public record DmaSegment(long dmaAddress, long dmaLength) {
    /**
     * Validates the segment.
     *
     * @param dmaAddress the bus address the device uses: not negative
     * @param dmaLength bytes: positive
     * @throws IllegalArgumentException naming the bad value
     */
    public DmaSegment {
        if (dmaAddress < 0) {
            throw new IllegalArgumentException(
                    String.format("dmaAddress=0x%x must not be negative", dmaAddress));
        }
        if (dmaLength <= 0) {
            throw new IllegalArgumentException("dmaLength=" + dmaLength + " must be positive");
        }
    }

    /** {@return the bus address one past the last byte} */
    public long dmaEnd() {
        return dmaAddress + dmaLength;
    }
}
