package org.dmalib.examples;

/**
 * One realistic DMA-API mistake that {@link NicDriver} or {@link BlockDriver} can be told to
 * make, so that a test or the CLI seeds exactly one bug with one value and sees what the
 * hardware model and the DMA API make of it. {@link #CORRECT} makes none.
 *
 * <p>Each driver documents, per constant, where it makes the mistake; a driver that has no
 * place for a new constant rejects it in its constructor rather than running correctly under a
 * mistaken name.
 *
 * <p>Thread-safety: immutable constants; safe to use from any thread.
 */
public enum DriverMistake {
    /** No mistake: the driver follows the DMA API's ownership rules. */
    CORRECT,
    /**
     * The CPU reads what the device wrote while the device still owns the buffer. NIC: a
     * received frame is read without {@code syncForCpu}; block: a read request is completed to
     * the caller before its scatterlist is unmapped (the unmap is deferred to the next reap).
     * On a non-coherent device the CPU then sees stale cache lines.
     */
    MISSING_SYNC_FOR_CPU,
    /**
     * Buffers the device writes are mapped {@code TO_DEVICE}. NIC: the RX buffers; block: the
     * scatterlists of read requests. Behind an IOMMU the device's writes fault (read-only
     * mapping, a permission fault in the SMMU's event queue); on the direct path they land. The
     * drivers then sync (NIC) or unmap (block) with the direction they need, which the debug
     * checks find differs from the mapping's; on the direct path the NIC's syncs even bring
     * the data, so only the checks see the bug there.
     */
    WRONG_DIRECTION,
    /**
     * A completion unmaps the same mapping twice. NIC: the first completed TX packet (by its
     * DMA address); block: the first completed request. The DMA API refuses the second unmap
     * with {@link org.dmalib.dma.ops.DmaUsageException}.
     */
    DOUBLE_UNMAP,
    /**
     * One mapping is never unmapped. NIC: the first completed TX packet; block: the first
     * completed request. Detaching the device reports it in a
     * {@link org.dmalib.dma.ops.DmaLeakException}.
     */
    LEAK_AT_DETACH,
    /**
     * A map result is used without {@code mappingError}. NIC only: the TX path maps each packet
     * with {@code mapPage} and posts the address unchecked; the unmap at completion is then
     * reported ({@code MAP_ERROR_NOT_CHECKED}). The block driver maps with handles, which carry
     * no error value, and rejects this mistake.
     */
    UNCHECKED_RESULT
}
