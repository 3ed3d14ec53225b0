package org.dmalib.dma.ops.internal.iova;

/**
 * One range of the IOVA tree, in granules, both ends inclusive (Linux's {@code struct iova}).
 *
 * <p>Thread-safety: immutable; safe to share between threads.
 *
 * @param pfnLo the first granule
 * @param pfnHi the last granule, not below {@code pfnLo}
 * @param reserved whether it came from {@link IovaTree#reserve} (never freed) rather than an
 *     allocation
 */
public record IovaRange(long pfnLo, long pfnHi, boolean reserved) {
    /** {@return the size in granules} */
    public long size() {
        return pfnHi - pfnLo + 1;
    }
}
