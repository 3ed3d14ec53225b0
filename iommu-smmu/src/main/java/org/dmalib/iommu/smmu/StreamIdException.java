package org.dmalib.iommu.smmu;

import org.dmalib.iommu.api.IommuException;

/**
 * A stream ID outside the driver's stream table (SMMU_IDR1.SIDSIZE, capped by the table size
 * the driver allocates) was named; nothing was changed.
 *
 * <p>Thread-safety: the fields it declares are final and set when it is built; safe to hand to
 * another thread once thrown.
 */
public final class StreamIdException extends IommuException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed, naming the values
     */
    public StreamIdException(String message) {
        super(message);
    }
}
