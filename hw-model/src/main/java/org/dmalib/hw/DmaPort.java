package org.dmalib.hw;

import com.google.errorprone.annotations.CheckReturnValue;

/**
 * A DMA master's connection to memory: the only way a device model moves data.
 *
 * <p>Addresses are <em>bus addresses</em>: whatever the device was told by its driver. On a
 * stream with no IOMMU in front, a bus address is a physical address; when an IOMMU translates
 * the stream, it is an IOVA. Device models are written against this interface only, so putting
 * a translation stage in front of a stream changes no device model.
 *
 * <p>Bus addresses are unsigned 64-bit values: an address of 2^63 or more is a negative
 * {@code long} and reaches the translation stage as any other (behind an SMMU it is past the
 * input address size, a translation fault the SMMU records; without one it is past the end of
 * memory). A burst whose last byte would wrap past 2^64 - 1 is no bus transaction: it aborts
 * before any translation.
 *
 * <p>On a {@link Coherency#NON_COHERENT} stream the port reads and writes RAM only, so a dirty
 * line in a CPU cache is invisible to the device and a device write leaves stale lines in CPU
 * caches. On a {@link Coherency#COHERENT} stream reads see dirty CPU lines and writes invalidate
 * CPU copies.
 *
 * <p>Thread-safety: safe for concurrent use; each call is one burst. On a stream without an
 * IOMMU a burst is not atomic as a whole with respect to CPUs or other masters; behind an SMMU
 * its data moves in one transaction of the machine (so a non-coherent burst there serialises
 * with CPU accesses). Behind an SMMU a burst translates all its pages first and then moves its
 * data, and it moves nothing with a translation that a completed CMD_SYNC withdrew: SMMUv3
 * completes a CMD_SYNC only after the transactions that used the translations it invalidated,
 * so once a driver's unmap has synced, no burst reaches the unmapped pages. A burst translated
 * before the CMD_SYNC completed that had not moved its data by then translates again, and
 * faults if its pages are gone (an order hardware allows too: the burst after the
 * invalidation).
 */
public interface DmaPort {
    /** {@return the stream ID this port issues on} */
    int streamId();

    /** {@return how the stream is attached to the memory system} */
    Coherency coherency();

    /**
     * Reads {@code length} bytes at bus address {@code address} into {@code dst}.
     *
     * @param address the bus address of the first byte
     * @param dst where the data goes
     * @param offset where in {@code dst} to start
     * @param length how many bytes, not negative
     * @return {@link DmaStatus#OK}, or {@link DmaStatus#ABORT} if any part of the range could not
     *     be reached (then {@code dst} is unchanged)
     * @throws IndexOutOfBoundsException if the array range is invalid
     */
    @CheckReturnValue
    DmaStatus read(long address, byte[] dst, int offset, int length);

    /**
     * Writes {@code length} bytes from {@code src} at bus address {@code address}.
     *
     * @param address the bus address of the first byte
     * @param src the data
     * @param offset where in {@code src} to start
     * @param length how many bytes, not negative
     * @return {@link DmaStatus#OK}, or {@link DmaStatus#ABORT} if any part of the range could not
     *     be reached (then memory is unchanged)
     * @throws IndexOutOfBoundsException if the array range is invalid
     */
    @CheckReturnValue
    DmaStatus write(long address, byte[] src, int offset, int length);
}
