package org.dmalib.hw;

/**
 * The bus response a DMA master gets for one access.
 *
 * <p>A device model must look at it: an aborted access moved no data.
 *
 * <p>Thread-safety: immutable constants; safe to use from any thread.
 */
public enum DmaStatus {
    /** The whole access completed. */
    OK,
    /**
     * The access was refused (for example by an IOMMU translation or permission fault, or an
     * address outside memory); no byte of it reached or left memory.
     */
    ABORT;

    /** {@return whether the access completed} */
    public boolean ok() {
        return this == OK;
    }
}
