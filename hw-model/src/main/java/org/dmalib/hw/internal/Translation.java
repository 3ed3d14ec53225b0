package org.dmalib.hw.internal;

/**
 * The stage between a DMA master's bus address and a physical address. A stream without an
 * IOMMU uses {@link #IDENTITY}; an IOMMU model supplies its own, and no device model changes.
 * A translation is used for the data move right after it; a stage that invalidates translations
 * says when through its {@link #syncEpoch}.
 *
 * <p>Implementations must be safe for concurrent use.
 */
@FunctionalInterface
public interface Translation {
    /** Bus address = physical address: a stream with no IOMMU in front. */
    Translation IDENTITY = (streamId, address, write) -> address;

    /**
     * Translates one bus address for an access of the given kind. The translation is valid for
     * the whole 4 KiB page containing {@code address} (the smallest translation granule).
     *
     * @param streamId the issuing stream
     * @param address the bus address, unsigned 64-bit (at 2^63 and above it is negative)
     * @param write whether the access writes memory
     * @return the physical address, or a negative value if the access must abort
     */
    long translate(int streamId, long address, boolean write);

    /**
     * Returns the epoch this stage advances whenever an invalidation it completes may have
     * withdrawn a translation it handed out, so that a burst never moves data with a
     * withdrawn translation (see {@link SyncEpoch}); null for a stage that never withdraws one.
     *
     * @return the epoch, the same object on every call, or null
     */
    default SyncEpoch syncEpoch() {
        return null;
    }
}
